// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QByteArray>

#include <cstdint>
#include <span>
#include <vector>

namespace cwb {

// The logit sum, one side of the joint loss model (SensitivityResult::predictKld). On a sample of
// scored positions spread evenly over the text, it keeps the FP32 log-probabilities and, for
// every (tensor, precision) the sensitivity analysis measures, how compressing that tensor alone
// shifts them. It predicts a plan's mean KLD as the exact mean KL(P_fp32 ‖ softmax(log P_fp32 +
// Σ shifts)) over the sample: the shifts add in logit space, where errors of different tensors can
// reinforce or cancel, and the KLD's growth with the size of the shift is computed, not
// linearised. It assumes each tensor's shift survives the others unchanged, so it over-predicts
// where many tensors are compressed hard (the network damps what many errors do together).
//
// To bound memory, each position keeps at most kMaxTokens tokens, the most probable under FP32,
// and one bucket for the rest of the vocabulary (none when the whole vocabulary fits). A
// candidate's shift of the bucket is log(Σ_rest p e^δ / Σ_rest p), and buckets' shifts add like
// the tokens'. Shifts are stored as f16: positions × (kept tokens + 1) × 2 bytes per candidate.
class LogitSample {
public:
    static constexpr int kDefaultPositions = 128;
    static constexpr int kMaxTokens = 1024;

    // The sampled scored rows, in order, for `rows` scored positions in all.
    static std::vector<std::int64_t> sampleRows(std::int64_t rows, int positions);

    // Starts a sample from the FP32 logits of the sampled rows, in sampleRows() order.
    void addBaseline(std::span<const float> logits);
    // The shift of the sampled log-probs that `logits` (a candidate's, at sampled position
    // `position`) make; append each position's in order to make one candidate's shifts.
    void appendShift(int position, std::span<const float> logits,
                     std::vector<std::uint16_t>& shifts) const;

    // The predicted mean KLD of a plan whose compressed tensors' shifts are `shifts` (an empty
    // list is FP32: 0).
    double predictKld(std::span<const std::span<const std::uint16_t>> shifts) const;

    int positions() const { return m_positions; }
    int width() const { return m_width; } // per position: kept tokens, then the rest's bucket
    std::size_t shiftSize() const { return std::size_t(positions()) * std::size_t(m_width); }
    bool empty() const { return m_positions == 0; }

    // A compact binary image: the baseline log-probs (the kept tokens' ids are only needed while
    // measuring and are not kept).
    QByteArray baselineBytes() const;
    static Result<LogitSample> fromBaselineBytes(const QByteArray& bytes);

private:
    int m_positions = 0;
    int m_width = 0;
    std::vector<std::vector<std::int32_t>> m_tokens; // per position, the kept tokens' ids
    std::vector<float> m_logProbs;                   // [position][width]; the bucket -inf if none
};

} // namespace cwb
