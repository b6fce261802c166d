// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <span>

namespace cwb {

// Whether a calibration text is unlike an evaluation text: the Jensen–Shannon divergence, in
// bits (0 = the same distribution, 1 = disjoint), between their token frequencies.
struct MismatchCheck {
    double divergenceBits = 0;
    double thresholdBits = 0; // the base threshold plus what the sample sizes allow by chance
    double chanceBits = 0;    // what two samples of one source differ by at these sizes
    std::uint64_t calibrationTokens = 0;
    std::uint64_t evaluationTokens = 0;
    bool mismatched = false;
    QString message() const; // one line, with the number and the threshold
    QJsonObject toJson() const;
};

// The base threshold, from measurements with stories260K's 512-token vocabulary on 8,192-token
// samples against the TinyStories validation text: TinyStories' own training text 0.022 bits; the
// KJV Bible 0.136, WikiText-2 0.179, The Devil's Dictionary 0.194.
//
// Small samples differ by chance: two samples of n₁ and n₂ tokens from one source, over K token
// kinds, are (K−1)/(8 ln 2)·(1/n₁ + 1/n₂) bits apart on average when tokens are independent, and
// more when text clusters by topic, as it does. The threshold adds twice that term, which kept
// TinyStories below and the KJV above it from 1,000 to 100,000 tokens on either side.
constexpr double kMismatchThresholdBits = 0.08;

MismatchCheck compareTokenDistributions(std::span<const std::uint64_t> calibration,
                                        std::span<const std::uint64_t> evaluation,
                                        double thresholdBits = kMismatchThresholdBits);

} // namespace cwb
