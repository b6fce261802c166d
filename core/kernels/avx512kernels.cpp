// SPDX-License-Identifier: GPL-3.0-or-later
// The AVX-512 GEMV and dequantize kernels. Decode reads every weight once, so each kernel is
// built to keep up with memory: R rows per pass share each activation load, quants become floats
// with as few port-5 shuffles as we could find, and scales are applied once per group.
//
// The 4-bit and 2-bit kernels turn a code into its weight with one VPERMPS: a zmm holds 16
// floats, VPERMPS reads only the low 4 bits of each index lane, so a table of the 16 possible
// weights (codes times the group's scale, plus its minimum) maps packed nibbles to floats without
// masking them out first.
#include "kerneltable.h"
#include "targets.h"

#include <algorithm>
#include <cstring>

namespace cwb::kernels {
namespace {

constexpr int kRows = 4; // rows per pass
constexpr std::uint64_t kPrefetchRows = 6;

// Each row stream fetches ahead the same position of the row kPrefetchRows further on, which a
// later pass reads (avx512vnnikernels.cpp tells how far was measured best): the hardware prefetcher
// alone, tracking R short streams per core, leaves the low-bit kernels (which spend more time per
// byte than fp32) waiting on memory.
CWB_TARGET_AVX512 inline void prefetch(const std::uint8_t* p) {
    _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
}

CWB_TARGET_AVX512 inline __mmask16 lanes(std::int64_t n) {
    return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<std::int64_t>(n, 0)) - 1);
}

// 16 f16 scales (fewer at a row's end: the rest read as 0) as floats.
CWB_TARGET_AVX512 inline __m512 halves(const std::uint8_t* p, std::int64_t n) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(lanes(n), p));
}

CWB_TARGET_AVX512 inline __m512 loadCodes16(const std::uint8_t* p) {
    return _mm512_castsi512_ps(
        _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

CWB_TARGET_AVX512 inline __m512i bytesToLanes(const std::uint8_t* p) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Stores the values of positions [start, start + 16) that lie before k.
CWB_TARGET_AVX512 inline void storeClipped(float* out, std::int64_t start, std::int64_t k,
                                           __m512 v) {
    _mm512_mask_storeu_ps(out + start, lanes(k - start), v);
}

// --- floats and per-channel int8: one weight per element ----------------------------------------

struct Fp32Values {
    static constexpr int bytes = 4;
    CWB_TARGET_AVX512 static __m512 load(const std::uint8_t* p, __mmask16 m) {
        return _mm512_maskz_loadu_ps(m, p);
    }
};
struct Fp16Values {
    static constexpr int bytes = 2;
    CWB_TARGET_AVX512 static __m512 load(const std::uint8_t* p, __mmask16 m) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
    }
};
struct Bf16Values {
    static constexpr int bytes = 2;
    CWB_TARGET_AVX512 static __m512 load(const std::uint8_t* p, __mmask16 m) {
        const __m512i wide = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p));
        return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    }
};
struct Int8Values {
    static constexpr int bytes = 1;
    CWB_TARGET_AVX512 static __m512 load(const std::uint8_t* p, __mmask16 m) {
        return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p)));
    }
};

template <typename V, int R> CWB_TARGET_AVX512 void valueRows(const GemvTask& t, std::int64_t r0) {
    const PackedLayout& l = *t.layout;
    const std::int64_t k = l.k;
    const std::uint8_t* w[R];
    __m512 acc[R];
    for (int j = 0; j < R; ++j) {
        w[j] = l.quants(t.data, r0 + j);
        acc[j] = _mm512_setzero_ps();
    }
    const std::uint64_t ahead = kPrefetchRows * l.quantRowBytes;
    constexpr int perLine = 64 / V::bytes; // weights in one cache line
    std::int64_t i = 0;
    for (; i + perLine <= k; i += perLine) {
        for (int j = 0; j < R; ++j)
            prefetch(w[j] + i * V::bytes + ahead);
#pragma GCC unroll 4
        for (int v = 0; v < perLine; v += 16) {
            const __m512 x = _mm512_loadu_ps(t.x + i + v);
#pragma GCC unroll 4
            for (int j = 0; j < R; ++j)
                acc[j] = _mm512_fmadd_ps(V::load(w[j] + (i + v) * V::bytes, 0xffff), x, acc[j]);
        }
    }
    for (; i + 16 <= k; i += 16) {
        const __m512 x = _mm512_loadu_ps(t.x + i);
        for (int j = 0; j < R; ++j)
            acc[j] = _mm512_fmadd_ps(V::load(w[j] + i * V::bytes, 0xffff), x, acc[j]);
    }
    if (i < k) {
        const __m512 x = _mm512_loadu_ps(t.x + i); // zero past k
        for (int j = 0; j < R; ++j)
            acc[j] = _mm512_fmadd_ps(V::load(w[j] + i * V::bytes, lanes(k - i)), x, acc[j]);
    }
    for (int j = 0; j < R; ++j) {
        float sum = _mm512_reduce_add_ps(acc[j]);
        if constexpr (V::bytes == 1) { // int8: one f32 scale per row
            float scale;
            std::memcpy(&scale, l.scales(t.data, r0 + j), 4);
            sum *= scale;
        }
        t.y[r0 + j] = sum;
    }
}

