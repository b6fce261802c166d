// SPDX-License-Identifier: GPL-3.0-or-later
// The 4-bit GEMV kernels on AVX-512 VNNI. Converting every code to f32 costs a VPERMPS per 16
// weights on the one port that shuffles, which caps the f32 kernels (avx512kernels.cpp) below
// memory speed; VPDPBUSD instead takes 64 codes at once as bytes. So x comes in block floating
// point (BlockActivations: a 24-bit integer per value, three signed digits, one f32 scale per
// group), the codes × digits products are summed exactly in int32, and each group's sum is scaled
// once in f32. The activation keeps f32's precision at its group's largest value; it is not
// quantized the way w8a8 quantizes it.
//
// A chunk is 64 code bytes = 128 weights in the reference nibble order: the low nibbles of the 64
// bytes form one byte vector, the high nibbles another, and the digits are laid out alike. Lane i
// of a VPDPBUSD result sums bytes 4i..4i+3 of both, all from group 8i/G of the chunk.
#include "kerneltable.h"
#include "targets.h"

#include <algorithm>
#include <cstring>

namespace cwb::kernels {
namespace {

constexpr int kRows = 4;
// How far ahead each row stream fetches its codes, in rows: the row 6 rows on, which a later
// pass reads. Measured on 1 KiB rows (K = 2048): 4 or 8 rows ahead (a multiple of 4 KiB away)
// streamed int4_g128 at 14–17 GB/s, 2, 3 or 6 rows at 23–25 GB/s; on 2.8 KiB rows (K = 5632)
// 2 rows was too close (16–17 GB/s), 6 and 8 rows ~23 GB/s.
constexpr std::uint64_t kPrefetchRows = 6;
constexpr int kChunkBytes = 64;
constexpr int kDigitBytes = 3 * 2 * kChunkBytes; // digits of one chunk

CWB_TARGET_AVX512_VNNI inline __mmask16 lanes16(std::int64_t n) {
    return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<std::int64_t>(n, 0)) - 1);
}

CWB_TARGET_AVX512_VNNI inline void prefetchLine(const std::uint8_t* p) {
    _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
}

// Σ codes·X per lane for one chunk: three digit sums recombined, exact in int32 (a lane sums 8
// products of |code| ≤ 15 and |X| ≤ 126·65536 + 128: below 2^30).
CWB_TARGET_AVX512_VNNI inline __m512i digitDot(__m512i low, __m512i high, const std::int8_t* d) {
    const __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), low, _mm512_loadu_si512(d));
    return _mm512_dpbusd_epi32(sum, high, _mm512_loadu_si512(d + kChunkBytes));
}

CWB_TARGET_AVX512_VNNI inline __m512i chunkDot(__m512i low, __m512i high, const std::int8_t* d) {
    const __m512i t0 = digitDot(low, high, d);
    const __m512i t1 = digitDot(low, high, d + 2 * kChunkBytes);
    const __m512i t2 = digitDot(low, high, d + 4 * kChunkBytes);
    return _mm512_add_epi32(_mm512_add_epi32(_mm512_slli_epi32(t2, 16), _mm512_slli_epi32(t1, 8)),
                            t0);
}

template <int G, bool Symmetric, int R>
CWB_TARGET_AVX512_VNNI void int4Rows(const GemvTask& t, std::int64_t r0) {
    constexpr int groupsPerChunk = 128 / G;
    constexpr int chunksPerWindow = 16 / groupsPerChunk; // 16 groups: one f16 scale vector
    const PackedLayout& l = *t.layout;
    const BlockActivations& b = *t.blocks;
    const __m512i nibble = _mm512_set1_epi8(0x0f);
    // Lane i's group within the chunk: 8i/G (G = 32: i/4; G = 128: 0).
    const __m512i laneGroup = _mm512_srli_epi32(
        _mm512_setr_epi32(0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120),
        G == 32 ? 5 : 7);
    const std::uint64_t ahead = kPrefetchRows * l.quantRowBytes;
    const std::uint8_t* q[R];
    __m512 acc[R]; // the minimums' Σ m·Σx joins it: no more registers to spill
    for (int j = 0; j < R; ++j) {
        q[j] = l.quants(t.data, r0 + j);
        acc[j] = _mm512_setzero_ps();
    }
    const std::int64_t codeBytes = l.groups * G / 2;
    for (std::int64_t g0 = 0; g0 < l.groups; g0 += 16) {
        const std::int64_t n = std::min<std::int64_t>(16, l.groups - g0);
        __m512 scale[R];
        for (int j = 0; j < R; ++j) {
            // Scales (and minimums) are short per row: a block of rows reads too few lines of
            // them for the hardware prefetcher to follow, so they are fetched ahead too.
            prefetchLine(l.scales(t.data, r0 + j + 2 * R) + 2 * g0);
            if constexpr (!Symmetric)
                prefetchLine(l.mins(t.data, r0 + j + 2 * R) + 2 * g0);
            scale[j] = _mm512_cvtph_ps(
                _mm256_maskz_loadu_epi16(lanes16(n), l.scales(t.data, r0 + j) + 2 * g0));
            if constexpr (!Symmetric)
                acc[j] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(
                                             lanes16(n), l.mins(t.data, r0 + j) + 2 * g0)),
                                         _mm512_loadu_ps(t.groupSums + g0), acc[j]);
        }
        const std::int64_t firstChunk = g0 / groupsPerChunk;
        for (int c = 0; c < chunksPerWindow; ++c) {
            const std::int64_t chunk = firstChunk + c;
            const std::int64_t offset = chunk * kChunkBytes;
            if (offset >= codeBytes)
                break;
            const std::int64_t bytes = std::min<std::int64_t>(kChunkBytes, codeBytes - offset);
            const __mmask64 m = bytes == kChunkBytes ? ~__mmask64(0) : (__mmask64(1) << bytes) - 1;
            const std::int8_t* digits = b.digits.data() + chunk * kDigitBytes;
            const __m512 xScale = _mm512_loadu_ps(b.laneScale.data() + chunk * 16);
            const __m512i groupIndex =
                _mm512_add_epi32(laneGroup, _mm512_set1_epi32(c * groupsPerChunk));
#pragma GCC unroll 4
            for (int j = 0; j < R; ++j) {
                prefetchLine(q[j] + offset + ahead);
                const __m512i v = _mm512_maskz_loadu_epi8(m, q[j] + offset);
                const __m512i low = _mm512_and_si512(v, nibble);
                const __m512i high = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
                __m512i dot = chunkDot(low, high, digits);
                if constexpr (Symmetric) // codes are q; the weights q − 8
                    dot =
                        _mm512_sub_epi32(dot, _mm512_loadu_si512(b.correction.data() + chunk * 16));
                const __m512 laneScale =
                    _mm512_mul_ps(_mm512_permutexvar_ps(groupIndex, scale[j]), xScale);
                acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), laneScale, acc[j]);
            }
        }
    }
    for (int j = 0; j < R; ++j)
        t.y[r0 + j] = _mm512_reduce_add_ps(acc[j]);
}

