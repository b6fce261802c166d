// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace cwb {

// How a compressed model's next-token distributions differ from the FP32 model's, over the
// same scored tokens. Uncertainties are standard errors of the mean over tokens.
struct ComparisonMetrics {
    std::int64_t tokens = 0;
    double kldMean = 0, kldStderr = 0, kldMedian = 0, kldP99 = 0, kldMax = 0;
    double top1Agreement = 0, top1Stderr = 0; // fraction of tokens with the same argmax
    double deltaPMean = 0, deltaPStderr = 0;  // p_compressed(next) − p_fp32(next)
    // PPL(compressed) / PPL(fp32) from per-token NLL differences, with its uncertainty (the
    // paired difference is far tighter than the two PPL uncertainties combined).
    double pplRatio = 1, pplRatioStderr = 0;
    double basePpl = 0, basePplStderr = 0;
    double ppl = 0, pplStderr = 0;
};

class DistributionComparer {
public:
    // Logits of the FP32 model and of the compressed one at one scored position, and the token
    // that follows.
    void add(std::span<const float> base, std::span<const float> compressed, std::int32_t next);
    ComparisonMetrics result() const;

private:
    std::vector<double> m_kld;
    double m_sumTop1 = 0;
    double m_sumDeltaP = 0, m_sumDeltaP2 = 0;
    double m_sumDeltaNll = 0, m_sumDeltaNll2 = 0;
    double m_sumNllBase = 0, m_sumNllBase2 = 0;
    double m_sumNll = 0, m_sumNll2 = 0;
};

} // namespace cwb