// --- int8_g32 (Q8_0) ---------------------------------------------------------------------------

template <int R> CWB_TARGET_AVX512 void int8G32Rows(const GemvTask& t, std::int64_t r0) {
    const PackedLayout& l = *t.layout;
    const std::uint8_t* q[R];
    const std::uint8_t* s[R];
    __m512 acc[R];
    for (int j = 0; j < R; ++j) {
        q[j] = l.quants(t.data, r0 + j);
        s[j] = l.scales(t.data, r0 + j);
        acc[j] = _mm512_setzero_ps();
    }
    const std::uint64_t ahead = kPrefetchRows * l.quantRowBytes;
    alignas(64) float scale[R][16];
    for (std::int64_t g0 = 0; g0 < l.groups; g0 += 16) {
        const std::int64_t n = std::min<std::int64_t>(16, l.groups - g0);
        for (int j = 0; j < R; ++j) {
            _mm512_store_ps(scale[j], halves(s[j] + 2 * g0, n));
            prefetch(l.scales(t.data, r0 + j + 2 * R) + 2 * g0); // see int4Rows
        }
        for (std::int64_t gi = 0; gi < n; ++gi) {
            const std::int64_t g = g0 + gi;
            const __m512 x0 = _mm512_loadu_ps(t.x + 32 * g),
                         x1 = _mm512_loadu_ps(t.x + 32 * g + 16);
#pragma GCC unroll 4
            for (int j = 0; j < R; ++j) {
                const std::uint8_t* p = q[j] + 32 * g;
                if (g % 2 == 0)
                    prefetch(p + ahead);
                __m512 dot = _mm512_mul_ps(Int8Values::load(p, 0xffff), x0);
                dot = _mm512_fmadd_ps(Int8Values::load(p + 16, 0xffff), x1, dot);
                acc[j] = _mm512_fmadd_ps(dot, _mm512_set1_ps(scale[j][gi]), acc[j]);
            }
        }
    }
    for (int j = 0; j < R; ++j)
        t.y[r0 + j] = _mm512_reduce_add_ps(acc[j]);
}

// --- int4: Q4_0 and Q4_1 (groups of 32), int4_g128
// ------------------------------------------------

// The weights a code can stand for before scaling: q − 8 for the symmetric formats, q for the
// asymmetric one (its minimum is added through the group sums of x).
CWB_TARGET_AVX512 inline __m512 codeTable(bool symmetric) {
    const __m512 codes = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return symmetric ? _mm512_sub_ps(codes, _mm512_set1_ps(8.0f)) : codes;
}

// A group of G codes in the reference nibble order: byte b of the group holds element b in its
// low nibble and element b + G/2 in its high nibble.
template <int G, bool Symmetric, int R>
CWB_TARGET_AVX512 void int4Rows(const GemvTask& t, std::int64_t r0) {
    constexpr int pieces = G / 32; // 16-byte loads per group
    const PackedLayout& l = *t.layout;
    const __m512 codes = codeTable(Symmetric);
    const std::uint8_t* q[R];
    const std::uint8_t* s[R];
    __m512 lo[R], hi[R], mins[R];
    for (int j = 0; j < R; ++j) {
        q[j] = l.quants(t.data, r0 + j);
        s[j] = l.scales(t.data, r0 + j);
        lo[j] = hi[j] = mins[j] = _mm512_setzero_ps();
    }
    const std::uint64_t ahead = kPrefetchRows * l.quantRowBytes;
    constexpr int groupsPerLine = 128 / G;
    alignas(64) float scale[R][16];
    for (std::int64_t g0 = 0; g0 < l.groups; g0 += 16) {
        const std::int64_t n = std::min<std::int64_t>(16, l.groups - g0);
        for (int j = 0; j < R; ++j) {
            _mm512_store_ps(scale[j], halves(s[j] + 2 * g0, n));
            // Scales are too short a stream per row for the hardware prefetcher to follow.
            prefetch(l.scales(t.data, r0 + j + 2 * R) + 2 * g0);
            if constexpr (!Symmetric) // Σ m·Σx over these 16 groups
                mins[j] = _mm512_fmadd_ps(halves(l.mins(t.data, r0 + j) + 2 * g0, n),
                                          _mm512_loadu_ps(t.groupSums + g0), mins[j]);
        }
        for (std::int64_t gi = 0; gi < n; ++gi) {
            const std::int64_t g = g0 + gi;
            const float* x = t.x + G * g;
#pragma GCC unroll 4
            for (int j = 0; j < R; ++j) {
                const __m512 table = _mm512_mul_ps(codes, _mm512_set1_ps(scale[j][gi]));
                const std::uint8_t* p = q[j] + G / 2 * g;
                if (g % groupsPerLine == 0)
                    prefetch(p + ahead);
#pragma GCC unroll 4
                for (int piece = 0; piece < pieces; ++piece) {
                    const __m512i c = bytesToLanes(p + 16 * piece);
                    lo[j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(c, table),
                                            _mm512_loadu_ps(x + 16 * piece), lo[j]);
                    hi[j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(c, 4), table),
                                            _mm512_loadu_ps(x + G / 2 + 16 * piece), hi[j]);
                }
            }
        }
    }
    for (int j = 0; j < R; ++j)
        t.y[r0 + j] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(lo[j], hi[j]), mins[j]));
}