template <int G, bool Symmetric>
void int4AllRows(const GemvTask& t, std::int64_t b, std::int64_t e) {
    std::int64_t r = b;
    for (; r + kRows <= e; r += kRows)
        int4Rows<G, Symmetric, kRows>(t, r);
    for (; r < e; ++r)
        int4Rows<G, Symmetric, 1>(t, r);
}

// x → BlockActivations for groups of G: s = max|x|/126 per group, X = round(x · 65536/s), and
// X's balanced base-256 digits c0 + 256·c1 + 65536·c2, each in [−128, 127].
template <int G>
CWB_TARGET_AVX512_VNNI void blockActivations(const PackedLayout& l, const float* x,
                                             BlockActivations& out) {
    constexpr int groupsPerChunk = 128 / G;
    const std::int64_t chunks = (l.groups + groupsPerChunk - 1) / groupsPerChunk;
    out.digits.assign(std::size_t(chunks * kDigitBytes), 0);
    out.correction.assign(std::size_t(chunks * 16), 0);
    out.laneScale.assign(std::size_t(chunks * 16), 0.0f);
    const __m512 signBit = _mm512_set1_ps(-0.0f);
    const __m512i bias = _mm512_set1_epi32(128), low8 = _mm512_set1_epi32(255);
    for (std::int64_t g = 0; g < l.groups; ++g) {
        const float* xg = x + g * G;
        __m512 amax = _mm512_setzero_ps();
        for (int e = 0; e < G; e += 16)
            amax = _mm512_max_ps(amax, _mm512_andnot_ps(signBit, _mm512_loadu_ps(xg + e)));
        const float s = _mm512_reduce_max_ps(amax) / 126.0f;
        const __m512 toInteger = _mm512_set1_ps(s > 0.0f ? 65536.0f / s : 0.0f);
        const std::int64_t chunk = g / groupsPerChunk;
        const int within = int(g % groupsPerChunk) * (G / 2); // first byte of the group's half
        std::int8_t* digits = out.digits.data() + chunk * kDigitBytes;
        for (int e = 0; e < G; e += 16) {
            const __m512i value =
                _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xg + e), toInteger));
            const __m512i c0 =
                _mm512_sub_epi32(_mm512_and_si512(_mm512_add_epi32(value, bias), low8), bias);
            const __m512i rest = _mm512_srai_epi32(_mm512_sub_epi32(value, c0), 8);
            const __m512i c1 =
                _mm512_sub_epi32(_mm512_and_si512(_mm512_add_epi32(rest, bias), low8), bias);
            const __m512i c2 = _mm512_srai_epi32(_mm512_sub_epi32(rest, c1), 8);
            const int half = e / (G / 2), byte = within + e % (G / 2);
            std::int8_t* at = digits + half * kChunkBytes + byte;
            _mm_storeu_si128(reinterpret_cast<__m128i*>(at), _mm512_cvtepi32_epi8(c0));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(at + 2 * kChunkBytes),
                             _mm512_cvtepi32_epi8(c1));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(at + 4 * kChunkBytes),
                             _mm512_cvtepi32_epi8(c2));
        }
        float* laneScale = out.laneScale.data() + chunk * 16 + within / 4;
        std::fill_n(laneScale, G / 8, s / 65536.0f);
    }
    // The symmetric kernels read codes q for weights q − 8: 8·ΣX per lane, by the same
    // instructions the kernel uses, with every code 8.
    const __m512i eights = _mm512_set1_epi8(8);
    for (std::int64_t c = 0; c < chunks; ++c)
        _mm512_storeu_si512(out.correction.data() + c * 16,
                            chunkDot(eights, eights, out.digits.data() + c * kDigitBytes));
}

} // namespace

KernelSet avx512VnniKernels(PrecisionId precision) {
    switch (precision) {
    case PrecisionId::Int4G32:
        return {int4AllRows<32, true>, nullptr, blockActivations<32>};
    case PrecisionId::Int4G32Asym:
        return {int4AllRows<32, false>, nullptr, blockActivations<32>};
    case PrecisionId::Int4G128:
        return {int4AllRows<128, true>, nullptr, blockActivations<128>};
    default:
        return {};
    }
}

} // namespace cwb::kernels
