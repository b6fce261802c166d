// SPDX-License-Identifier: GPL-3.0-or-later
#include "planevaluation.h"

#include "baselinecache.h"
#include "engine.h"
#include "fingerprint.h"
#include "textfile.h"

#include <QCryptographicHash>
#include <QElapsedTimer>

namespace cwb {
namespace {

Result<std::unique_ptr<Engine>> makeEngine(WeightSet weights, int threads,
                                           const Progress& progress) {
    return Engine::create(std::move(weights), EngineOptions{threads, progress.cancel});
}

} // namespace

QString baselineKey(const QString& modelSha, const QString& textSha, const EvalOptions& o,
                    int threads) {
    QCryptographicHash h(QCryptographicHash::Sha256);
    const QString identity = QStringLiteral("cwb-baseline-v1|%1|%2|%3|%4|%5|%6|%7|%8")
                                 .arg(modelSha, textSha, splitModeName(o.split),
                                      QString::fromLatin1(o.separator.toHex()))
                                 .arg(o.ctx)
                                 .arg(o.maxChunks)
                                 .arg(o.maxTokens)
                                 .arg(threads);
    h.addData(identity.toUtf8());
    return QString::fromLatin1(h.result().toHex());
}

Result<PlanEvaluation> evaluatePlan(const Model& model, const QByteArray& text, const Plan& plan,
                                    const PlanEvaluationOptions& options,
                                    const Progress& progress) {
    QElapsedTimer wall;
    wall.start();
    const ResolvedPlan resolved = resolvePlan(plan, model);
    const EvalOptions& o = options.eval;
    const int threads = o.threads > 0 ? o.threads : defaultThreadCount();

    PlanEvaluation result;
    result.warnings = resolved.warnings;
    result.size = sizeOf(model, resolved);
    result.baselineSize = sizeOf(model, resolvePlan(Plan{}, model));
    result.threads = threads;
    result.split = o.split;

    progress(0.0, QStringLiteral("tokenizing"));
    auto evalPlan = planEvaluation(model, text, o);
    if (!evalPlan)
        return evalPlan.error();
    result.warnings += evalPlan->warnings;
    result.ctx = evalPlan->ctx;
    result.sequences = int(evalPlan->sequences.size());
    result.tokensProcessed = evalPlan->processedTokens;
    result.modelSha256 = modelFingerprint(model);
    result.textSha256 = sha256Hex(text);

    const QString key = baselineKey(result.modelSha256, result.textSha256, o, threads);
    const QString dir = options.cacheDir.isEmpty() ? cacheDirectory() : options.cacheDir;
    const Progress baselineProgress = progress.slice(0.0, 0.45);
    auto baseline = BaselineLogits::obtain(
        dir, key, model.config.vocabSize, evalPlan->scoredTokens,
        [&](const BaselineLogits::RowSink& sink) -> Result<void> {
            baselineProgress(0.0, QStringLiteral("FP32 baseline"));
            auto weights = WeightSet::fromModel(model);
            if (!weights)
                return weights.error();
            auto engine =
                makeEngine(std::move(weights.value()), threads, Progress{{}, progress.cancel});
            if (!engine)
                return engine.error();
            return runPlan(**engine, *evalPlan,
                           baselineProgress.slice(0.0, 1.0, QStringLiteral("FP32 baseline")),
                           [&](std::span<const float> logits, std::int32_t) { sink(logits); });
        });
    if (!baseline)
        return baseline.error();
    result.baselineFromCache = baseline->fromCache();
    result.warnings += baseline->warnings();

    auto weights = WeightSet::fromPlan(model, resolved, WeightMode::Accuracy, options.stats,
                                       progress.slice(0.45, 0.5, QStringLiteral("quantizing")));
    if (!weights)
        return weights.error();
    result.methodReports = weights->methodReports;
    result.warnings += weights->warnings;
    if (options.stats) {
        std::vector<std::uint64_t> counts(std::size_t(model.config.vocabSize), 0);
        for (const EvalSequence& s : evalPlan->sequences)
            for (std::int32_t t : s.tokens)
                ++counts[std::size_t(t)];
        result.mismatch = compareTokenDistributions(options.stats->tokenCounts, counts);
        if (result.mismatch->mismatched)
            result.warnings << result.mismatch->message();
    }
    auto engine = makeEngine(std::move(weights.value()), threads, progress);
    if (!engine)
        return engine.error();
    DistributionComparer comparer;
    std::int64_t row = 0;
    QElapsedTimer forward;
    forward.start();
    auto run = runPlan(**engine, *evalPlan, progress.slice(0.5, 1.0, QStringLiteral("plan")),
                       [&](std::span<const float> logits, std::int32_t next) {
                           comparer.add(baseline->row(row++), logits, next);
                       });
    if (!run)
        return run.error();
    const double forwardSeconds = double(forward.nsecsElapsed()) / 1e9;
    result.metrics = comparer.result();
    result.seconds = double(wall.nsecsElapsed()) / 1e9;
    result.tokensPerSecond =
        forwardSeconds > 0 ? double(result.tokensProcessed) / forwardSeconds : 0;
    return result;
}

} // namespace cwb