// --- int2_g16 ----------------------------------------------------------------------------------

// A group's 16 codes fill one 32-bit word (byte j: elements j, j+4, j+8, j+12 from bit 0 up), so a
// zmm of 16 words is 16 groups, lane i = group i. Shifting the whole vector by 2 bits at a time
// walks every lane through its 16 codes in step; x arrives regrouped to match (ActivationRow),
// and the per-group scale and minimum then apply lane by lane.
template <int R> CWB_TARGET_AVX512 void int2Rows(const GemvTask& t, std::int64_t r0) {
    const PackedLayout& l = *t.layout;
    // VPERMPS reads 4 bits: the code and the next one up; the table ignores the latter.
    const __m512 table = _mm512_setr_ps(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3);
    __m512 acc[R], mins[R];
    for (int j = 0; j < R; ++j)
        acc[j] = mins[j] = _mm512_setzero_ps();
    for (std::int64_t g0 = 0; g0 < l.groups; g0 += 16) {
        const std::int64_t n = std::min<std::int64_t>(16, l.groups - g0);
        const float* xt = t.transposed + g0 * 16;
        __m512i codes[R];
        __m512 even[R], odd[R];
        for (int j = 0; j < R; ++j) {
            const std::uint8_t* p = l.quants(t.data, r0 + j) + 4 * g0;
            prefetch(p + kPrefetchRows * l.quantRowBytes);
            codes[j] = _mm512_maskz_loadu_epi32(lanes(n), p);
            even[j] = odd[j] = _mm512_setzero_ps();
        }
#pragma GCC unroll 16
        for (int f = 0; f < 16; ++f) {
            const int element = f / 4 + 4 * (f % 4); // bits 2f..2f+1 hold this element
            const __m512 x = _mm512_loadu_ps(xt + 16 * element);
#pragma GCC unroll 4
            for (int j = 0; j < R; ++j) {
                const __m512 w = _mm512_permutexvar_ps(codes[j], table);
                if (f % 2 == 0)
                    even[j] = _mm512_fmadd_ps(w, x, even[j]);
                else
                    odd[j] = _mm512_fmadd_ps(w, x, odd[j]);
                codes[j] = _mm512_srli_epi32(codes[j], 2);
            }
        }
        for (int j = 0; j < R; ++j) {
            prefetch(l.scales(t.data, r0 + j + 2 * R) + 2 * g0);
            prefetch(l.mins(t.data, r0 + j + 2 * R) + 2 * g0);
            const __m512 d = halves(l.scales(t.data, r0 + j) + 2 * g0, n);
            const __m512 m = halves(l.mins(t.data, r0 + j) + 2 * g0, n);
            acc[j] = _mm512_fmadd_ps(_mm512_add_ps(even[j], odd[j]), d, acc[j]);
            mins[j] = _mm512_fmadd_ps(m, _mm512_loadu_ps(t.groupSums + g0), mins[j]);
        }
    }
    for (int j = 0; j < R; ++j)
        t.y[r0 + j] = _mm512_reduce_add_ps(_mm512_add_ps(acc[j], mins[j]));
}

// --- w8a8: u8 × s8 with VNNI
// ----------------------------------------------------------------------

