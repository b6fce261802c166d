// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationoptions.h"
#include "commands.h"
#include "commoninputs.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include "calibration.h"
#include "engine.h"
#include "exportrecord.h"
#include "ggufexport.h"
#include "model.h"
#include "modelsummary.h"
#include "runrecorder.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace cwb::cli {

namespace {

int runQuantize(const Arguments& a) {
    if (!a.has(QStringLiteral("plan")))
        throw UsageError{QStringLiteral("'quantize' needs --plan PLAN.json")};
    if (!a.has(QStringLiteral("out")))
        throw UsageError{QStringLiteral("'quantize' needs --out MODEL.gguf")};
    if (a.has(QStringLiteral("calib")) && a.has(QStringLiteral("stats")))
        throw UsageError{QStringLiteral("give --calib FILE or --stats FILE, not both")};
    const auto fallback =
        fallbackByName(a.value(QStringLiteral("fallback"), QStringLiteral("stop")));
    if (!fallback)
        throw UsageError{QStringLiteral("--fallback must be nearest or stop, not '%1'")
                             .arg(a.value(QStringLiteral("fallback")))};
    const QString out = a.value(QStringLiteral("out"));
    const int threads = int(integerOption(a, QStringLiteral("threads"), 0, 1, 1024));
    installInterruptHandler();
    std::optional<RunRecorder> recorder;

    auto store = openRunStore(a);
    if (!store)
        return failRun(recorder, store.error());
    auto model = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!model)
        return failRun(recorder, model.error());
    auto plan = loadPlanFile(a.value(QStringLiteral("plan")));
    if (!plan)
        return failRun(recorder, plan.error());
    const ResolvedPlan resolved = resolvePlan(*plan, **model);

    auto parent = parentRun(a, **store);
    if (!parent)
        return failRun(recorder, parent.error());

    // Told before anything is computed or written, tensor by tensor.
    const ExportLayout layout = planExport(**model, resolved);
    for (const ExportFallbackItem& f : layout.fallbacks)
        printWarning(QStringLiteral("no GGUF type for %1").arg(f.text()));

    const Progress progress = terminalProgress(QStringLiteral("quantize"));
    // A refused export needs no statistics: it stops before quantizing anything.
    const bool refused = *fallback == ExportFallback::Stop && !layout.fallbacks.empty();
    Result<std::optional<CalibrationStats>> stats = std::optional<CalibrationStats>{};
    if (!refused)
        stats = statisticsFrom(a, **model, progress);
    if (!stats)
        return failRun(recorder, stats.error());
    const CalibrationStats* usedStats = *stats ? &**stats : nullptr;
    RunRecord record = quantizeRecord(
        **model, *plan,
        plan->name.isEmpty() ? QFileInfo(a.value(QStringLiteral("plan"))).completeBaseName()
                             : plan->name,
        out, *fallback, usedStats, threads > 0 ? threads : defaultThreadCount(), invokedCommand());
    record.parentId = *parent;
    auto started = RunRecorder::start(**store, record);
    if (!started)
        return failRun(recorder, started.error());
    recorder.emplace(std::move(started.value()));

    ExportOptions options;
    options.fallback = *fallback;
    options.stats = usedStats;
    options.provenance.runId = recorder->id();
    options.provenance.sourceSha256 = record.model ? record.model->sha256 : QString();
    auto result = exportGguf(**model, *plan, out, options, progress);
    finishProgressLine();
    if (!result)
        return failRun(recorder, result.error());
    auto output = modelOutputJson(out);
    if (!output)
        return failRun(recorder, output.error());
    const RunOutcome outcome = quantizeOutcome(**model, resolved, *result, *output, usedStats);
    const double bpw = outcome.metrics.at(QStringLiteral("bpw")).value;
    (void)recorder->finish(outcome);
    for (const QString& w : result->warnings)
        printWarning(w);

