// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "terminal.h"

#include "evaluation.h"
#include "model.h"
#include "modelsummary.h"
#include "planevaluation.h"
#include "textfile.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace cwb::cli {

namespace {

EvalOptions evalOptions(const Arguments& a) {
    EvalOptions o;
    const QString split = a.value(QStringLiteral("split"), QStringLiteral("chunks"));
    if (split == QLatin1String("chunks"))
        o.split = SplitMode::Chunks;
    else if (split == QLatin1String("documents"))
        o.split = SplitMode::Documents;
    else
        throw UsageError{
            QStringLiteral("--split must be chunks or documents, not '%1'").arg(split)};
    if (a.has(QStringLiteral("separator"))) {
        o.separator = a.value(QStringLiteral("separator")).toUtf8();
        if (o.separator.isEmpty())
            throw UsageError{QStringLiteral("--separator must not be empty")};
    }
    o.ctx = int(integerOption(a, QStringLiteral("ctx"), 512, 2, 1 << 20));
    o.maxChunks = int(integerOption(a, QStringLiteral("chunks"), 0, 1, 1 << 30));
    o.maxTokens = integerOption(a, QStringLiteral("max-tokens"), 0, 1, 1ll << 40);
    o.threads = int(integerOption(a, QStringLiteral("threads"), 0, 1, 1024));
    return o;
}

QJsonObject planEvaluationJson(const PlanEvaluation& e) {
    const ComparisonMetrics& m = e.metrics;
    return QJsonObject{
        {QStringLiteral("ppl"), m.ppl},
        {QStringLiteral("ppl_stderr"), m.pplStderr},
        {QStringLiteral("base_ppl"), m.basePpl},
        {QStringLiteral("base_ppl_stderr"), m.basePplStderr},
        {QStringLiteral("ppl_ratio"), m.pplRatio},
        {QStringLiteral("ppl_ratio_stderr"), m.pplRatioStderr},
        {QStringLiteral("kld_mean"), m.kldMean},
        {QStringLiteral("kld_stderr"), m.kldStderr},
        {QStringLiteral("kld_median"), m.kldMedian},
        {QStringLiteral("kld_p99"), m.kldP99},
        {QStringLiteral("kld_max"), m.kldMax},
        {QStringLiteral("top1_agreement"), m.top1Agreement},
        {QStringLiteral("top1_stderr"), m.top1Stderr},
        {QStringLiteral("delta_p_mean"), m.deltaPMean},
        {QStringLiteral("delta_p_stderr"), m.deltaPStderr},
        {QStringLiteral("size_bytes"), qint64(e.size.totalBytes)},
        {QStringLiteral("bpw"), e.size.bitsPerWeight},
        {QStringLiteral("base_size_bytes"), qint64(e.baselineSize.totalBytes)},
        {QStringLiteral("base_bpw"), e.baselineSize.bitsPerWeight},
        {QStringLiteral("saving"), e.size.savingVsFp32()},
        {QStringLiteral("tokens_scored"), qint64(m.tokens)},
        {QStringLiteral("tokens_processed"), qint64(e.tokensProcessed)},
        {QStringLiteral("sequences"), e.sequences},
        {QStringLiteral("split"), splitModeName(e.split)},
        {QStringLiteral("ctx"), e.ctx},
        {QStringLiteral("threads"), e.threads},
        {QStringLiteral("tok_per_s"), e.tokensPerSecond},
        {QStringLiteral("seconds"), e.seconds},
        {QStringLiteral("baseline_cached"), e.baselineFromCache},
        {QStringLiteral("model_sha256"), e.modelSha256},
        {QStringLiteral("text_sha256"), e.textSha256},
        {QStringLiteral("warnings"), QJsonArray::fromStringList(e.warnings)},
    };
}

QString planEvaluationText(const PlanEvaluation& e) {
    const ComparisonMetrics& m = e.metrics;
    auto pm = [](double v, double err, int decimals) {
        return QStringLiteral("%1 ± %2").arg(v, 0, 'f', decimals).arg(err, 0, 'f', decimals);
    };
    auto row = [](const QString& label, const QString& base, const QString& plan) {
        return QStringLiteral("%1%2%3\n").arg(label, -24).arg(base, -26).arg(plan);
    };
    QString out = row(QString(), QStringLiteral("FP32 baseline"), QStringLiteral("plan"));
    out += row(QStringLiteral("PPL"), pm(m.basePpl, m.basePplStderr, 4), pm(m.ppl, m.pplStderr, 4));
    out += row(QStringLiteral("PPL ratio"), QString(), pm(m.pplRatio, m.pplRatioStderr, 5));
    out += row(QStringLiteral("mean KLD"), QString(), pm(m.kldMean, m.kldStderr, 6));
    out += row(QStringLiteral("KLD median / p99 / max"), QString(),
               QStringLiteral("%1 / %2 / %3")
                   .arg(m.kldMedian, 0, 'g', 4)
                   .arg(m.kldP99, 0, 'g', 4)
                   .arg(m.kldMax, 0, 'g', 4));
    out += row(QStringLiteral("top-1 agreement"), QString(),
               QStringLiteral("%1% ± %2%")
                   .arg(100 * m.top1Agreement, 0, 'f', 2)
                   .arg(100 * m.top1Stderr, 0, 'f', 2));
    out += row(QStringLiteral("mean Δp"), QString(), pm(m.deltaPMean, m.deltaPStderr, 5));
    out += row(QStringLiteral("size"),
               QStringLiteral("%1 (%2 bpw)")
                   .arg(formatBytes(e.baselineSize.totalBytes))
                   .arg(e.baselineSize.bitsPerWeight, 0, 'f', 2),
               QStringLiteral("%1 (%2 bpw), %3% smaller")
                   .arg(formatBytes(e.size.totalBytes))
                   .arg(e.size.bitsPerWeight, 0, 'f', 2)
                   .arg(100 * e.size.savingVsFp32(), 0, 'f', 1));
    out += QStringLiteral(
               "\n%1 tokens scored (%2, context %3), %4 tokens/s on %5 threads; FP32 baseline %6\n")
               .arg(formatCount(m.tokens), splitModeName(e.split))
               .arg(e.ctx)
               .arg(e.tokensPerSecond, 0, 'f', 0)
               .arg(e.threads)
               .arg(e.baselineFromCache ? QStringLiteral("from the cache")
                                        : QStringLiteral("computed and cached"));
    return out;
}

int runPlanEval(const Arguments& a, const Model& model, const QByteArray& text,
                const EvalOptions& options) {
    auto plan = loadPlanFile(a.value(QStringLiteral("plan")));
    if (!plan) {
        printError(plan.error().message);
        return 1;
    }
    PlanEvaluationOptions o;
    o.eval = options;
    auto result = evaluatePlan(model, text, *plan, o, terminalProgress(QStringLiteral("eval")));
    finishProgressLine();
    if (!result) {
        printError(result.error().message);
        return 1;
    }
    for (const QString& w : result->warnings)
        printWarning(w);
    if (a.flag(QStringLiteral("json"))) {
        QJsonObject json = planEvaluationJson(*result);
        json.insert(QStringLiteral("model"), model.path);
        json.insert(QStringLiteral("plan"), plan->toJson());
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    printOut(QStringLiteral("model      %1\nplan       %2\n\n")
                 .arg(QFileInfo(model.path).fileName(),
                      plan->name.isEmpty() ? QFileInfo(a.value(QStringLiteral("plan"))).fileName()
                                           : plan->name) +
             planEvaluationText(*result));
    return 0;
}

int runEval(const Arguments& a) {
    if (!a.has(QStringLiteral("text")))
        throw UsageError{QStringLiteral("'eval' needs --text FILE")};
    const EvalOptions options = evalOptions(a);
    installInterruptHandler();

    auto model = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!model) {
        printError(model.error().message);
        return 1;
    }
    const QString textPath = a.value(QStringLiteral("text"));
    auto text = readTextFile(textPath);
    if (!text) {
        printError(text.error().message);
        return 1;
    }
    if (a.has(QStringLiteral("plan")))
        return runPlanEval(a, **model, *text, options);
    auto result =
        evaluatePerplexity(**model, *text, options, terminalProgress(QStringLiteral("eval")));
    finishProgressLine();
    if (!result) {
        printError(result.error().message);
        return 1;
    }
    const PerplexityResult& r = *result;
    for (const QString& w : r.warnings)
        printWarning(w);

    if (a.flag(QStringLiteral("json"))) {
        const QJsonObject json{
            {QStringLiteral("model"), (*model)->path},
            {QStringLiteral("text"), QJsonObject{{QStringLiteral("path"), textPath},
                                                 {QStringLiteral("bytes"), qint64(text->size())},
                                                 {QStringLiteral("sha256"), sha256Hex(*text)}}},
            {QStringLiteral("split"), splitModeName(r.split)},
            {QStringLiteral("ctx"), r.ctx},
            {QStringLiteral("sequences"), r.sequences},
            {QStringLiteral("ppl"), r.ppl},
            {QStringLiteral("ppl_stderr"), r.pplStderr},
            {QStringLiteral("nll_mean"), r.nllMean},
            {QStringLiteral("tokens_scored"), qint64(r.tokensScored)},
            {QStringLiteral("tokens_processed"), qint64(r.tokensProcessed)},
            {QStringLiteral("tok_per_s"), r.tokensPerSecond},
            {QStringLiteral("seconds"), r.seconds},
            {QStringLiteral("threads"), r.threads},
            {QStringLiteral("warnings"), QJsonArray::fromStringList(r.warnings)},
        };
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    printOut(QStringLiteral("model      %1\n"
                            "text       %2 (%3)\n"
                            "method     %4, context %5, %6 %7\n"
                            "PPL        %8 ± %9\n"
                            "tokens     %10 scored, %11 run through the model\n"
                            "speed      %12 tokens/s on %13 threads (%14 s in all)\n")
                 .arg(QFileInfo((*model)->path).fileName(), QFileInfo(textPath).fileName(),
                      formatBytes(std::uint64_t(text->size())), splitModeName(r.split))
                 .arg(r.ctx)
                 .arg(r.sequences)
                 .arg(r.split == SplitMode::Chunks ? QStringLiteral("chunks")
                                                   : QStringLiteral("documents"))
                 .arg(r.ppl, 0, 'f', 6)
                 .arg(r.pplStderr, 0, 'f', 6)
                 .arg(formatCount(r.tokensScored), formatCount(r.tokensProcessed))
                 .arg(r.tokensPerSecond, 0, 'f', 0)
                 .arg(r.threads)
                 .arg(r.seconds, 0, 'f', 2));
    return 0;
}

} // namespace

Command evalCommand() {
    return Command{
        QStringLiteral("eval"),
        QStringLiteral("MODEL --text FILE [--plan PLAN.json] [options]"),
        QStringLiteral("Measure perplexity on a text (llama.cpp's method with --split chunks)."),
        {QStringLiteral("MODEL")},
        {
            {QStringLiteral("text"), QStringLiteral("FILE"),
             QStringLiteral("UTF-8 text to evaluate on")},
            {QStringLiteral("plan"), QStringLiteral("PLAN.json"),
             QStringLiteral("quantize by this plan and compare with the FP32 model")},
            {QStringLiteral("tokenizer"), QStringLiteral("FILE"),
             QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)")},
            {QStringLiteral("split"), QStringLiteral("MODE"),
             QStringLiteral("chunks (llama-perplexity -c CTX) or documents (default: chunks)")},
            {QStringLiteral("separator"), QStringLiteral("STR"),
             QStringLiteral("document separator (default: <|endoftext|>)")},
            {QStringLiteral("ctx"), QStringLiteral("N"),
             QStringLiteral("context length in tokens (default: 512)")},
            {QStringLiteral("chunks"), QStringLiteral("N"),
             QStringLiteral("evaluate at most N chunks")},
            {QStringLiteral("max-tokens"), QStringLiteral("N"),
             QStringLiteral("stop after N scored tokens")},
            {QStringLiteral("threads"), QStringLiteral("N"),
             QStringLiteral("threads (default: every core)")},
            {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
        },
        runEval,
    };
}

} // namespace cwb::cli
