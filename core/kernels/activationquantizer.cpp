// SPDX-License-Identifier: GPL-3.0-or-later
#include "activationquantizer.h"

#include "cpufeatures.h"
#include "targets.h"

#include <algorithm>
#include <cmath>

namespace cwb::kernels {
namespace {

float quantizePortable(const float* x, std::int64_t k, std::int8_t* q) {
    float amax = 0.0f;
    for (std::int64_t i = 0; i < k; ++i)
        amax = std::max(amax, std::abs(x[i]));
    const float scale = amax / 127.0f;
    for (std::int64_t i = 0; i < k; ++i)
        q[i] = scale != 0.0f ? std::int8_t(std::round(x[i] / scale)) : std::int8_t(0);
    return scale;
}

// The same arithmetic 16 lanes at a time: a true division (not a multiply by the reciprocal,
// which rounds differently near .5) and an explicit half-away rounding, which no AVX-512
// rounding mode provides.
CWB_TARGET_AVX512 float quantizeAvx512(const float* x, std::int64_t k, std::int8_t* q) {
    const __m512 signBit = _mm512_set1_ps(-0.0f);
    __m512 amax = _mm512_setzero_ps();
    std::int64_t i = 0;
    for (; i + 16 <= k; i += 16)
        amax = _mm512_max_ps(amax, _mm512_andnot_ps(signBit, _mm512_loadu_ps(x + i)));
    if (i < k) {
        const __mmask16 tail = __mmask16((1u << (k - i)) - 1);
        amax = _mm512_max_ps(amax, _mm512_andnot_ps(signBit, _mm512_maskz_loadu_ps(tail, x + i)));
    }
    const float scale = _mm512_reduce_max_ps(amax) / 127.0f;
    if (scale == 0.0f) {
        std::fill_n(q, k, std::int8_t(0));
        return scale;
    }
    const __m512 scaleV = _mm512_set1_ps(scale);
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    for (i = 0; i < k; i += 16) {
        const __mmask16 lanes = k - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (k - i)) - 1);
        const __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(lanes, x + i), scaleV);
        __m512 r = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m512 fraction = _mm512_andnot_ps(signBit, _mm512_sub_ps(v, r));
        const __mmask16 up = _mm512_cmp_ps_mask(fraction, half, _CMP_GE_OQ);
        const __m512 away = _mm512_or_ps(_mm512_and_ps(v, signBit), one);
        r = _mm512_mask_add_ps(r, up, r, away);
        _mm_mask_storeu_epi8(q + i, lanes, _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(r)));
    }
    return scale;
}

} // namespace

float quantizeActivations(const float* x, std::int64_t k, std::int8_t* q) {
    if (cpuFeatures().avx512)
        return quantizeAvx512(x, k, q);
    return quantizePortable(x, k, q);
}

void quantizeActivationRows(const float* x, std::int64_t m, std::int64_t k, std::int8_t* q,
                            float* scales, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads) if (m > 1 && threads > 1)
    for (std::int64_t i = 0; i < m; ++i)
        scales[i] = quantizeActivations(x + i * k, k, q + i * k);
}

} // namespace cwb::kernels
