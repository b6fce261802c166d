// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <cstdint>
#include <span>

namespace cwb {

// Whether a calibration text is unlike an evaluation text: the Jensen–Shannon divergence, in
// bits (0 = the same distribution, 1 = disjoint), between their token frequencies.
struct MismatchCheck {
    double divergenceBits = 0;
    double thresholdBits = 0;
    bool mismatched = false;
    QString message() const; // one line, with the number and the threshold
};

// The threshold, from measurements with stories260K's 512-token vocabulary on 8,192-token samples
// against the TinyStories validation text: TinyStories' own training text 0.022 bits; the KJV
// Bible 0.136, WikiText-2 0.179, The Devil's Dictionary 0.194. Text from the same source sits far
// below it, text of another kind well above.
constexpr double kMismatchThresholdBits = 0.08;

MismatchCheck compareTokenDistributions(std::span<const std::uint64_t> calibration,
                                        std::span<const std::uint64_t> evaluation,
                                        double thresholdBits = kMismatchThresholdBits);

} // namespace cwb
