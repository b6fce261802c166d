// SPDX-License-Identifier: GPL-3.0-or-later
#include "costmodel.h"

#include <cmath>

namespace cwb {

CostProjection projectCost(const ModelCost& m, const std::vector<HardwareProfile>& profiles,
                           const Workload& w, const Efficiency& e) {
    CostProjection p;
    p.workload = w;
    p.efficiency = e;
    const double context = double(w.promptTokens + w.outputTokens);
    // A generated token streams the weights and the keys and values of every position so far:
    // on average the prompt and half the output.
    const double decodeBytes = double(m.decodeBytesPerToken) +
                               double(m.kvBytesPerToken) * (w.promptTokens + 0.5 * w.outputTokens);
    const double memoryBytes =
        double(m.weightBytes) * (1 + kMemoryOverhead) + double(m.kvBytesPerToken) * context;
    p.explanation << QStringLiteral("memory needed = weights %1 B × (1 + %2 overhead) + KV %3 "
                                    "B/token × %4 tokens = %5 GiB")
                         .arg(m.weightBytes)
                         .arg(kMemoryOverhead)
                         .arg(m.kvBytesPerToken)
                         .arg(context)
                         .arg(memoryBytes / double(1ull << 30), 0, 'f', 3);
    p.explanation << QStringLiteral("decode: bytes per token = weights streamed %1 + KV %2 × "
                                    "(prompt %3 + output %4 / 2) = %5")
                         .arg(m.decodeBytesPerToken)
                         .arg(m.kvBytesPerToken)
                         .arg(w.promptTokens)
                         .arg(w.outputTokens)
                         .arg(decodeBytes, 0, 'f', 0);
    p.explanation
        << QStringLiteral(
               "decode tokens/s = bandwidth × %1 efficiency / bytes per token; prefill tokens/s = "
               "%2 peak × %3 efficiency / %4 FLOP per token")
               .arg(e.bandwidth, 0, 'f', 3)
               .arg(m.int8Compute ? QStringLiteral("int8") : QStringLiteral("fp16"))
               .arg(e.compute, 0, 'f', 3)
               .arg(m.flopsPerToken, 0, 'g', 4);
    p.explanation << QStringLiteral(
        "seconds per query = prompt / prefill + output / decode; $ per 1,000 queries = "
        "price per hour / 3600 × seconds per query × 1000 (one stream, always busy)");
    p.explanation
        << QStringLiteral(
               "instances = ceil(queries per month × seconds per query / seconds in %1 hours); "
               "$ per month = instances × price per hour × %1")
               .arg(kHoursPerMonth);
    p.explanation << QStringLiteral("efficiencies: %1").arg(e.source);
    double best = INFINITY;
    for (const HardwareProfile& hw : profiles) {
        ProfileCost c;
        c.profile = hw;
        c.memoryNeededGiB = memoryBytes / double(1ull << 30);
        c.fits = c.memoryNeededGiB <= hw.memoryGiB;
        c.decodeTokensPerSecond = hw.bandwidthGBs * 1e9 * e.bandwidth / decodeBytes;
        const double peak = (m.int8Compute ? hw.int8Tops : hw.fp16Tflops) * 1e12;
        c.prefillTokensPerSecond = peak * e.compute / m.flopsPerToken;
        c.secondsPerQuery =
            w.promptTokens / c.prefillTokensPerSecond + w.outputTokens / c.decodeTokensPerSecond;
        c.dollarsPer1000Queries = hw.pricePerHour / 3600.0 * c.secondsPerQuery * 1000.0;
        const double busySeconds = w.queriesPerMonth * c.secondsPerQuery;
        c.instances = std::max(1, int(std::ceil(busySeconds / (kHoursPerMonth * 3600.0))));
        c.dollarsPerMonth = c.instances * hw.pricePerHour * kHoursPerMonth;
        if (c.fits && c.dollarsPerMonth < best) {
            best = c.dollarsPerMonth;
            p.cheapest = p.profiles.size();
        }
        p.profiles.push_back(c);
    }
    return p;
}

std::optional<ModelCost> modelCostOf(const RunRecord& run) {
    const auto size = run.metrics.find(QStringLiteral("size_bytes"));
    if (!run.model || size == run.metrics.end())
        return std::nullopt;
    const QJsonObject c = run.model->config;
    const double layers = c.value(QStringLiteral("layers")).toDouble();
    const double kvDim = c.value(QStringLiteral("kv_heads")).toDouble() *
                         c.value(QStringLiteral("head_dim")).toDouble();
    const double dim = c.value(QStringLiteral("dim")).toDouble(),
                 vocab = c.value(QStringLiteral("vocab_size")).toDouble();
    const bool tied = c.value(QStringLiteral("tied_output")).toBool();
    ModelCost m;
    m.weightBytes = std::uint64_t(size->second.value);
    // An untied embedding is looked up, not streamed: its share of the packed size is taken off.
    const double bpw = run.metrics.count(QStringLiteral("bpw"))
                           ? run.metrics.at(QStringLiteral("bpw")).value
                           : 32.0;
    const double embeddingBytes = tied ? 0.0 : dim * vocab * bpw / 8.0;
    m.decodeBytesPerToken = std::uint64_t(std::max(0.0, double(m.weightBytes) - embeddingBytes));
    const double matrixParameters = double(run.model->parameters) - (tied ? 0.0 : dim * vocab);
    m.flopsPerToken = 2.0 * matrixParameters;
    m.kvBytesPerToken = std::uint64_t(2.0 * layers * kvDim * 2.0);
    m.int8Compute = run.plan.value(QStringLiteral("default")).toString() == QLatin1String("w8a8");
    return m;
}

std::optional<Efficiency> efficiencyOf(const RunRecord& b) {
    const auto fraction = b.metrics.find(QStringLiteral("decode_bandwidth_fraction"));
    const auto prefill = b.metrics.find(QStringLiteral("prefill_gflops"));
    const auto matmul = b.metrics.find(QStringLiteral("matmul_gflops"));
    if (fraction == b.metrics.end() || prefill == b.metrics.end() || matmul == b.metrics.end() ||
        matmul->second.value <= 0)
        return std::nullopt;
    Efficiency e;
    e.bandwidth = std::clamp(fraction->second.value, 0.01, 1.0);
    e.compute = std::clamp(prefill->second.value / matmul->second.value, 0.01, 1.0);
    e.measured = true;
    e.source =
        QStringLiteral(
            "measured on %1 by benchmark run %2: decode streamed weights at %3% of the memory "
            "bandwidth, prefill ran at %4% of a large matmul's FLOP/s")
            .arg(b.cpu)
            .arg(b.id)
            .arg(100 * e.bandwidth, 0, 'f', 0)
            .arg(100 * e.compute, 0, 'f', 0);
    return e;
}

Result<Efficiency> efficiencyFromStore(RunStore& store, const RunRecord& run) {
    auto benchmarks = store.list({{}, QStringLiteral("benchmark"), 0});
    if (!benchmarks)
        return benchmarks.error();
    const RunRecord* best = nullptr;
    for (const RunRecord& b : *benchmarks) {
        if (b.status != RunStatus::Finished || !efficiencyOf(b))
            continue;
        const bool sameModel = b.model && run.model && b.model->sha256 == run.model->sha256;
        const bool bestSame =
            best && best->model && run.model && best->model->sha256 == run.model->sha256;
        if (!best || sameModel || !bestSame)
            best = &b;
    }
    if (best)
        return *efficiencyOf(*best);
    Efficiency e;
    e.source = QStringLiteral(
        "assumed (bandwidth 0.60, compute 0.50): no benchmark run on this machine yet; run "
        "'cwb bench' to measure them");
    return e;
}

} // namespace cwb
