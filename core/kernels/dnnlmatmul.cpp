// SPDX-License-Identifier: GPL-3.0-or-later
#include "dnnlmatmul.h"

#include <dnnl.hpp>
#include <omp.h>

#include <map>
#include <tuple>

namespace cwb::kernels {
namespace {

using namespace dnnl;
using Tag = memory::format_tag;
using Type = memory::data_type;

enum class Kind { F32, S8 };
using ShapeKey = std::tuple<Kind, std::int64_t, std::int64_t, std::int64_t>; // kind, k, n, ldy

// One engine, stream and primitive cache per thread: oneDNN objects are created and executed on
// the same thread.
struct Context {
    engine eng{engine::kind::cpu, 0};
    stream strm{eng};
    std::map<ShapeKey, matmul> primitives;
};

Context& context() {
    thread_local Context c;
    return c;
}

// oneDNN's OpenMP runtime takes its thread count from the calling thread's setting.
class ThreadCount {
public:
    explicit ThreadCount(int threads)
        : m_previous(omp_get_max_threads()) {
        omp_set_num_threads(threads);
    }
    ~ThreadCount() { omp_set_num_threads(m_previous); }
    ThreadCount(const ThreadCount&) = delete;
    ThreadCount& operator=(const ThreadCount&) = delete;

private:
    int m_previous;
};

// dst[M×n] = src[M×k] · weights[k×n], f32, M known only at execution.
matmul f32Primitive(Context& c, std::int64_t k, std::int64_t n, std::int64_t ldy) {
    auto& prim = c.primitives[{Kind::F32, k, n, ldy}];
    if (!prim) {
        const memory::desc srcMd({DNNL_RUNTIME_DIM_VAL, k}, Type::f32, Tag::ab);
        const memory::desc weightsMd({k, n}, Type::f32, Tag::ba);
        const memory::desc dstMd({DNNL_RUNTIME_DIM_VAL, n}, Type::f32, {ldy, 1});
        prim = matmul(matmul::primitive_desc(matmul::desc(srcMd, weightsMd, dstMd), c.eng));
    }
    return prim;
}

// dst[M×n] = (src[M×k] · weights[k×n]) · diag(scales), s8 × s8 → s32 → f32, M and the per-column
// scales given at execution.
matmul s8Primitive(Context& c, std::int64_t k, std::int64_t n) {
    auto& prim = c.primitives[{Kind::S8, k, n, n}];
    if (!prim) {
        const memory::desc srcMd({DNNL_RUNTIME_DIM_VAL, k}, Type::s8, Tag::ab);
        const memory::desc weightsMd({k, n}, Type::s8, Tag::ba);
        const memory::desc dstMd({DNNL_RUNTIME_DIM_VAL, n}, Type::f32, Tag::ab);
        primitive_attr attr;
        attr.set_output_scales(1 << 1, {DNNL_RUNTIME_F32_VAL});
        prim = matmul(matmul::primitive_desc(matmul::desc(srcMd, weightsMd, dstMd), attr, c.eng));
    }
    return prim;
}

} // namespace

void DnnlMatmul::f32(const float* x, std::int64_t m, std::int64_t k, const float* w, std::int64_t n,
                     float* y, std::int64_t ldy, int threads) {
    Context& c = context();
    const matmul prim = f32Primitive(c, k, n, ldy);
    memory srcMem({{m, k}, Type::f32, Tag::ab}, c.eng, const_cast<float*>(x));
    memory weightsMem({{k, n}, Type::f32, Tag::ba}, c.eng, const_cast<float*>(w));
    memory dstMem({{m, n}, Type::f32, {ldy, 1}}, c.eng, y);
    const ThreadCount scope(threads);
    prim.execute(c.strm,
                 {{DNNL_ARG_SRC, srcMem}, {DNNL_ARG_WEIGHTS, weightsMem}, {DNNL_ARG_DST, dstMem}});
    c.strm.wait();
}

void DnnlMatmul::s8(const std::int8_t* xq, std::int64_t m, std::int64_t k, const std::int8_t* w,
                    std::int64_t n, const float* wScales, float* y, int threads) {
    Context& c = context();
    const matmul prim = s8Primitive(c, k, n);
    memory srcMem({{m, k}, Type::s8, Tag::ab}, c.eng, const_cast<std::int8_t*>(xq));
    memory weightsMem({{k, n}, Type::s8, Tag::ba}, c.eng, const_cast<std::int8_t*>(w));
    memory dstMem({{m, n}, Type::f32, Tag::ab}, c.eng, y);
    memory scalesMem({{n}, Type::f32, Tag::a}, c.eng, const_cast<float*>(wScales));
    const ThreadCount scope(threads);
    prim.execute(c.strm, {{DNNL_ARG_SRC, srcMem},
                          {DNNL_ARG_WEIGHTS, weightsMem},
                          {DNNL_ARG_DST, dstMem},
                          {DNNL_ARG_ATTR_OUTPUT_SCALES, scalesMem}});
    c.strm.wait();
}

} // namespace cwb::kernels
