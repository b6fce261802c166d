// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "packedlayout.h"

#include <cstdint>
#include <vector>

namespace cwb::kernels {

// x in block floating point for the VNNI 4-bit kernels: per weight group one f32 scale s and per
// value a 24-bit integer X with x ≈ s·X/65536, |X| ≤ 126·65536, so the representation error is at
// most 2^-24 of the group's largest |x| (f32's own rounding at that value). X is split into three
// signed base-256 digits, laid out to match the code bytes (avx512kernels.cpp), so that VPDPBUSD
// computes Σ code·X exactly in int32.
struct BlockActivations {
    std::vector<std::int8_t> digits;      // per 128-weight chunk: [digit 0..2][low, high half][64]
    std::vector<std::int32_t> correction; // per chunk and lane: 8·ΣX (the symmetric codes' offset)
    std::vector<float> laneScale;         // per chunk and lane: s/65536 of the lane's group
};

// One activation row as the GEMV kernels read it (see ActivationRow).
struct GemvTask {
    const PackedLayout* layout = nullptr;
    const std::uint8_t* data = nullptr;
    const float* x = nullptr;               // zero-padded past K to a multiple of 64
    const float* groupSums = nullptr;       // Σx per group, zero-padded to a multiple of 16 groups
    const float* transposed = nullptr;      // int2_g16: x regrouped so a lane is a group
    const std::int8_t* quantized = nullptr; // w8a8: per-token codes, zero-padded
    const std::uint8_t* shifted = nullptr;  // w8a8: the codes + 128, the unsigned VNNI operand
    float scale = 0.0f;                     // w8a8: the codes' scale
    const BlockActivations* blocks = nullptr; // the VNNI 4-bit kernels' form of x
    float* y = nullptr;
};

// y[r] = x · row r, for rows [rowBegin, rowEnd).
using GemvKernel = void (*)(const GemvTask& task, std::int64_t rowBegin, std::int64_t rowEnd);
// Rows [rowBegin, rowEnd) as f32, K values each, row after row into `out`.
using DequantizeKernel = void (*)(const PackedLayout& layout, const std::uint8_t* data,
                                  std::int64_t rowBegin, std::int64_t rowEnd, float* out);

// The kernel column of the precision table, for one instruction set.
// Fills BlockActivations from x (zero-padded to the layout's padded length).
using BlockActivationKernel = void (*)(const PackedLayout& layout, const float* x,
                                       BlockActivations& out);

// The kernel column of the precision table, for one instruction set.
struct KernelSet {
    GemvKernel gemv = nullptr;
    DequantizeKernel dequantize = nullptr;
    BlockActivationKernel blockActivations = nullptr; // set when gemv reads GemvTask::blocks
};

// Scalar code through the precision table's reference dequantizer: correct on every CPU.
KernelSet portableKernels(PrecisionId precision);
// Hand-written AVX-512 kernels; call only when cpuFeatures().avx512 (w8a8: avx512Vnni).
// A member is null where that precision has no such kernel.
KernelSet avx512Kernels(PrecisionId precision);
// The 4-bit formats on AVX-512 VNNI (the others: empty); call only when cpuFeatures().avx512Vnni.
KernelSet avx512VnniKernels(PrecisionId precision);
// The fastest set this CPU runs, member by member.
KernelSet bestKernels(PrecisionId precision);

} // namespace cwb::kernels
