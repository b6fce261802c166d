// SPDX-License-Identifier: GPL-3.0-or-later
#include "packedlayout.h"

#include <cstring>

namespace cwb::kernels {
namespace {

// Where a reference block keeps its scale, minimum and quants.
struct BlockShape {
    std::uint64_t bytes;  // the whole block
    std::uint64_t quants; // offset of the quants in the block
    bool hasMin;          // an f16 minimum right after the f16 scale
};

BlockShape blockShape(PrecisionId id) {
    switch (id) {
    case PrecisionId::Int8G32:
        return {sizeof(BlockQ8_0), 2, false};
    case PrecisionId::Int4G32:
        return {sizeof(BlockQ4_0), 2, false};
    case PrecisionId::Int4G32Asym:
        return {sizeof(BlockQ4_1), 4, true};
    case PrecisionId::Int4G128:
        return {sizeof(BlockInt4G128), 2, false};
    case PrecisionId::Int2G16:
        return {sizeof(BlockInt2G16), 4, true};
    default:
        return {0, 0, false};
    }
}

bool isFloat(PrecisionId id) {
    return id == PrecisionId::Fp32 || id == PrecisionId::Fp16 || id == PrecisionId::Bf16;
}
bool isPerChannel(PrecisionId id) {
    return id == PrecisionId::Int8 || id == PrecisionId::W8A8;
}

} // namespace

PackedLayout PackedLayout::of(PrecisionId precision, std::int64_t k, std::int64_t n) {
    const PrecisionInfo& info = precisionInfo(precision);
    PackedLayout l;
    l.precision = precision;
    l.k = k;
    l.n = n;
    const auto rows = std::uint64_t(n);
    if (isFloat(precision)) {
        l.groupSize = 1;
        l.groups = 0;
        l.paddedK = k;
        l.quantRowBytes = std::uint64_t(k) * std::uint64_t(info.blockBytes);
    } else if (isPerChannel(precision)) {
        l.groupSize = k;
        l.groups = 1;
        l.paddedK = k;
        l.quantRowBytes = std::uint64_t(k);
        l.scaleBytes = 4;
    } else {
        const BlockShape b = blockShape(precision);
        l.groupSize = info.groupSize;
        l.groups = (k + info.groupSize - 1) / info.groupSize;
        l.paddedK = l.groups * l.groupSize;
        l.quantRowBytes = std::uint64_t(l.groups) * (b.bytes - b.quants);
        l.scaleBytes = 2;
    }
    l.asymmetric = blockShape(precision).hasMin;
    const std::uint64_t scaleRegion = rows * std::uint64_t(l.groups) * l.scaleBytes;
    l.minsOffset = scaleRegion;
    l.quantsOffset = l.minsOffset + (l.asymmetric ? scaleRegion : 0);
    l.totalBytes = l.quantsOffset + rows * l.quantRowBytes;
    return l;
}

void PackedLayout::packRow(const std::uint8_t* reference, std::int64_t row,
                           std::uint8_t* base) const {
    auto* q = const_cast<std::uint8_t*>(quants(base, row));
    if (groups == 0) {
        std::memcpy(q, reference, quantRowBytes);
        return;
    }
    auto* s = const_cast<std::uint8_t*>(scales(base, row));
    if (isPerChannel(precision)) { // [f32 scale][K int8]
        std::memcpy(s, reference, 4);
        std::memcpy(q, reference + 4, quantRowBytes);
        return;
    }
    const BlockShape b = blockShape(precision);
    const std::uint64_t payload = b.bytes - b.quants;
    auto* m = const_cast<std::uint8_t*>(mins(base, row));
    for (std::int64_t g = 0; g < groups; ++g) {
        const std::uint8_t* block = reference + std::uint64_t(g) * b.bytes;
        std::memcpy(s + 2 * g, block, 2);
        if (b.hasMin)
            std::memcpy(m + 2 * g, block + 2, 2);
        std::memcpy(q + std::uint64_t(g) * payload, block + b.quants, payload);
    }
}

void PackedLayout::unpackRow(const std::uint8_t* base, std::int64_t row,
                             std::uint8_t* reference) const {
    const std::uint8_t* q = quants(base, row);
    if (groups == 0) {
        std::memcpy(reference, q, quantRowBytes);
        return;
    }
    const std::uint8_t* s = scales(base, row);
    if (isPerChannel(precision)) {
        std::memcpy(reference, s, 4);
        std::memcpy(reference + 4, q, quantRowBytes);
        return;
    }
    const BlockShape b = blockShape(precision);
    const std::uint64_t payload = b.bytes - b.quants;
    const std::uint8_t* m = mins(base, row);
    for (std::int64_t g = 0; g < groups; ++g) {
        std::uint8_t* block = reference + std::uint64_t(g) * b.bytes;
        std::memcpy(block, s + 2 * g, 2);
        if (b.hasMin)
            std::memcpy(block + 2, m + 2 * g, 2);
        std::memcpy(block + b.quants, q + std::uint64_t(g) * payload, payload);
    }
}

} // namespace cwb::kernels
