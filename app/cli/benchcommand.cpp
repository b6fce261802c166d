// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include "engine.h"
#include "runrecorder.h"

#include "benchmark.h"
#include "model.h"
#include "modelshapes.h"
#include "modelsummary.h"
#include "plan.h"
#include "systeminfo.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace cwb::cli {

namespace {

Result<Plan> benchPlan(const Arguments& a) {
    if (a.has(QStringLiteral("plan")) && a.has(QStringLiteral("precision")))
        throw UsageError{QStringLiteral("give --plan or --precision, not both")};
    if (a.has(QStringLiteral("plan")))
        return loadPlanFile(a.value(QStringLiteral("plan")));
    Plan plan;
    if (a.has(QStringLiteral("precision"))) {
        const auto id = precisionByName(a.value(QStringLiteral("precision")));
        if (!id)
            throw UsageError{QStringLiteral("unknown precision '%1' (known: %2)")
                                 .arg(a.value(QStringLiteral("precision")),
                                      precisionNames().join(QStringLiteral(", ")))};
        plan.defaultPrecision = *id;
        plan.name = QStringLiteral("all %1").arg(a.value(QStringLiteral("precision")));
    }
    return plan;
}

int runBench(const Arguments& a) {
    const bool synthetic = a.has(QStringLiteral("synthetic"));
    if (synthetic == !a.positional.isEmpty())
        throw UsageError{QStringLiteral("'bench' needs a MODEL or --synthetic NAME (one of them)")};
    BenchOptions options;
    options.promptTokens = int(integerOption(a, QStringLiteral("prompt"), 128, 1, 1 << 16));
    options.generatedTokens = int(integerOption(a, QStringLiteral("gen"), 32, 1, 1 << 16));
    options.threads = int(integerOption(a, QStringLiteral("threads"), 0, 1, 1024));
    auto plan = benchPlan(a);
    if (!plan) {
        printError(plan.error().message);
        return 1;
    }
    installInterruptHandler();
    auto store = openRunStore(a);
    if (!store) {
        printError(store.error().message);
        return 1;
    }
    const Progress progress = terminalProgress(QStringLiteral("bench"));

    std::shared_ptr<const Model> model;
    if (synthetic) {
        const auto shape = modelShape(a.value(QStringLiteral("synthetic")));
        if (!shape)
            throw UsageError{QStringLiteral("unknown model shape '%1' (known: %2)")
                                 .arg(a.value(QStringLiteral("synthetic")),
                                      modelShapeNames().join(QStringLiteral(", ")))};
        model = syntheticModel(shape->config, QLatin1String(shape->name));
    } else {
        auto loaded = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
        if (!loaded) {
            printError(loaded.error().message);
            return 1;
        }
        model = loaded.value();
    }
    ResolvedPlan resolved = resolvePlan(*plan, *model);
    // Calibrated methods change the values, not the layout: speed is the same as rtn's.
    for (TensorChoice& t : resolved.tensors)
        t.method = QuantMethod::Rtn;
    for (const QString& w : resolved.warnings)
        printWarning(w);
    const SizeSummary size = sizeOf(*model, resolved);
    // Refuse what cannot fit rather than let the machine swap or the process be killed.
    const std::uint64_t memory = physicalMemoryBytes();
    if (memory && size.totalBytes > memory * 9 / 10) {
        printError(QStringLiteral("the plan's weights take %1 but this machine has %2 of memory")
                       .arg(formatBytes(size.totalBytes), formatBytes(memory)));
        return 1;
    }
    RunRecord record = newRunRecord(QStringLiteral("benchmark"), synthetic ? nullptr : model.get(),
                                    invokedCommand());
    if (synthetic) { // a synthetic model is named by its shape: there is no file to hash
        record.model =
            ModelIdentity{QStringLiteral("synthetic:") + model->path,
                          0,
                          QStringLiteral("synthetic:") + model->path,
                          model->formatName,
                          model->config.architecture,
                          model->parameterCount(),
                          modelToJson(*model).value(QStringLiteral("config")).toObject()};
    }
    record.name = plan->name.isEmpty() ? QStringLiteral("fp32") : plan->name;
    record.plan = plan->toJson();
    record.threads = options.threads > 0 ? options.threads : defaultThreadCount();
    record.settings = QJsonObject{{QStringLiteral("prompt_tokens"), options.promptTokens},
                                  {QStringLiteral("gen_tokens"), options.generatedTokens},
                                  {QStringLiteral("synthetic"), synthetic}};
    auto recorder = RunRecorder::start(**store, record);
    if (!recorder) {
        printError(recorder.error().message);
        return 1;
    }
    auto weights =
        synthetic ? WeightSet::synthetic(*model, resolved, 42, progress)
                  : WeightSet::fromPlan(*model, resolved, WeightMode::Speed, nullptr, progress);
    if (!weights) {
        finishProgressLine();
        (void)recorder->fail(weights.error());
        printError(weights.error().message);
        return 1;
    }
    auto result = runBenchmark(std::move(weights.value()), options, progress);
    finishProgressLine();
    if (!result) {
        (void)recorder->fail(result.error());
        printError(result.error().message);
        return 1;
    }
    (void)recorder->finish({metricsOf(*result, size), tensorResultsOf(*model, resolved), 0, {}});
    const BenchResult& r = *result;
    const QString modelName = synthetic ? model->path : QFileInfo(model->path).fileName();
    const QString planName = plan->name.isEmpty() ? QStringLiteral("fp32") : plan->name;
    if (a.flag(QStringLiteral("json"))) {
        const QJsonObject json{
            {QStringLiteral("run_id"), qint64(recorder->id())},
            {QStringLiteral("model"), modelName},
            {QStringLiteral("synthetic"), synthetic},
            {QStringLiteral("plan"), plan->toJson()},
            {QStringLiteral("size_bytes"), qint64(size.totalBytes)},
            {QStringLiteral("bpw"), size.bitsPerWeight},
            {QStringLiteral("prefill_tok_s"), r.prefillTokensPerSecond},
            {QStringLiteral("decode_tok_s"), r.decodeTokensPerSecond},
            {QStringLiteral("prompt_tokens"), r.promptTokens},
            {QStringLiteral("gen_tokens"), r.generatedTokens},
            {QStringLiteral("weight_bytes"), qint64(r.weightBytes)},
            {QStringLiteral("decode_bytes_per_token"), qint64(r.decodeBytesPerToken)},
            {QStringLiteral("kv_cache_bytes"), qint64(r.kvCacheBytes)},
            {QStringLiteral("peak_rss_bytes"), qint64(r.peakResidentBytes)},
            {QStringLiteral("bandwidth_gb_s"), r.readBandwidthGBs},
            {QStringLiteral("decode_bandwidth_fraction"), r.decodeBandwidthFraction},
            {QStringLiteral("threads"), r.threads},
            {QStringLiteral("cpu"), r.cpu},
        };
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    printOut(QStringLiteral("model      %1%2, plan %3\n"
                            "weights    %4 (%5 bpw); KV cache %6 for %7 tokens\n"
                            "prefill    %8 tokens/s (%9 tokens)\n"
                            "decode     %10 tokens/s (%11 tokens): %12 GB/s of weights, %13% of "
                            "the %14 GB/s measured\n"
                            "memory     peak %15 = %16 × (weights + KV cache)\n"
                            "machine    %17 threads on %18\n")
                 .arg(modelName, synthetic ? QStringLiteral(" (random weights)") : QString(),
                      planName, formatBytes(r.weightBytes))
                 .arg(size.bitsPerWeight, 0, 'f', 2)
                 .arg(formatBytes(r.kvCacheBytes))
                 .arg(r.promptTokens + r.generatedTokens)
                 .arg(r.prefillTokensPerSecond, 0, 'f', 1)
                 .arg(r.promptTokens)
                 .arg(r.decodeTokensPerSecond, 0, 'f', 2)
                 .arg(r.generatedTokens)
                 .arg(double(r.decodeBytesPerToken) * r.decodeTokensPerSecond / 1e9, 0, 'f', 1)
                 .arg(100 * r.decodeBandwidthFraction, 0, 'f', 0)
                 .arg(r.readBandwidthGBs, 0, 'f', 1)
                 .arg(formatBytes(r.peakResidentBytes))
                 .arg(r.peakOverWeightsAndCache(), 0, 'f', 2)
                 .arg(r.threads)
                 .arg(r.cpu));
    return 0;
}

} // namespace

Command benchCommand() {
    return Command{
        QStringLiteral("bench"),
        QStringLiteral("[MODEL] [--synthetic NAME] [--plan PLAN.json | --precision P] [options]"),
        QStringLiteral(
            "Measure prefill and decode speed and peak memory of a plan's packed weights."),
        {QStringLiteral("[MODEL]")},
        {
            {QStringLiteral("synthetic"), QStringLiteral("NAME"),
             QStringLiteral("random weights of a known model's shapes: ") +
                 modelShapeNames().join(QStringLiteral(", "))},
            {QStringLiteral("plan"), QStringLiteral("PLAN.json"),
             QStringLiteral("precisions to benchmark (default: fp32)")},
            {QStringLiteral("precision"), QStringLiteral("P"),
             QStringLiteral("one precision for every matrix")},
            {QStringLiteral("prompt"), QStringLiteral("N"),
             QStringLiteral("prompt tokens for prefill (default: 128)")},
            {QStringLiteral("gen"), QStringLiteral("N"),
             QStringLiteral("tokens to decode (default: 32)")},
            {QStringLiteral("threads"), QStringLiteral("N"),
             QStringLiteral("threads (default: every core)")},
            {QStringLiteral("tokenizer"), QStringLiteral("FILE"),
             QStringLiteral("llama2.c tokenizer.bin")},
            dbOption(),
            {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
        },
        runBench,
    };
}

} // namespace cwb::cli
