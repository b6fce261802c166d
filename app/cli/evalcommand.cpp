// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationoptions.h"
#include "commands.h"
#include "evaloutput.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include "calibration.h"
#include "engine.h"
#include "evaluation.h"
#include "model.h"
#include "modelsummary.h"
#include "planevaluation.h"
#include "runrecorder.h"
#include "textfile.h"

#include <QFileInfo>
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

QJsonObject settingsJson(const EvalOptions& o) {
    return QJsonObject{
        {QStringLiteral("split"), splitModeName(o.split)},
        {QStringLiteral("separator"), QString::fromUtf8(o.separator)},
        {QStringLiteral("ctx"), o.ctx},
        {QStringLiteral("chunks"), o.maxChunks},
        {QStringLiteral("max_tokens"), qint64(o.maxTokens)},
    };
}

// Statistics for the plan's calibrated methods: reused from `cwb calibrate` (--stats), collected
// now from a text (--calib), or none.
Result<std::optional<CalibrationStats>> statisticsFor(const Arguments& a, const Model& model,
                                                      const Progress& progress) {
    if (a.has(QStringLiteral("calib")) && a.has(QStringLiteral("stats")))
        throw UsageError{QStringLiteral("give --calib FILE or --stats FILE, not both")};
    if (a.has(QStringLiteral("stats"))) {
        auto loaded = CalibrationStats::load(a.value(QStringLiteral("stats")));
        if (!loaded)
            return loaded.error();
        return std::optional(std::move(loaded.value()));
    }
    if (!a.has(QStringLiteral("calib")))
        return std::optional<CalibrationStats>{};
    auto text = readCalibrationText(a.value(QStringLiteral("calib")));
    if (!text)
        return text.error();
    auto collected = calibrate(model, *text, calibrationOptions(a), progress);
    if (!collected)
        return collected.error();
    return std::optional(std::move(collected.value()));
}

int fail(std::optional<RunRecorder>& recorder, const Error& error) {
    finishProgressLine();
    if (recorder)
        (void)recorder->fail(error);
    printError(error.message);
    return 1;
}

