// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmark.h"

#include "engine.h"
#include "kernels/membandwidth.h"
#include "machinepeak.h"
#include "systeminfo.h"

#include <QElapsedTimer>

#include <algorithm>
#include <random>

namespace cwb {

Result<BenchResult> runBenchmark(WeightSet weights, const BenchOptions& options,
                                 const Progress& progress) {
    if (options.promptTokens < 1 || options.generatedTokens < 1)
        return Error{
            QStringLiteral("the benchmark needs at least one prompt and one generated token")};
    BenchResult r;
    r.threads = options.threads > 0 ? options.threads : defaultThreadCount();
    r.promptTokens = options.promptTokens;
    r.generatedTokens = options.generatedTokens;
    r.cpu = cpuModelName();
    r.weightBytes = weights.weightBytes();
    r.decodeBytesPerToken = weights.decodeBytesPerToken();
    {
        const LlamaConfig& c = weights.config;
        const double perLayer =
            double(c.dim) * (2.0 * c.qDim() + 2.0 * c.kvDim()) + 3.0 * double(c.dim) * c.hiddenDim;
        r.flopsPerToken = 2.0 * (c.layers * perLayer + double(c.dim) * c.vocabSize);
    }
    const LlamaConfig config = weights.config;
    const int context = options.promptTokens + options.generatedTokens;
    r.kvCacheBytes = 2ull * std::uint64_t(config.layers) * std::uint64_t(context) *
                     std::uint64_t(config.kvDim()) * 4;

    auto engine = Engine::create(std::move(weights), EngineOptions{r.threads, progress.cancel});
    if (!engine)
        return engine.error();
    Engine& e = **engine;

    std::mt19937 rng(1234);
    std::uniform_int_distribution<std::int32_t> token(0, config.vocabSize - 1);
    std::vector<std::int32_t> prompt(std::size_t(options.promptTokens));
    for (auto& t : prompt)
        t = token(rng);

    KvCache cache(config, context);
    std::vector<float> logits;
    auto greedy = [&] {
        return std::int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    };

    // Warm-up: primitives and scratch buffers are created on first use.
    progress(0.05, QStringLiteral("warming up"));
    if (auto ok = e.forward(cache, prompt, options.promptTokens - 1, logits); !ok)
        return ok.error();
    for (int i = 0; i < 2 && cache.length() < context; ++i) {
        const std::int32_t next = greedy();
        if (auto ok = e.forward(cache, std::span(&next, 1), 0, logits); !ok)
            return ok.error();
    }

    progress(0.3, QStringLiteral("prefill of %1 tokens").arg(options.promptTokens));
    cache.clear();
    QElapsedTimer timer;
    timer.start();
    if (auto ok = e.forward(cache, prompt, options.promptTokens - 1, logits); !ok)
        return ok.error();
    r.prefillTokensPerSecond = double(options.promptTokens) / (double(timer.nsecsElapsed()) / 1e9);
    r.prefillGflops = r.prefillTokensPerSecond * r.flopsPerToken / 1e9;

    timer.restart();
    for (int i = 0; i < options.generatedTokens; ++i) {
        progress(0.4 + 0.5 * double(i) / double(options.generatedTokens),
                 QStringLiteral("decoding token %1 of %2").arg(i + 1).arg(options.generatedTokens));
        const std::int32_t next = greedy();
        if (auto ok = e.forward(cache, std::span(&next, 1), 0, logits); !ok)
            return ok.error();
    }
    r.decodeTokensPerSecond =
        double(options.generatedTokens) / (double(timer.nsecsElapsed()) / 1e9);
    r.peakResidentBytes = peakResidentBytes();
    engine->reset(); // free the weights before the bandwidth buffer is allocated

    // The decode loop's last step may have seen no flag: a cancelled benchmark returns no result.
    if (progress.cancelled())
        return cancelledError();
    if (options.measureBandwidth) {
        progress(0.95, QStringLiteral("measuring memory bandwidth"));
        r.readBandwidthGBs =
            kernels::measureReadBandwidth(r.threads, std::uint64_t(1) << 30, progress.cancel);
        if (progress.cancelled())
            return cancelledError();
        r.matmulGflops = measureMatmulGflops(r.threads);
        r.decodeBandwidthFraction =
            double(r.decodeBytesPerToken) * r.decodeTokensPerSecond / (r.readBandwidthGBs * 1e9);
    }
    progress(1.0, QStringLiteral("done"));
    return r;
}

} // namespace cwb