// VPDPBUSD multiplies unsigned by signed bytes, so the activation codes come in shifted by 128
// and 128·Σw is taken back out, also with VPDPBUSD: exact int32 arithmetic throughout.
template <int R> CWB_TARGET_AVX512_VNNI void w8a8Rows(const GemvTask& t, std::int64_t r0) {
    const PackedLayout& l = *t.layout;
    const std::int64_t k = l.k;
    const __m512i bias = _mm512_set1_epi8(char(0x80));
    const std::uint8_t* w[R];
    __m512i acc[R], correction[R];
    for (int j = 0; j < R; ++j) {
        w[j] = l.quants(t.data, r0 + j);
        acc[j] = correction[j] = _mm512_setzero_si512();
    }
    for (std::int64_t i = 0; i < k; i += 64) {
        const __mmask64 m = k - i >= 64 ? ~__mmask64(0) : (__mmask64(1) << (k - i)) - 1;
        const __m512i x = _mm512_loadu_si512(t.shifted + i);
#pragma GCC unroll 4
        for (int j = 0; j < R; ++j) {
            prefetch(w[j] + i + kPrefetchRows * l.quantRowBytes);
            const __m512i wv = _mm512_maskz_loadu_epi8(m, w[j] + i);
            acc[j] = _mm512_dpbusd_epi32(acc[j], x, wv);
            correction[j] = _mm512_dpbusd_epi32(correction[j], bias, wv);
        }
    }
    for (int j = 0; j < R; ++j) {
        const std::int32_t dot = _mm512_reduce_add_epi32(_mm512_sub_epi32(acc[j], correction[j]));
        float scale;
        std::memcpy(&scale, l.scales(t.data, r0 + j), 4);
        t.y[r0 + j] = float(dot) * t.scale * scale;
    }
}

// Rows [b, e): kRows at a time, then one by one.
template <template <int> class Rows>
void allRows(const GemvTask& t, std::int64_t b, std::int64_t e) {
    std::int64_t r = b;
    for (; r + kRows <= e; r += kRows)
        Rows<kRows>::run(t, r);
    for (; r < e; ++r)
        Rows<1>::run(t, r);
}

template <typename V> struct ValueRows {
    template <int R> struct With {
        static void run(const GemvTask& t, std::int64_t r) { valueRows<V, R>(t, r); }
    };
};
template <int R> struct Int8G32Rows {
    static void run(const GemvTask& t, std::int64_t r) { int8G32Rows<R>(t, r); }
};
template <int G, bool Symmetric> struct Int4Rows {
    template <int R> struct With {
        static void run(const GemvTask& t, std::int64_t r) { int4Rows<G, Symmetric, R>(t, r); }
    };
};
template <int R> struct Int2Rows {
    static void run(const GemvTask& t, std::int64_t r) { int2Rows<R>(t, r); }
};
template <int R> struct W8A8Rows {
    static void run(const GemvTask& t, std::int64_t r) { w8a8Rows<R>(t, r); }
};

// --- dequantize to f32, for the prefill tiles
// -----------------------------------------------------

template <typename V>
CWB_TARGET_AVX512 void dequantizeValues(const PackedLayout& l, const std::uint8_t* data,
                                        std::int64_t b, std::int64_t e, float* out) {
    for (std::int64_t r = b; r < e; ++r, out += l.k) {
        const std::uint8_t* w = l.quants(data, r);
        for (std::int64_t i = 0; i < l.k; i += 16)
            _mm512_mask_storeu_ps(out + i, lanes(l.k - i),
                                  V::load(w + i * V::bytes, lanes(l.k - i)));
    }
}

CWB_TARGET_AVX512 void dequantizeInt8G32(const PackedLayout& l, const std::uint8_t* data,
                                         std::int64_t b, std::int64_t e, float* out) {
    for (std::int64_t r = b; r < e; ++r, out += l.k) {
        const std::uint8_t* q = l.quants(data, r);
        const std::uint8_t* s = l.scales(data, r);
        for (std::int64_t g = 0; g < l.groups; ++g) {
            const __m512 d = _mm512_set1_ps(_mm512_cvtss_f32(halves(s + 2 * g, 1)));
            storeClipped(out, 32 * g, l.k, _mm512_mul_ps(Int8Values::load(q + 32 * g, 0xffff), d));
            storeClipped(out, 32 * g + 16, l.k,
                         _mm512_mul_ps(Int8Values::load(q + 32 * g + 16, 0xffff), d));
        }
    }
}