    if (a.flag(QStringLiteral("json"))) {
        QJsonArray tensors;
        for (const ExportedTensor& t : result->layout.tensors)
            tensors.append(QJsonObject{
                {QStringLiteral("name"), t.name},
                {QStringLiteral("precision"), QLatin1String(precisionInfo(t.precision).name)},
                {QStringLiteral("type"), QLatin1String(traitsOf(t.type).name)},
                {QStringLiteral("bytes"), qint64(t.bytes)},
                {QStringLiteral("fallback"), t.fallback}});
        QJsonObject json{
            {QStringLiteral("run_id"), qint64(recorder->id())},
            {QStringLiteral("parent_run_id"),
             recorder->parentId() ? QJsonValue(qint64(*recorder->parentId())) : QJsonValue()},
            {QStringLiteral("model"), (*model)->path},
            {QStringLiteral("out"), out},
            {QStringLiteral("size_bytes"), qint64(result->fileBytes)},
            {QStringLiteral("bpw"), bpw},
            {QStringLiteral("plan"), plan->toJson()},
            {QStringLiteral("fallbacks"), fallbacksJson(result->layout.fallbacks)},
            {QStringLiteral("tensors"), tensors}};
        if (*stats)
            json.insert(QStringLiteral("calibration"), (*stats)->provenance());
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    std::map<QString, int> typeCounts;
    for (const ExportedTensor& t : result->layout.tensors)
        ++typeCounts[QLatin1String(traitsOf(t.type).name)];
    QStringList counts;
    for (const auto& [type, n] : typeCounts)
        counts << QStringLiteral("%1 × %2").arg(n).arg(type);
    printOut(QStringLiteral("model      %1\nplan       %2\nwrote      %3 (%4, %5 bpw)\n"
                            "tensors    %6\n")
                 .arg(QFileInfo((*model)->path).fileName(), record.name, out,
                      formatBytes(result->fileBytes), QString::number(bpw, 'f', 2),
                      counts.join(QStringLiteral(", "))) +
             (result->layout.fallbacks.empty()
                  ? QString()
                  : QStringLiteral("fallbacks  %1 tensor(s) in the nearest exact type\n")
                        .arg(result->layout.fallbacks.size())) +
             QStringLiteral("run        %1, recorded in %2\n")
                 .arg(recorder->id())
                 .arg((*store)->path()));
    return 0;
}

} // namespace

Command quantizeCommand() {
    std::vector<Option> options = {
        {QStringLiteral("plan"), QStringLiteral("PLAN.json"),
         QStringLiteral("the per-tensor precisions and methods")},
        {QStringLiteral("out"), QStringLiteral("MODEL.gguf"),
         QStringLiteral("the GGUF v3 file to write (replaced only when complete)")},
        {QStringLiteral("calib"), QStringLiteral("FILE"),
         QStringLiteral("calibrate on this text first (for smoothquant, awq, gptq)")},
        {QStringLiteral("stats"), QStringLiteral("STATS"),
         QStringLiteral("reuse statistics from 'cwb calibrate'")},
        {QStringLiteral("fallback"), QStringLiteral("MODE"),
         QStringLiteral("for precisions GGUF cannot hold as they are: stop (default) or nearest "
                        "(int4_g128 as Q4_0 when rows are whole blocks of 32, else F32; both "
                        "exact)")},
    };
    for (Option o : calibrationOptionTable()) {
        o.help = QStringLiteral("with --calib: ") + o.help;
        options.push_back(o);
    }
    for (const Option& o : std::vector<Option>{
             {QStringLiteral("tokenizer"), QStringLiteral("FILE"),
              QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)")},
             {QStringLiteral("threads"), QStringLiteral("N"),
              QStringLiteral("threads (default: every core)")},
             dbOption(),
             parentOption(),
             {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
         })
        options.push_back(o);
    return Command{
        QStringLiteral("quantize"),
        QStringLiteral("MODEL --plan PLAN.json [--calib FILE | --stats STATS] --out MODEL.gguf "
                       "[--fallback nearest|stop]"),
        QStringLiteral("Write the compressed model as a GGUF file for llama.cpp and Ollama."),
        {QStringLiteral("MODEL")},
        options,
        runQuantize,
    };
}

} // namespace cwb::cli
