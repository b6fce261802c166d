// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

namespace cwb::kernels {

// The oneDNN matmuls of the prefill paths. Each computes y[m×n] = x[m×k] · Wᵀ with W given as n
// rows of k (oneDNN's {k, n} in `ba` order, so packed weights are used where they lie: measured
// here, oneDNN 2.6 with a run-time M is faster on plain `ba` weights than on the blocked layout it
// asks for with format_tag::any). Primitives are created on first use of a shape on the calling
// thread and kept for that thread. Failures throw std::exception (dnnl::error).
class DnnlMatmul {
public:
    // f32, y rows `ldy` floats apart (a slice of a wider output).
    static void f32(const float* x, std::int64_t m, std::int64_t k, const float* w, std::int64_t n,
                    float* y, std::int64_t ldy, int threads);
    // s8 × s8 summed in int32, then times wScales[column]: y = (xq · wqᵀ) · diag(wScales).
    static void s8(const std::int8_t* xq, std::int64_t m, std::int64_t k, const std::int8_t* w,
                   std::int64_t n, const float* wScales, float* y, int threads);
};

} // namespace cwb::kernels
