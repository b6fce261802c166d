// SPDX-License-Identifier: GPL-3.0-or-later
// The portable kernels: each row goes back to the reference layout and through the precision
// table's own dequantizer, so they are right wherever the table is, at scalar speed.
#include "kerneltable.h"

#include <cstring>
#include <vector>

namespace cwb::kernels {
namespace {

void dequantizeRows(const PackedLayout& layout, const std::uint8_t* data, std::int64_t rowBegin,
                    std::int64_t rowEnd, float* out) {
    thread_local std::vector<std::uint8_t> reference;
    reference.resize(packedRowBytes(layout.precision, layout.k));
    const PrecisionInfo& info = precisionInfo(layout.precision);
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        layout.unpackRow(data, r, reference.data());
        info.dequantizeRow(reference,
                           std::span(out + (r - rowBegin) * layout.k, std::size_t(layout.k)));
    }
}

void gemvFloat(const GemvTask& t, std::int64_t rowBegin, std::int64_t rowEnd) {
    thread_local std::vector<float> row;
    const std::int64_t k = t.layout->k;
    row.resize(std::size_t(k));
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        dequantizeRows(*t.layout, t.data, r, r + 1, row.data());
        float sum = 0.0f;
        for (std::int64_t i = 0; i < k; ++i)
            sum += row[std::size_t(i)] * t.x[i];
        t.y[r] = sum;
    }
}

// w8a8: the int32 dot of the codes, then both scales.
void gemvW8A8(const GemvTask& t, std::int64_t rowBegin, std::int64_t rowEnd) {
    const PackedLayout& l = *t.layout;
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        const auto* w = reinterpret_cast<const std::int8_t*>(l.quants(t.data, r));
        std::int32_t dot = 0;
        for (std::int64_t i = 0; i < l.k; ++i)
            dot += std::int32_t(w[i]) * std::int32_t(t.quantized[i]);
        float scale;
        std::memcpy(&scale, l.scales(t.data, r), 4);
        t.y[r] = float(dot) * t.scale * scale;
    }
}

} // namespace

KernelSet portableKernels(PrecisionId precision) {
    if (precision == PrecisionId::W8A8)
        return {gemvW8A8, dequantizeRows};
    return {gemvFloat, dequantizeRows};
}

} // namespace cwb::kernels
