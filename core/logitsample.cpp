// SPDX-License-Identifier: GPL-3.0-or-later
#include "logitsample.h"

#include "halffloat.h"

#include <QtEndian>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

namespace cwb {
namespace {

constexpr char kMagic[8] = {'c', 'w', 'b', 'l', 'o', 'g', 's', '1'};

double logSumExp(std::span<const double> v) {
    const double max = *std::max_element(v.begin(), v.end());
    if (!std::isfinite(max))
        return max;
    double sum = 0;
    for (double x : v)
        sum += std::exp(x - max);
    return max + std::log(sum);
}

std::vector<double> logSoftmax(std::span<const float> logits) {
    std::vector<double> v(logits.begin(), logits.end());
    const double z = logSumExp(v);
    for (double& x : v)
        x -= z;
    return v;
}

} // namespace

std::vector<std::int64_t> LogitSample::sampleRows(std::int64_t rows, int positions) {
    std::vector<std::int64_t> picked;
    const std::int64_t n = std::min<std::int64_t>(rows, std::max(positions, 0));
    for (std::int64_t k = 0; k < n; ++k)
        picked.push_back((2 * k + 1) * rows / (2 * n)); // the middle of each of n equal spans
    return picked;
}

void LogitSample::addBaseline(std::span<const float> logits) {
    const int vocab = int(logits.size());
    const int kept = std::min(vocab, kMaxTokens);
    const bool bucket = kept < vocab;
    m_width = kept + (bucket ? 1 : 0);
    const std::vector<double> lp = logSoftmax(logits);
    std::vector<std::int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    if (bucket)
        std::partial_sort(order.begin(), order.begin() + kept, order.end(),
                          [&](std::int32_t a, std::int32_t b) {
                              return lp[std::size_t(a)] > lp[std::size_t(b)];
                          });
    order.resize(std::size_t(kept));
    for (std::int32_t t : order)
        m_logProbs.push_back(float(lp[std::size_t(t)]));
    if (bucket) {
        std::vector<bool> isKept(logits.size(), false);
        for (std::int32_t t : order)
            isKept[std::size_t(t)] = true;
        std::vector<double> rest;
        for (std::size_t t = 0; t < lp.size(); ++t)
            if (!isKept[t])
                rest.push_back(lp[t]);
        m_logProbs.push_back(float(logSumExp(rest)));
    }
    m_tokens.push_back(std::move(order));
    ++m_positions;
}

void LogitSample::appendShift(int position, std::span<const float> logits,
                              std::vector<std::uint16_t>& shifts) const {
    const std::vector<std::int32_t>& kept = m_tokens[std::size_t(position)];
    const float* base = m_logProbs.data() + std::size_t(position) * std::size_t(m_width);
    const std::vector<double> lp = logSoftmax(logits);
    for (std::size_t k = 0; k < kept.size(); ++k)
        shifts.push_back(floatToHalf(float(lp[std::size_t(kept[k])] - double(base[k]))));
    if (int(kept.size()) == m_width)
        return;
    // The bucket's shift: its compressed log-mass less its FP32 log-mass.
    std::vector<bool> isKept(logits.size(), false);
    for (std::int32_t t : kept)
        isKept[std::size_t(t)] = true;
    std::vector<double> rest;
    for (std::size_t t = 0; t < lp.size(); ++t)
        if (!isKept[t])
            rest.push_back(lp[t]);
    shifts.push_back(floatToHalf(float(logSumExp(rest) - double(base[kept.size()]))));
}

double LogitSample::predictKld(std::span<const std::span<const std::uint16_t>> shifts) const {
    if (m_positions == 0 || shifts.empty())
        return 0.0;
    const auto width = std::size_t(m_width);
    std::vector<double> z(width);
    double sum = 0;
    for (std::size_t p = 0; p < std::size_t(m_positions); ++p) {
        const float* base = m_logProbs.data() + p * width;
        for (std::size_t k = 0; k < width; ++k)
            z[k] = base[k];
        for (std::span<const std::uint16_t> s : shifts)
            for (std::size_t k = 0; k < width; ++k)
                z[k] += halfToFloat(s[p * width + k]);
        const double logZ = logSumExp(z);
        double kld = 0;
        for (std::size_t k = 0; k < width; ++k)
            kld += std::exp(double(base[k])) * (double(base[k]) - (z[k] - logZ));
        sum += std::max(kld, 0.0);
    }
    return sum / double(m_positions);
}

QByteArray LogitSample::baselineBytes() const {
    QByteArray out(kMagic, sizeof kMagic);
    const std::int32_t header[2] = {qToLittleEndian(std::int32_t(m_positions)),
                                    qToLittleEndian(std::int32_t(m_width))};
    out.append(reinterpret_cast<const char*>(header), sizeof header);
    static_assert(Q_BYTE_ORDER == Q_LITTLE_ENDIAN, "the sample is written in host order");
    out.append(reinterpret_cast<const char*>(m_logProbs.data()),
               qsizetype(m_logProbs.size() * sizeof(float)));
    return out;
}

Result<LogitSample> LogitSample::fromBaselineBytes(const QByteArray& bytes) {
    const auto headerSize = qsizetype(sizeof kMagic + 2 * sizeof(std::int32_t));
    if (bytes.size() < headerSize || std::memcmp(bytes.constData(), kMagic, sizeof kMagic) != 0)
        return Error{QStringLiteral("not a logit sample")};
    std::int32_t header[2];
    std::memcpy(header, bytes.constData() + sizeof kMagic, sizeof header);
    LogitSample s;
    s.m_positions = qFromLittleEndian(header[0]);
    s.m_width = qFromLittleEndian(header[1]);
    if (s.m_positions < 0 || s.m_width < 0 ||
        bytes.size() - headerSize != qsizetype(s.shiftSize() * sizeof(float)))
        return Error{QStringLiteral("a logit sample of the wrong size")};
    s.m_logProbs.resize(s.shiftSize());
    std::memcpy(s.m_logProbs.data(), bytes.constData() + headerSize,
                s.m_logProbs.size() * sizeof(float));
    return s;
}

} // namespace cwb
