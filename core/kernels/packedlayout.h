// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "precision.h"

#include <cstdint>

namespace cwb::kernels {

// Where a PackedMatrix keeps its bytes. The precision table's reference layout interleaves
// scales with quants (GGUF blocks); the kernels want each row's quants contiguous so they stream
// with whole vector loads, and a row's scales together so they convert 16 at a time. So a packed
// matrix is three regions, each row-major over the N rows:
//   scales [N][groups]         f16 (f32 for the per-channel int8 formats), first so they align
//   mins   [N][groups]         f16, asymmetric formats only
//   quants [N][quantRowBytes]  the block payloads, each in its reference bit order
// The regions hold exactly the reference bytes rearranged: the total equals
// N × packedRowBytes(K), so packing never grows a model.
struct PackedLayout {
    PrecisionId precision = PrecisionId::Fp32;
    std::int64_t k = 0;         // values per row
    std::int64_t n = 0;         // rows
    std::int64_t groupSize = 1; // values per scale; K for per-channel int8, 1 for floats
    std::int64_t groups = 0;    // scales per row (0 for floats)
    std::int64_t paddedK = 0;   // groups × groupSize: the activation length the kernels read
    std::uint64_t quantRowBytes = 0;
    std::uint64_t scaleBytes = 0; // bytes of one scale (and of one minimum)
    bool asymmetric = false;      // a minimum per group
    std::uint64_t minsOffset = 0;
    std::uint64_t quantsOffset = 0;
    std::uint64_t totalBytes = 0;

    static PackedLayout of(PrecisionId precision, std::int64_t k, std::int64_t n);

    bool hasMins() const { return asymmetric; }
    const std::uint8_t* quants(const std::uint8_t* base, std::int64_t row) const {
        return base + quantsOffset + std::uint64_t(row) * quantRowBytes;
    }
    const std::uint8_t* scales(const std::uint8_t* base, std::int64_t row) const {
        return base + std::uint64_t(row) * std::uint64_t(groups) * scaleBytes;
    }
    const std::uint8_t* mins(const std::uint8_t* base, std::int64_t row) const {
        return base + minsOffset + std::uint64_t(row) * std::uint64_t(groups) * scaleBytes;
    }

    // Scatters one row from the reference layout (packedRowBytes(K) bytes) into `base`.
    void packRow(const std::uint8_t* reference, std::int64_t row, std::uint8_t* base) const;
    // Gathers one row back into the reference layout.
    void unpackRow(const std::uint8_t* base, std::int64_t row, std::uint8_t* reference) const;
};

} // namespace cwb::kernels
