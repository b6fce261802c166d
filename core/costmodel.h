// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/runstore.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

namespace cwb {

// What a model asks of the hardware per token: the run's size and shape.
struct ModelCost {
    std::uint64_t weightBytes = 0;         // everything held in memory
    std::uint64_t decodeBytesPerToken = 0; // weights streamed per generated token
    double flopsPerToken = 0;              // 2 × the matrices' parameters
    std::uint64_t kvBytesPerToken = 0;     // keys and values of one position, all layers, at fp16
    bool int8Compute = false;              // w8a8: prefill runs at the int8 peak
};

struct Workload {
    int promptTokens = 512;
    int outputTokens = 128;
    double queriesPerMonth = 1e6;
};

// How close real inference comes to a machine's peaks, measured here: decode's weight stream as a
// fraction of the memory bandwidth, prefill's FLOP/s as a fraction of a large matmul's.
struct Efficiency {
    double bandwidth = 0.6;
    double compute = 0.5;
    bool measured = false;
    QString source; // which benchmark run, or that the figures are assumptions
};

struct ProfileCost {
    HardwareProfile profile;
    double memoryNeededGiB = 0;
    bool fits = false;
    double prefillTokensPerSecond = 0;
    double decodeTokensPerSecond = 0;
    double secondsPerQuery = 0;
    double dollarsPer1000Queries = 0;
    int instances = 0; // running all month to serve the queries, one stream each
    double dollarsPerMonth = 0;
};

struct CostProjection {
    Workload workload;
    Efficiency efficiency;
    std::vector<ProfileCost> profiles;
    std::optional<std::size_t> cheapest; // the fitting profile with the lowest monthly cost
    QStringList explanation;             // how every number was computed, line by line
};

// The runtime's share of memory beyond weights and KV cache (activations, buffers).
constexpr double kMemoryOverhead = 0.10;
constexpr double kHoursPerMonth = 730.0;

CostProjection projectCost(const ModelCost& model, const std::vector<HardwareProfile>& profiles,
                           const Workload& workload, const Efficiency& efficiency);

// The model's cost inputs from a run's record (its size, and its model's configuration).
std::optional<ModelCost> modelCostOf(const RunRecord& run);
// Efficiencies from a benchmark run's metrics, if it has them.
std::optional<Efficiency> efficiencyOf(const RunRecord& benchmark);
// The efficiencies of the latest finished benchmark of `run`'s model in the store, else of the
// latest benchmark at all, else the stated assumptions.
Result<Efficiency> efficiencyFromStore(RunStore& store, const RunRecord& run);

} // namespace cwb
