// SPDX-License-Identifier: GPL-3.0-or-later
#include "storedtype.h"

#include "halffloat.h"

#include <array>
#include <cstring>

namespace cwb {
namespace {

void dequantizeF32(const std::uint8_t* in, std::span<float> out) {
    std::memcpy(out.data(), in, out.size_bytes());
}

void dequantizeF16(const std::uint8_t* in, std::span<float> out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::uint16_t h;
        std::memcpy(&h, in + 2 * i, 2);
        out[i] = halfToFloat(h);
    }
}

void dequantizeBF16(const std::uint8_t* in, std::span<float> out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::uint16_t b;
        std::memcpy(&b, in + 2 * i, 2);
        out[i] = bf16ToFloat(b);
    }
}

void dequantizeQ8_0(const std::uint8_t* in, std::span<float> out) {
    for (std::size_t b = 0; b < out.size() / 32; ++b) {
        BlockQ8_0 block;
        std::memcpy(&block, in + b * sizeof block, sizeof block);
        const float d = halfToFloat(block.d);
        for (int j = 0; j < 32; ++j)
            out[b * 32 + j] = float(block.qs[j]) * d;
    }
}

void dequantizeQ4_0(const std::uint8_t* in, std::span<float> out) {
    for (std::size_t b = 0; b < out.size() / 32; ++b) {
        BlockQ4_0 block;
        std::memcpy(&block, in + b * sizeof block, sizeof block);
        const float d = halfToFloat(block.d);
        for (int j = 0; j < 16; ++j) {
            out[b * 32 + j] = float(int(block.qs[j] & 0x0f) - 8) * d;
            out[b * 32 + j + 16] = float(int(block.qs[j] >> 4) - 8) * d;
        }
    }
}

void dequantizeQ4_1(const std::uint8_t* in, std::span<float> out) {
    for (std::size_t b = 0; b < out.size() / 32; ++b) {
        BlockQ4_1 block;
        std::memcpy(&block, in + b * sizeof block, sizeof block);
        const float d = halfToFloat(block.d);
        const float m = halfToFloat(block.m);
        for (int j = 0; j < 16; ++j) {
            out[b * 32 + j] = float(block.qs[j] & 0x0f) * d + m;
            out[b * 32 + j + 16] = float(block.qs[j] >> 4) * d + m;
        }
    }
}

const std::array<StoredTypeTraits, 6> kStoredTypes = {{
    {StoredType::F32, "F32", 1, 4, dequantizeF32},
    {StoredType::F16, "F16", 1, 2, dequantizeF16},
    {StoredType::Q4_0, "Q4_0", 32, sizeof(BlockQ4_0), dequantizeQ4_0},
    {StoredType::Q4_1, "Q4_1", 32, sizeof(BlockQ4_1), dequantizeQ4_1},
    {StoredType::Q8_0, "Q8_0", 32, sizeof(BlockQ8_0), dequantizeQ8_0},
    {StoredType::BF16, "BF16", 1, 2, dequantizeBF16},
}};

} // namespace

std::optional<StoredTypeTraits> storedTypeTraits(std::uint32_t id) {
    for (const auto& t : kStoredTypes)
        if (std::uint32_t(t.type) == id)
            return t;
    return std::nullopt;
}

const StoredTypeTraits& traitsOf(StoredType type) {
    for (const auto& t : kStoredTypes)
        if (t.type == type)
            return t;
    return kStoredTypes[0]; // unreachable: every enumerator is in the table
}

} // namespace cwb
