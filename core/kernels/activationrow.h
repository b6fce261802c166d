// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "kerneltable.h"

#include <vector>

namespace cwb::kernels {

// One token's activations laid out for a layout's GEMV kernels: padded so kernels load whole
// vectors, with the per-group sums the asymmetric formats need (Σ (q·d + m)·x = d·Σq·x + m·Σx),
// the int2 regrouping, w8a8's per-token codes and the VNNI kernels' block floating point. O(K)
// work, done once per token instead of once per row.
class ActivationRow {
public:
    void prepare(const PackedLayout& layout, const float* x, const KernelSet& kernels);
    GemvTask task(const PackedLayout& layout, const std::uint8_t* data, float* y) const;

private:
    std::vector<float> m_x, m_sums, m_transposed;
    std::vector<std::int8_t> m_quantized;
    std::vector<std::uint8_t> m_shifted;
    float m_scale = 0.0f;
    BlockActivations m_blocks;
};

} // namespace cwb::kernels
