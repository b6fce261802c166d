// SPDX-License-Identifier: GPL-3.0-or-later
#include "textmismatch.h"

#include <cmath>
#include <numeric>

namespace cwb {

QString MismatchCheck::message() const {
    const QString threshold = QStringLiteral("%1 (0.08 plus %2 for samples of %3 and %4 tokens)")
                                  .arg(thresholdBits, 0, 'f', 3)
                                  .arg(thresholdBits - kMismatchThresholdBits, 0, 'f', 3)
                                  .arg(calibrationTokens)
                                  .arg(evaluationTokens);
    if (mismatched)
        return QStringLiteral(
                   "the calibration text is unlike the evaluation text: their token "
                   "distributions differ by %1 bits (Jensen-Shannon; the threshold is %2)")
            .arg(divergenceBits, 0, 'f', 3)
            .arg(threshold);
    return QStringLiteral("the calibration text resembles the evaluation text: %1 bits apart "
                          "(Jensen-Shannon; below the threshold of %2)")
        .arg(divergenceBits, 0, 'f', 3)
        .arg(threshold);
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
    int kinds = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        kinds += a[i] || b[i] ? 1 : 0;
        const double p = double(a[i]) / totalA, q = double(b[i]) / totalB, m = 0.5 * (p + q);
        if (p > 0)
            js += 0.5 * p * std::log2(p / m);
        if (q > 0)
            js += 0.5 * q * std::log2(q / m);
    }
    check.calibrationTokens = std::uint64_t(totalA);
    check.evaluationTokens = std::uint64_t(totalB);
    check.chanceBits =
        double(std::max(kinds - 1, 0)) / (8.0 * std::log(2.0)) * (1.0 / totalA + 1.0 / totalB);
    check.thresholdBits = thresholdBits + 2.0 * check.chanceBits;
    check.divergenceBits = js;
    check.mismatched = js > check.thresholdBits;
    return check;
}

QJsonObject MismatchCheck::toJson() const {
    return QJsonObject{{QStringLiteral("divergence_bits"), divergenceBits},
                       {QStringLiteral("threshold_bits"), thresholdBits},
                       {QStringLiteral("chance_bits"), chanceBits},
                       {QStringLiteral("calibration_tokens"), qint64(calibrationTokens)},
                       {QStringLiteral("evaluation_tokens"), qint64(evaluationTokens)},
                       {QStringLiteral("mismatched"), mismatched},
                       {QStringLiteral("message"), message()}};
}

} // namespace cwb