CWB_TARGET_AVX512 void dequantizeInt8(const PackedLayout& l, const std::uint8_t* data,
                                      std::int64_t b, std::int64_t e, float* out) {
    for (std::int64_t r = b; r < e; ++r, out += l.k) {
        const std::uint8_t* w = l.quants(data, r);
        float scale;
        std::memcpy(&scale, l.scales(data, r), 4);
        const __m512 d = _mm512_set1_ps(scale);
        for (std::int64_t i = 0; i < l.k; i += 16)
            storeClipped(out, i, l.k, _mm512_mul_ps(Int8Values::load(w + i, lanes(l.k - i)), d));
    }
}

template <int G, bool Symmetric>
CWB_TARGET_AVX512 void dequantizeInt4(const PackedLayout& l, const std::uint8_t* data,
                                      std::int64_t b, std::int64_t e, float* out) {
    const __m512 codes = codeTable(Symmetric);
    for (std::int64_t r = b; r < e; ++r, out += l.k) {
        const std::uint8_t* q = l.quants(data, r);
        const std::uint8_t* s = l.scales(data, r);
        for (std::int64_t g = 0; g < l.groups; ++g) {
            const __m512 d = _mm512_set1_ps(_mm512_cvtss_f32(halves(s + 2 * g, 1)));
            __m512 table = _mm512_mul_ps(codes, d);
            if constexpr (!Symmetric) {
                const __m512 m =
                    _mm512_set1_ps(_mm512_cvtss_f32(halves(l.mins(data, r) + 2 * g, 1)));
                table = _mm512_add_ps(table, m); // two roundings, as the reference
            }
            for (int piece = 0; piece < G / 32; ++piece) {
                const __m512i c = bytesToLanes(q + G / 2 * g + 16 * piece);
                storeClipped(out, G * g + 16 * piece, l.k, _mm512_permutexvar_ps(c, table));
                storeClipped(out, G * g + G / 2 + 16 * piece, l.k,
                             _mm512_permutexvar_ps(_mm512_srli_epi32(c, 4), table));
            }
        }
    }
}

CWB_TARGET_AVX512 void dequantizeInt2(const PackedLayout& l, const std::uint8_t* data,
                                      std::int64_t b, std::int64_t e, float* out) {
    // Element e of a group sits at bit 8·(e % 4) + 2·(e / 4) of its word.
    const __m512i shifts =
        _mm512_setr_epi32(0, 8, 16, 24, 2, 10, 18, 26, 4, 12, 20, 28, 6, 14, 22, 30);
    const __m512 codes = _mm512_setr_ps(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3);
    for (std::int64_t r = b; r < e; ++r, out += l.k) {
        const std::uint8_t* q = l.quants(data, r);
        for (std::int64_t g = 0; g < l.groups; ++g) {
            const __m512 d = _mm512_set1_ps(_mm512_cvtss_f32(halves(l.scales(data, r) + 2 * g, 1)));
            const __m512 m = _mm512_set1_ps(_mm512_cvtss_f32(halves(l.mins(data, r) + 2 * g, 1)));
            std::int32_t word;
            std::memcpy(&word, q + 4 * g, 4);
            const __m512i c = _mm512_srlv_epi32(_mm512_set1_epi32(word), shifts);
            const __m512 table = _mm512_add_ps(_mm512_mul_ps(codes, d), m);
            storeClipped(out, 16 * g, l.k, _mm512_permutexvar_ps(c, table));
        }
    }
}

} // namespace

KernelSet avx512Kernels(PrecisionId precision) {
    switch (precision) {
    case PrecisionId::Fp32:
        return {allRows<ValueRows<Fp32Values>::With>, dequantizeValues<Fp32Values>};
    case PrecisionId::Fp16:
        return {allRows<ValueRows<Fp16Values>::With>, dequantizeValues<Fp16Values>};
    case PrecisionId::Bf16:
        return {allRows<ValueRows<Bf16Values>::With>, dequantizeValues<Bf16Values>};
    case PrecisionId::Int8:
        return {allRows<ValueRows<Int8Values>::With>, dequantizeInt8};
    case PrecisionId::W8A8:
        return {allRows<W8A8Rows>, dequantizeInt8};
    case PrecisionId::Int8G32:
        return {allRows<Int8G32Rows>, dequantizeInt8G32};
    case PrecisionId::Int4G32:
        return {allRows<Int4Rows<32, true>::With>, dequantizeInt4<32, true>};
    case PrecisionId::Int4G32Asym:
        return {allRows<Int4Rows<32, false>::With>, dequantizeInt4<32, false>};
    case PrecisionId::Int4G128:
        return {allRows<Int4Rows<128, true>::With>, dequantizeInt4<128, true>};
    case PrecisionId::Int2G16:
        return {allRows<Int2Rows>, dequantizeInt2};
    }
    return {};
}

} // namespace cwb::kernels
