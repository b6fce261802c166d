// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationoptions.h"
#include "commands.h"
#include "commoninputs.h"
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

int runEval(const Arguments& a) {
    if (!a.has(QStringLiteral("text")))
        throw UsageError{QStringLiteral("'eval' needs --text FILE")};
    const EvalOptions options = evalOptionsFrom(a);
    installInterruptHandler();
    std::optional<RunRecorder> recorder;

    auto store = openRunStore(a);
    if (!store)
        return failRun(recorder, store.error());
    auto model = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!model)
        return failRun(recorder, model.error());
    const QString textPath = a.value(QStringLiteral("text"));
    auto text = readTextFile(textPath);
    if (!text)
        return failRun(recorder, text.error());
    std::optional<Plan> plan;
    if (a.has(QStringLiteral("plan"))) {
        auto loaded = loadPlanFile(a.value(QStringLiteral("plan")));
        if (!loaded)
            return failRun(recorder, loaded.error());
        plan = std::move(loaded.value());
    }

    RunRecord record = newRunRecord(QStringLiteral("evaluation"), model->get(), invokedCommand());
    record.name =
        plan ? (plan->name.isEmpty() ? QFileInfo(a.value(QStringLiteral("plan"))).completeBaseName()
                                     : plan->name)
             : QStringLiteral("fp32");
    record.plan = plan ? plan->toJson() : Plan{}.toJson();
    record.evalText = {QFileInfo(textPath).absoluteFilePath(), sha256Hex(*text), 0};
    record.settings = evalSettingsJson(options);
    record.threads = options.threads > 0 ? options.threads : defaultThreadCount();
    auto parent = parentRun(a, **store);
    if (!parent)
        return failRun(recorder, parent.error());
    record.parentId = *parent;
    const Progress progress = terminalProgress(QStringLiteral("eval"));

    if (!plan) {
        auto started = RunRecorder::start(**store, record);
        if (!started)
            return failRun(recorder, started.error());
        recorder.emplace(std::move(started.value()));
        auto result = evaluatePerplexity(**model, *text, options, progress);
        finishProgressLine();
        if (!result)
            return failRun(recorder, result.error());
        (void)recorder->finish({metricsOf(**model, *result),
                                tensorResultsOf(**model, ResolvedPlan{}),
                                result->tokensScored,
                                {}});
        for (const QString& w : result->warnings)
            printWarning(w);
        QJsonObject json = perplexityJson(*result);
        json.insert(QStringLiteral("run_id"), qint64(recorder->id()));
        if (recorder->parentId())
            json.insert(QStringLiteral("parent_run_id"), qint64(*recorder->parentId()));
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

    auto stats = statisticsFrom(a, **model, progress);
    if (!stats)
        return failRun(recorder, stats.error());
    if (*stats)
        record.calibText = {(*stats)->textPath, (*stats)->textSha256, (*stats)->tokens};
    auto started = RunRecorder::start(**store, record);
    if (!started)
        return failRun(recorder, started.error());
    recorder.emplace(std::move(started.value()));
    PlanEvaluationOptions o;
    o.eval = options;
    o.stats = *stats ? &**stats : nullptr;
    auto result = evaluatePlan(**model, *text, *plan, o, progress);
    finishProgressLine();
    if (!result)
        return failRun(recorder, result.error());
    QJsonObject settingsUpdate;
    if (*stats)
        settingsUpdate.insert(QStringLiteral("calibration"), (*stats)->provenance());
    if (result->mismatch)
        settingsUpdate.insert(QStringLiteral("mismatch"), result->mismatch->toJson());
    (void)recorder->finish({metricsOf(*result),
                            tensorResultsOf(**model, resolvePlan(*plan, **model)),
                            result->metrics.tokens, settingsUpdate});
    for (const QString& w : result->warnings)
        printWarning(w);
    if (a.flag(QStringLiteral("json"))) {
        QJsonObject json = planEvaluationJson(*result);
        json.insert(QStringLiteral("run_id"), qint64(recorder->id()));
        if (recorder->parentId())
            json.insert(QStringLiteral("parent_run_id"), qint64(*recorder->parentId()));
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
    };
    for (const Option& o : statisticsOptionTable())
        options.push_back(o);
    options.push_back({QStringLiteral("tokenizer"), QStringLiteral("FILE"),
                       QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)")});
    for (const Option& o : evalOptionTable())
        options.push_back(o);
    for (const Option& o : std::vector<Option>{
             dbOption(),
             parentOption(),
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
