// SPDX-License-Identifier: GPL-3.0-or-later
#include "textmismatch.h"

#include <cmath>
#include <numeric>

namespace cwb {

QString MismatchCheck::message() const {
    if (mismatched)
        return QStringLiteral(
                   "the calibration text is unlike the evaluation text: their token "
                   "distributions differ by %1 bits (Jensen-Shannon; the threshold is %2)")
            .arg(divergenceBits, 0, 'f', 3)
            .arg(thresholdBits, 0, 'f', 2);
    return QStringLiteral("the calibration text resembles the evaluation text: %1 bits apart "
                          "(Jensen-Shannon; below the threshold of %2)")
        .arg(divergenceBits, 0, 'f', 3)
        .arg(thresholdBits, 0, 'f', 2);
}

MismatchCheck compareTokenDistributions(std::span<const std::uint64_t> a,
                                        std::span<const std::uint64_t> b, double thresholdBits) {
    MismatchCheck check;
    check.thresholdBits = thresholdBits;
    const double totalA = double(std::accumulate(a.begin(), a.end(), std::uint64_t(0)));
    const double totalB = double(std::accumulate(b.begin(), b.end(), std::uint64_t(0)));
    if (totalA == 0 || totalB == 0 || a.size() != b.size()) {
        check.divergenceBits = 1.0;
        check.mismatched = true;
        return check;
    }
    double js = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double p = double(a[i]) / totalA, q = double(b[i]) / totalB, m = 0.5 * (p + q);
        if (p > 0)
            js += 0.5 * p * std::log2(p / m);
        if (q > 0)
            js += 0.5 * q * std::log2(q / m);
    }
    check.divergenceBits = js;
    check.mismatched = js > thresholdBits;
    return check;
}

} // namespace cwb
