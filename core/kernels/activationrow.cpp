// SPDX-License-Identifier: GPL-3.0-or-later
#include "activationrow.h"

#include "activationquantizer.h"

#include <algorithm>

namespace cwb::kernels {
namespace {

std::size_t roundUp(std::int64_t v, std::int64_t to) {
    return std::size_t((v + to - 1) / to * to);
}

} // namespace

void ActivationRow::prepare(const PackedLayout& layout, const float* x, const KernelSet& kernels) {
    const std::int64_t k = layout.k;
    m_x.assign(roundUp(std::max(layout.paddedK, std::int64_t(1)), 64), 0.0f);
    std::copy_n(x, k, m_x.begin());
    const PrecisionId id = layout.precision;
    if (layout.hasMins()) {
        m_sums.assign(roundUp(layout.groups, 16), 0.0f);
        for (std::int64_t g = 0; g < layout.groups; ++g) {
            float sum = 0.0f;
            for (std::int64_t j = 0; j < layout.groupSize; ++j)
                sum += m_x[std::size_t(g * layout.groupSize + j)];
            m_sums[std::size_t(g)] = sum;
        }
    }
    if (id == PrecisionId::Int2G16) {
        // Chunk c of 16 groups: vector e holds element e of each group, lane i = group 16c + i.
        const std::size_t chunks = roundUp(layout.groups, 16) / 16;
        m_transposed.assign(chunks * 256, 0.0f);
        for (std::int64_t g = 0; g < layout.groups; ++g)
            for (std::int64_t e = 0; e < 16; ++e)
                m_transposed[std::size_t(g / 16 * 256 + e * 16 + g % 16)] =
                    m_x[std::size_t(g * 16 + e)];
    }
    if (kernels.blockActivations)
        kernels.blockActivations(layout, m_x.data(), m_blocks);
    if (id == PrecisionId::W8A8) {
        m_quantized.assign(roundUp(std::max(k, std::int64_t(1)), 64), 0);
        m_scale = quantizeActivations(x, k, m_quantized.data());
        m_shifted.resize(m_quantized.size());
        for (std::size_t i = 0; i < m_quantized.size(); ++i)
            m_shifted[i] = std::uint8_t(std::uint8_t(m_quantized[i]) ^ 0x80u);
    }
}

GemvTask ActivationRow::task(const PackedLayout& layout, const std::uint8_t* data, float* y) const {
    GemvTask t;
    t.layout = &layout;
    t.data = data;
    t.x = m_x.data();
    t.groupSums = m_sums.data();
    t.transposed = m_transposed.data();
    t.quantized = m_quantized.data();
    t.shifted = m_shifted.data();
    t.scale = m_scale;
    t.blocks = &m_blocks;
    t.y = y;
    return t;
}

} // namespace cwb::kernels
