// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace cwb::kernels {

// Normal values for one row of benchmark weights. splitmix64 keeps its state in one word, so each
// row starts its own stream and the bytes do not depend on how rows are spread over threads.
class RowRandom {
public:
    RowRandom(std::uint64_t seed, std::int64_t row)
        : m_state(seed * 0x9e3779b97f4a7c15ull ^ (std::uint64_t(row) + 1) * 0xbf58476d1ce4e5b9ull) {
    }

    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

    // Fills `count` values with N(0, sigma): each is one of 4096 equally likely normal quantiles,
    // four to a random word. Box–Muller's log, sqrt and sin per pair made building a 1.1B-weight
    // benchmark model take a minute; this keeps the distribution and takes seconds.
    void fillNormal(float* out, std::int64_t count, float sigma) {
        const std::array<float, 4096>& table = quantiles();
        for (std::int64_t i = 0; i < count; i += 4) {
            std::uint64_t bits = next();
            for (std::int64_t j = i; j < std::min(count, i + 4); ++j, bits >>= 16)
                out[j] = sigma * table[bits & 4095u];
        }
    }

private:
    // The standard normal's quantiles at (i + 0.5)/4096, by bisection on erfc.
    static const std::array<float, 4096>& quantiles() {
        static const std::array<float, 4096> table = [] {
            std::array<float, 4096> t{};
            for (std::size_t i = 0; i < t.size(); ++i) {
                const double p = (double(i) + 0.5) / double(t.size());
                double lo = -10.0, hi = 10.0;
                for (int step = 0; step < 60; ++step) {
                    const double mid = 0.5 * (lo + hi);
                    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
                }
                t[i] = float(0.5 * (lo + hi));
            }
            return t;
        }();
        return table;
    }

    std::uint64_t m_state;
};

} // namespace cwb::kernels
