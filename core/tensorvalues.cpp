// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorvalues.h"

#include <cmath>
#include <cstdint>

namespace cwb {

std::span<const float> decodedValues(const Tensor& t, std::vector<float>& scratch) {
    const auto n = std::size_t(t.elements());
    const bool aligned = reinterpret_cast<std::uintptr_t>(t.data.data()) % alignof(float) == 0;
    if (t.type == StoredType::F32 && aligned)
        return {reinterpret_cast<const float*>(t.data.data()), n};
    scratch.resize(n);
    const StoredTypeTraits& traits = traitsOf(t.type);
    const std::size_t rowLen = std::size_t(t.rowLength());
    const std::size_t rowSize = rowBytes(traits, rowLen);
    for (std::size_t r = 0; r < n / rowLen; ++r)
        traits.dequantize(t.data.data() + r * rowSize,
                          std::span(scratch).subspan(r * rowLen, rowLen));
    return scratch;
}

double relativeRmsError(std::span<const float> a, std::span<const float> b) {
    double error = 0, norm = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        const double d = double(a[i]) - double(b[i]);
        error += d * d;
        norm += double(b[i]) * double(b[i]);
    }
    if (norm == 0)
        return error == 0 ? 0.0 : INFINITY;
    return std::sqrt(error / norm);
}

} // namespace cwb
