// SPDX-License-Identifier: GPL-3.0-or-later
#include "machinepeak.h"

#include <dnnl.hpp>
#include <omp.h>

#include <QElapsedTimer>

#include <algorithm>
#include <vector>

namespace cwb {

double measureMatmulGflops(int threads) {
    using namespace dnnl;
    constexpr int m = 1024, k = 2048, n = 2048;
    omp_set_num_threads(threads);
    try {
        engine eng(engine::kind::cpu, 0);
        stream strm(eng);
        // dst[m×n] = src[m×k] · weights[k×n], f32, weights in the layout oneDNN prefers.
        memory::desc srcMd({m, k}, memory::data_type::f32, memory::format_tag::ab);
        memory::desc weightsMd({k, n}, memory::data_type::f32, memory::format_tag::any);
        memory::desc dstMd({m, n}, memory::data_type::f32, memory::format_tag::ab);
        auto matmulPd = matmul::primitive_desc(matmul::desc(srcMd, weightsMd, dstMd), eng);
        std::vector<float> a(std::size_t(m) * k, 0.5f), c(std::size_t(m) * n);
        memory srcMem(srcMd, eng, a.data()), dstMem(dstMd, eng, c.data()),
            weightsMem(matmulPd.weights_desc(), eng);
        matmul matmulP(matmulPd);
        double best = 0;
        for (int run = 0; run < 4; ++run) {
            QElapsedTimer t;
            t.start();
            matmulP.execute(
                strm,
                {{DNNL_ARG_SRC, srcMem}, {DNNL_ARG_WEIGHTS, weightsMem}, {DNNL_ARG_DST, dstMem}});
            strm.wait();
            best = std::max(best, 2.0 * m * k * n / (double(t.nsecsElapsed()) / 1e9) / 1e9);
        }
        return best;
    } catch (const dnnl::error&) {
        return 0;
    }
}

} // namespace cwb