int runEval(const Arguments& a) {
    if (!a.has(QStringLiteral("text")))
        throw UsageError{QStringLiteral("'eval' needs --text FILE")};
    const EvalOptions options = evalOptions(a);
    installInterruptHandler();
    std::optional<RunRecorder> recorder;

    auto store = openRunStore(a);
    if (!store)
        return fail(recorder, store.error());
    auto model = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!model)
        return fail(recorder, model.error());
    const QString textPath = a.value(QStringLiteral("text"));
    auto text = readTextFile(textPath);
    if (!text)
        return fail(recorder, text.error());
    std::optional<Plan> plan;
    if (a.has(QStringLiteral("plan"))) {
        auto loaded = loadPlanFile(a.value(QStringLiteral("plan")));
        if (!loaded)
            return fail(recorder, loaded.error());
        plan = std::move(loaded.value());
    }

    RunRecord record = newRunRecord(QStringLiteral("evaluation"), model->get(), invokedCommand());
    record.name =
        plan ? (plan->name.isEmpty() ? QFileInfo(a.value(QStringLiteral("plan"))).completeBaseName()
                                     : plan->name)
             : QStringLiteral("fp32");
    record.plan = plan ? plan->toJson() : Plan{}.toJson();
    record.evalText = {QFileInfo(textPath).absoluteFilePath(), sha256Hex(*text), 0};
    record.settings = settingsJson(options);
    record.threads = options.threads > 0 ? options.threads : defaultThreadCount();
    const Progress progress = terminalProgress(QStringLiteral("eval"));

    if (!plan) {
        auto started = RunRecorder::start(**store, record);
        if (!started)
            return fail(recorder, started.error());
        recorder.emplace(std::move(started.value()));
        auto result = evaluatePerplexity(**model, *text, options, progress);
        finishProgressLine();
        if (!result)
            return fail(recorder, result.error());
        (void)recorder->finish({metricsOf(*result),
                                tensorResultsOf(**model, ResolvedPlan{}),
                                result->tokensScored,
                                {}});
        for (const QString& w : result->warnings)
            printWarning(w);
        QJsonObject json = perplexityJson(*result);
        json.insert(QStringLiteral("run_id"), qint64(recorder->id()));
        json.insert(QStringLiteral("model"), (*model)->path);
        json.insert(QStringLiteral("text"),
                    QJsonObject{{QStringLiteral("path"), textPath},
                                {QStringLiteral("bytes"), qint64(text->size())},
                                {QStringLiteral("sha256"), record.evalText.sha256}});
        if (a.flag(QStringLiteral("json")))
            printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                     QLatin1Char('\n'));
        else
            printOut(QStringLiteral("model      %1\ntext       %2 (%3)\n")
                         .arg(QFileInfo((*model)->path).fileName(), QFileInfo(textPath).fileName(),
                              formatBytes(std::uint64_t(text->size()))) +
                     perplexityText(*result) +
                     QStringLiteral("run        %1, recorded in %2\n")
                         .arg(recorder->id())
                         .arg((*store)->path()));
        return 0;
    }

    auto stats = statisticsFor(a, **model, progress);
    if (!stats)
        return fail(recorder, stats.error());
    if (*stats)
        record.calibText = {(*stats)->textPath, (*stats)->textSha256, (*stats)->tokens};
    auto started = RunRecorder::start(**store, record);
    if (!started)
        return fail(recorder, started.error());
    recorder.emplace(std::move(started.value()));
    PlanEvaluationOptions o;
    o.eval = options;
    o.stats = *stats ? &**stats : nullptr;
    auto result = evaluatePlan(**model, *text, *plan, o, progress);
    finishProgressLine();
    if (!result)
        return fail(recorder, result.error());
    QJsonObject settingsUpdate;
    if (*stats)
        settingsUpdate.insert(QStringLiteral("calibration"), (*stats)->provenance());
    (void)recorder->finish({metricsOf(*result),
                            tensorResultsOf(**model, resolvePlan(*plan, **model)),
                            result->metrics.tokens, settingsUpdate});
    for (const QString& w : result->warnings)
        printWarning(w);
    if (a.flag(QStringLiteral("json"))) {
        QJsonObject json = planEvaluationJson(*result);
        json.insert(QStringLiteral("run_id"), qint64(recorder->id()));
        json.insert(QStringLiteral("model"), (*model)->path);
        json.insert(QStringLiteral("plan"), plan->toJson());
        if (*stats)
            json.insert(QStringLiteral("calibration"), (*stats)->provenance());
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    printOut(QStringLiteral("model      %1\nplan       %2\n\n")
                 .arg(QFileInfo((*model)->path).fileName(), record.name) +
             planEvaluationText(*result) +
             QStringLiteral("run %1, recorded in %2\n").arg(recorder->id()).arg((*store)->path()));
    return 0;
}

} // namespace

Command evalCommand() {
    std::vector<Option> options = {
        {QStringLiteral("text"), QStringLiteral("FILE"),
         QStringLiteral("UTF-8 text to evaluate on")},
        {QStringLiteral("plan"), QStringLiteral("PLAN.json"),
         QStringLiteral("quantize by this plan and compare with the FP32 model")},
        {QStringLiteral("calib"), QStringLiteral("FILE"),
         QStringLiteral("calibrate on this text first (for smoothquant, awq, gptq)")},
        {QStringLiteral("stats"), QStringLiteral("STATS"),
         QStringLiteral("reuse statistics from 'cwb calibrate'")},
    };
    for (Option o : calibrationOptionTable()) {
        o.help = QStringLiteral("with --calib: ") + o.help;
        options.push_back(o);
    }
    for (const Option& o : std::vector<Option>{
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
             dbOption(),
             {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
         })
        options.push_back(o);
    return Command{
        QStringLiteral("eval"),
        QStringLiteral(
            "MODEL --text FILE [--plan PLAN.json [--calib FILE | --stats STATS]] [options]"),
        QStringLiteral(
            "Measure perplexity on a text (llama.cpp's method with --split chunks); with a plan, "
            "KL divergence and more against the FP32 model."),
        {QStringLiteral("MODEL")},
        options,
        runEval,
    };
}

} // namespace cwb::cli
