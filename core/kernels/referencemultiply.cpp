// SPDX-License-Identifier: GPL-3.0-or-later
#include "packedmatrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace cwb::kernels {
namespace {

// w8a8's definition, written out in scalar code independently of the kernels.
void referenceW8A8(const QuantizedMatrix& w, const float* x, std::int64_t m, float* y) {
    const std::int64_t k = w.rowLength;
    std::vector<std::int32_t> q(static_cast<std::size_t>(k));
    for (std::int64_t i = 0; i < m; ++i) {
        const float* row = x + i * k;
        float amax = 0.0f;
        for (std::int64_t j = 0; j < k; ++j)
            amax = std::max(amax, std::abs(row[j]));
        const float scale = amax / 127.0f;
        for (std::int64_t j = 0; j < k; ++j)
            q[std::size_t(j)] = scale != 0.0f ? std::int32_t(std::round(row[j] / scale)) : 0;
        for (std::int64_t r = 0; r < w.rows; ++r) {
            const auto bytes = w.row(r);
            float wScale;
            std::memcpy(&wScale, bytes.data(), 4);
            std::int64_t dot = 0;
            for (std::int64_t j = 0; j < k; ++j)
                dot += std::int64_t(std::int8_t(bytes[std::size_t(4 + j)])) * q[std::size_t(j)];
            y[i * w.rows + r] = float(double(dot) * double(scale) * double(wScale));
        }
    }
}

} // namespace

void referenceMultiply(const QuantizedMatrix& w, const float* x, std::int64_t m, float* y) {
    if (w.precision == PrecisionId::W8A8) {
        referenceW8A8(w, x, m, y);
        return;
    }
    const std::int64_t k = w.rowLength;
    const PrecisionInfo& info = precisionInfo(w.precision);
    std::vector<float> row(static_cast<std::size_t>(k));
    for (std::int64_t r = 0; r < w.rows; ++r) {
        info.dequantizeRow(w.row(r), row);
        for (std::int64_t i = 0; i < m; ++i) {
            double sum = 0.0;
            for (std::int64_t j = 0; j < k; ++j)
                sum += double(row[std::size_t(j)]) * double(x[i * k + j]);
            y[i * w.rows + r] = float(sum);
        }
    }
}

} // namespace cwb::kernels
