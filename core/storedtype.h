// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <cstdint>
#include <optional>
#include <span>

namespace cwb {

// The tensor encodings a model file can hold, numbered as ggml numbers them (the numbers are
// written into GGUF files and never change).
enum class StoredType : std::uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q8_0 = 8,
    BF16 = 30,
};

// One row of the stored-type table: how a row of elements is laid out in blocks.
struct StoredTypeTraits {
    StoredType type;
    const char* name;  // as GGUF tools print it
    int blockElements; // elements per block along a row
    int blockBytes;    // bytes per block, scales included
    // Decode `out.size()` elements (a multiple of blockElements) from `in`.
    void (*dequantize)(const std::uint8_t* in, std::span<float> out);
};

// The traits of a type id read from a file, or nullopt if we do not know it.
std::optional<StoredTypeTraits> storedTypeTraits(std::uint32_t id);
const StoredTypeTraits& traitsOf(StoredType type);

// Bytes a row of `elements` takes; `elements` must be a multiple of the block.
inline std::uint64_t rowBytes(const StoredTypeTraits& t, std::uint64_t elements) {
    return elements / std::uint64_t(t.blockElements) * std::uint64_t(t.blockBytes);
}

// GGUF's block layouts, pinned: files written by ggml are read byte for byte through these.
struct BlockQ8_0 {
    std::uint16_t d; // f16 scale
    std::int8_t qs[32];
};
struct BlockQ4_0 {
    std::uint16_t d;     // f16 scale
    std::uint8_t qs[16]; // element j in the low nibble of byte j, element j+16 in the high
};
struct BlockQ4_1 {
    std::uint16_t d; // f16 scale
    std::uint16_t m; // f16 minimum
    std::uint8_t qs[16];
};
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);

} // namespace cwb
