// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "progress.h"
#include "result.h"
#include "weightset.h"

#include <QString>

#include <cstdint>

namespace cwb {

struct BenchOptions {
    int promptTokens = 128;
    int generatedTokens = 32;
    int threads = 0; // 0 = every core
    bool measureBandwidth =
        true; // also measure the machine's memory read bandwidth and matmul peak
};

// Speed of a model's packed weights on this machine, as a deployment would run them.
struct BenchResult {
    double prefillTokensPerSecond = 0;
    double decodeTokensPerSecond = 0;
    std::uint64_t weightBytes = 0;         // as held for running
    std::uint64_t decodeBytesPerToken = 0; // what one decode step streams
    std::uint64_t kvCacheBytes = 0;
    std::uint64_t peakResidentBytes = 0; // the process's high-water mark while benchmarking
    double readBandwidthGBs = 0;         // measured, with the same threads
    double flopsPerToken = 0;            // 2 × the matrices' parameters
    double prefillGflops = 0;            // prefill tokens/s × FLOP per token
    double matmulGflops = 0;             // a large f32 matmul on this machine, measured
    // Weight bytes streamed per second while decoding, as a fraction of the measured bandwidth.
    double decodeBandwidthFraction = 0;
    int threads = 0;
    int promptTokens = 0;
    int generatedTokens = 0;
    QString cpu;

    double peakOverWeightsAndCache() const {
        return double(peakResidentBytes) / double(weightBytes + kvCacheBytes);
    }
};

// Prefill of promptTokens random tokens, then generatedTokens greedy decode steps, after one
// untimed warm-up of each. The peak memory is read before the bandwidth is measured, whose
// buffer would otherwise dominate it.
Result<BenchResult> runBenchmark(WeightSet weights, const BenchOptions& options,
                                 const Progress& progress = {});

} // namespace cwb
