// SPDX-License-Identifier: GPL-3.0-or-later
#include "membandwidth.h"

#include "cpufeatures.h"
#include "targets.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace cwb::kernels {
namespace {

CWB_TARGET_AVX512 std::uint64_t readAvx512(const std::uint8_t* p, std::uint64_t bytes) {
    __m512i a[8];
    for (auto& v : a)
        v = _mm512_setzero_si512();
    for (std::uint64_t i = 0; i + 512 <= bytes; i += 512)
        for (int j = 0; j < 8; ++j)
            a[j] = _mm512_add_epi64(a[j], _mm512_load_si512(p + i + 64 * j));
    for (int j = 1; j < 8; ++j)
        a[0] = _mm512_add_epi64(a[0], a[j]);
    // Sum the lanes as unsigned: the checksum wraps by design, and the intrinsic's reduction is
    // signed arithmetic that would overflow.
    alignas(64) std::uint64_t lanes[8];
    _mm512_store_si512(lanes, a[0]);
    std::uint64_t sum = 0;
    for (const std::uint64_t lane : lanes)
        sum += lane;
    return sum;
}

std::uint64_t readPortable(const std::uint8_t* p, std::uint64_t bytes) {
    std::uint64_t a[8] = {};
    for (std::uint64_t i = 0; i + 64 <= bytes; i += 64)
        for (int j = 0; j < 8; ++j) {
            std::uint64_t v;
            std::memcpy(&v, p + i + 8 * j, 8);
            a[j] += v;
        }
    return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

} // namespace

double measureReadBandwidth(int threads, std::uint64_t bytes, const std::atomic<bool>* cancel) {
    threads = std::max(1, threads);
    const std::uint64_t slice =
        std::max<std::uint64_t>(4096, bytes / std::uint64_t(threads) / 4096 * 4096);
    const std::uint64_t total = slice * std::uint64_t(threads);
    auto* buffer = static_cast<std::uint8_t*>(std::aligned_alloc(4096, total));
    if (!buffer)
        return 0.0;
    const bool avx512 = cpuFeatures().avx512;
    double best = 0.0;
    std::uint64_t sink = 0;
    for (int run = 0; run < 6; ++run) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            best = 0.0;
            break;
        }
        const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        {
            std::uint8_t* mine = buffer + slice * std::uint64_t(omp_get_thread_num());
            if (run == 0) // first touch by the thread that reads it; not timed below
                std::memset(mine, 1, slice);
            else
                sink += avx512 ? readAvx512(mine, slice) : readPortable(mine, slice);
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (run > 0)
            best = std::max(best, double(total) / seconds / 1e9);
    }
    std::free(buffer);
    // The sum keeps the reads from being optimised away; it is never 1 for a buffer of ones.
    return sink == 1 ? 0.0 : best;
}

} // namespace cwb::kernels
