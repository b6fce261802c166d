// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace cwb {

// IEEE 754 binary16 to binary32, exact for every input (subnormals, Inf, NaN).
inline float halfToFloat(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1fu;
    std::uint32_t mantissa = h & 0x3ffu;
    std::uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else { // subnormal: normalise
        exponent = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            --exponent;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    return std::bit_cast<float>(bits);
}

// binary32 to binary16, rounding to nearest even; overflow gives Inf, NaN stays NaN.
inline std::uint16_t floatToHalf(float f) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    const std::uint16_t sign = std::uint16_t((x >> 16) & 0x8000u);
    const std::uint32_t absx = x & 0x7fffffffu;
    if (absx > 0x7f800000u)
        return sign | 0x7e00u; // NaN
    if (absx >= 0x477ff000u)   // rounds to >= 65536: Inf
        return sign | 0x7c00u;
    if (absx < 0x38800000u) { // below the smallest normal half: subnormal or zero
        // Adding 0.5 (2^-1) pushes the value so the FPU's own round-to-nearest-even
        // lands the half-subnormal bits in the low mantissa.
        const float shifted = std::bit_cast<float>(absx) + 0.5f;
        return sign | std::uint16_t(std::bit_cast<std::uint32_t>(shifted) - 0x3f000000u);
    }
    const std::uint32_t mantissaOdd = (absx >> 13) & 1u;
    std::uint32_t rounded = absx + 0xc8000fffu + mantissaOdd; // rebias exponent, round
    return sign | std::uint16_t(rounded >> 13);
}

inline float bf16ToFloat(std::uint16_t b) {
    return std::bit_cast<float>(std::uint32_t(b) << 16);
}

// binary32 to bfloat16, rounding to nearest even; NaN stays NaN.
inline std::uint16_t floatToBf16(float f) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return std::uint16_t((x >> 16) | 0x40u);
    return std::uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

} // namespace cwb
