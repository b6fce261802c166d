// SPDX-License-Identifier: GPL-3.0-or-later
#include "comparison.h"

#include <algorithm>
#include <cmath>

namespace cwb {
namespace {

struct LogSoftmax {
    double logSum = 0; // log Σ exp(l)
    std::size_t argmax = 0;
};

LogSoftmax logSoftmax(std::span<const float> logits) {
    LogSoftmax r;
    r.argmax = std::size_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    const double max = logits[r.argmax];
    double sum = 0;
    for (float l : logits)
        sum += std::exp(double(l) - max);
    r.logSum = max + std::log(sum);
    return r;
}

double stderrOf(double sum, double sumSquares, std::int64_t n) {
    if (n < 2)
        return 0.0;
    const double mean = sum / double(n);
    const double variance = sumSquares / double(n) - mean * mean;
    return variance > 0 ? std::sqrt(variance / double(n - 1)) : 0.0;
}

} // namespace

void DistributionComparer::add(std::span<const float> base, std::span<const float> compressed,
                               std::int32_t next) {
    const LogSoftmax b = logSoftmax(base);
    const LogSoftmax c = logSoftmax(compressed);
    double kld = 0;
    for (std::size_t i = 0; i < base.size(); ++i) {
        const double logP = double(base[i]) - b.logSum;
        const double logQ = double(compressed[i]) - c.logSum;
        kld += std::exp(logP) * (logP - logQ);
    }
    m_kld.push_back(std::max(kld, 0.0)); // rounding can leave -1e-17 for equal distributions
    m_sumTop1 += b.argmax == c.argmax ? 1.0 : 0.0;
    const auto n = std::size_t(next);
    const double nllBase = b.logSum - double(base[n]);
    const double nll = c.logSum - double(compressed[n]);
    const double deltaP = std::exp(-nll) - std::exp(-nllBase);
    m_sumDeltaP += deltaP;
    m_sumDeltaP2 += deltaP * deltaP;
    m_sumDeltaNll += nll - nllBase;
    m_sumDeltaNll2 += (nll - nllBase) * (nll - nllBase);
    m_sumNllBase += nllBase;
    m_sumNllBase2 += nllBase * nllBase;
    m_sumNll += nll;
    m_sumNll2 += nll * nll;
}

ComparisonMetrics DistributionComparer::result() const {
    ComparisonMetrics r;
    const auto n = std::int64_t(m_kld.size());
    r.tokens = n;
    if (n == 0)
        return r;
    std::vector<double> sorted = m_kld;
    std::sort(sorted.begin(), sorted.end());
    double sum = 0, sum2 = 0;
    for (double k : m_kld) {
        sum += k;
        sum2 += k * k;
    }
    const double dn = double(n);
    r.kldMean = sum / dn;
    r.kldStderr = stderrOf(sum, sum2, n);
    r.kldMedian = n % 2 ? sorted[std::size_t(n / 2)]
                        : 0.5 * (sorted[std::size_t(n / 2 - 1)] + sorted[std::size_t(n / 2)]);
    r.kldP99 = sorted[std::size_t(std::ceil(0.99 * dn)) - 1]; // nearest rank
    r.kldMax = sorted.back();
    r.top1Agreement = m_sumTop1 / dn;
    r.top1Stderr = n > 1 ? std::sqrt(r.top1Agreement * (1 - r.top1Agreement) / double(n - 1)) : 0.0;
    r.deltaPMean = m_sumDeltaP / dn;
    r.deltaPStderr = stderrOf(m_sumDeltaP, m_sumDeltaP2, n);
    const double meanDelta = m_sumDeltaNll / dn;
    r.pplRatio = std::exp(meanDelta);
    r.pplRatioStderr = r.pplRatio * stderrOf(m_sumDeltaNll, m_sumDeltaNll2, n);
    r.basePpl = std::exp(m_sumNllBase / dn);
    r.basePplStderr = r.basePpl * stderrOf(m_sumNllBase, m_sumNllBase2, n);
    r.ppl = std::exp(m_sumNll / dn);
    r.pplStderr = r.ppl * stderrOf(m_sumNll, m_sumNll2, n);
    return r;
}

} // namespace cwb
