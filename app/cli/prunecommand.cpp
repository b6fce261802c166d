// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationoptions.h"
#include "commands.h"
#include "commoninputs.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include "calibration.h"
#include "engine.h"
#include "ggufexport.h"
#include "model.h"
#include "modelsummary.h"
#include "prune.h"
#include "pruneevaluation.h"
#include "runrecorder.h"
#include "textfile.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace cwb::cli {

namespace {

// --plan FILE, or the compact options: one rule over every block matrix and the structured parts.
PrunePlan planFromArguments(const Arguments& a) {
    if (a.has(QStringLiteral("plan"))) {
        auto loaded = loadPrunePlan(a.value(QStringLiteral("plan")));
        if (!loaded)
            throw UsageError{loaded.error().message};
        return loaded.value();
    }
    QJsonObject structured;
    QJsonArray rules;
    if (a.has(QStringLiteral("method")))
        rules.append(QJsonObject{
            {QStringLiteral("match"),
             QStringLiteral("blk\\.[0-9]+\\.(attn_(q|k|v|output)|ffn_(gate|up|down))\\.weight")},
            {QStringLiteral("method"), a.value(QStringLiteral("method"))},
            {QStringLiteral("sparsity"),
             a.value(QStringLiteral("sparsity"), QStringLiteral("0.5")).toDouble()}});
    if (a.has(QStringLiteral("ffn")))
        structured.insert(QStringLiteral("ffn_fraction"),
                          a.value(QStringLiteral("ffn")).toDouble());
    if (a.has(QStringLiteral("kv-groups")))
        structured.insert(QStringLiteral("kv_groups"),
                          a.value(QStringLiteral("kv-groups")).toInt());
    if (a.has(QStringLiteral("drop-blocks")))
        structured.insert(QStringLiteral("blocks"), a.value(QStringLiteral("drop-blocks")).toInt());
    if (a.has(QStringLiteral("keep-blocks"))) {
        QJsonArray keep;
        for (const QString& b :
             a.value(QStringLiteral("keep-blocks")).split(QLatin1Char(','), Qt::SkipEmptyParts))
            keep.append(b.toInt());
        structured.insert(QStringLiteral("keep_blocks"), keep);
    }
    if (a.has(QStringLiteral("importance")))
        structured.insert(QStringLiteral("importance"), a.value(QStringLiteral("importance")));
    auto plan = PrunePlan::fromJson(
        QJsonObject{{QStringLiteral("rules"), rules}, {QStringLiteral("structured"), structured}});
    if (!plan)
        throw UsageError{plan.error().message};
    if (plan->rules.empty() && !plan->isStructured())
        throw UsageError{QStringLiteral(
            "'prune' needs --plan FILE or at least one of --method, --ffn, --kv-groups, "
            "--drop-blocks, --keep-blocks")};
    return plan.value();
}

int runPrune(const Arguments& a) {
    if (!a.has(QStringLiteral("out")))
        throw UsageError{QStringLiteral("'prune' needs --out MODEL.gguf")};
    if (a.has(QStringLiteral("calib")) && a.has(QStringLiteral("stats")))
        throw UsageError{QStringLiteral("give --calib FILE or --stats FILE, not both")};
    const PrunePlan plan = planFromArguments(a);
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
    const Progress progress = terminalProgress(QStringLiteral("prune"));

    std::optional<CalibrationStats> stats;
    if (a.has(QStringLiteral("stats"))) {
        auto loaded = CalibrationStats::load(a.value(QStringLiteral("stats")));
        if (!loaded)
            return failRun(recorder, loaded.error());
        stats = std::move(loaded.value());
    } else if (a.has(QStringLiteral("calib"))) {
        auto text = readCalibrationText(a.value(QStringLiteral("calib")));
        if (!text)
            return failRun(recorder, text.error());
        CalibrationOptions co = calibrationOptions(a);
        co.hessians = false; // pruning reads norms only
        co.threads = threads;
        auto collected =
            calibrate(**model, *text, co, progress.slice(0, 0.4, QStringLiteral("calibrate")));
        if (!collected)
            return failRun(recorder, collected.error());
        stats = std::move(collected.value());
    } else if (plan.needsStatistics()) {
        throw UsageError{QStringLiteral(
            "this plan needs calibration statistics: give --calib FILE or --stats STATS")};
    }

    RunRecord record = newRunRecord(QStringLiteral("prune"), model->get(), invokedCommand());
    record.name = plan.name.isEmpty() ? QStringLiteral("pruned") : plan.name;
    record.threads = threads > 0 ? threads : defaultThreadCount();
    record.settings = QJsonObject{{QStringLiteral("prune_plan"), plan.toJson()},
                                  {QStringLiteral("out"), QFileInfo(out).absoluteFilePath()}};
    auto parent = parentRun(a, **store);
    if (!parent)
        return failRun(recorder, parent.error());
    record.parentId = *parent;
    if (stats)
        record.calibText = {stats->textPath, stats->textSha256, stats->tokens};
    auto started = RunRecorder::start(**store, record);
    if (!started)
        return failRun(recorder, started.error());
    recorder.emplace(std::move(started.value()));

    auto pruned = pruneModel(**model, plan, stats ? &*stats : nullptr,
                             progress.slice(0.4, 0.6, QStringLiteral("prune")));
    if (!pruned)
        return failRun(recorder, pruned.error());
    ExportOptions exportOptions;
    exportOptions.provenance.runId = recorder->id();
    exportOptions.provenance.sourceSha256 = record.model ? record.model->sha256 : QString();
    auto written = exportGguf(*pruned->model, Plan{}, out, exportOptions,
                              progress.slice(0.6, 0.7, QStringLiteral("write")));
    if (!written)
        return failRun(recorder, written.error());

    std::map<QString, MetricValue> metrics = {
        {QStringLiteral("size_bytes"), {double(written->fileBytes), {}}},
        {QStringLiteral("dense_bytes"), {double(pruned->denseBytes), {}}},
        {QStringLiteral("sparse_bytes"), {double(pruned->sparseBytes), {}}},
        {QStringLiteral("parameters"), {double(pruned->parametersAfter), {}}},
        {QStringLiteral("base_parameters"), {double(pruned->parametersBefore), {}}},
    };
    QJsonObject json{{QStringLiteral("model"), (*model)->path},
                     {QStringLiteral("out"), out},
                     {QStringLiteral("plan"), plan.toJson()},
                     {QStringLiteral("size_bytes"), qint64(written->fileBytes)},
                     {QStringLiteral("dense_bytes"), qint64(pruned->denseBytes)},
                     {QStringLiteral("sparse_bytes"), qint64(pruned->sparseBytes)},
                     {QStringLiteral("parameters"), qint64(pruned->parametersAfter)},
                     {QStringLiteral("base_parameters"), qint64(pruned->parametersBefore)}};
    QJsonArray kept, influence;
    for (int b : pruned->keptBlocks)
        kept.append(b);
    for (double bi : pruned->blockInfluence)
        influence.append(bi);
    json.insert(QStringLiteral("kept_blocks"), kept);
    if (!influence.isEmpty())
        json.insert(QStringLiteral("block_influence"), influence);

    std::optional<ComparisonMetrics> cmp;
    if (a.has(QStringLiteral("eval-text"))) {
        auto text = readTextFile(a.value(QStringLiteral("eval-text")));
        if (!text)
            return failRun(recorder, text.error());
        EvalOptions eo;
        eo.split =
            a.value(QStringLiteral("split"), QStringLiteral("documents")) == QLatin1String("chunks")
                ? SplitMode::Chunks
                : SplitMode::Documents;
        eo.ctx = int(integerOption(a, QStringLiteral("ctx"), 512, 2, 1 << 20));
        eo.maxTokens = integerOption(a, QStringLiteral("max-tokens"), 0, 1, 1ll << 40);
        eo.threads = threads;
        auto compared = compareModels(**model, *pruned->model, *text, eo,
                                      progress.slice(0.7, 1.0, QStringLiteral("compare")));
        if (!compared)
            return failRun(recorder, compared.error());
        cmp = compared.value();
        metrics[QStringLiteral("kld_mean")] = {cmp->kldMean, cmp->kldStderr};
        metrics[QStringLiteral("ppl")] = {cmp->ppl, cmp->pplStderr};
        metrics[QStringLiteral("base_ppl")] = {cmp->basePpl, cmp->basePplStderr};
        metrics[QStringLiteral("top1_agreement")] = {cmp->top1Agreement, cmp->top1Stderr};
        metrics[QStringLiteral("tokens_scored")] = {double(cmp->tokens), {}};
        json.insert(QStringLiteral("kld_mean"), cmp->kldMean);
        json.insert(QStringLiteral("kld_stderr"), cmp->kldStderr);
        json.insert(QStringLiteral("ppl"), cmp->ppl);
        json.insert(QStringLiteral("base_ppl"), cmp->basePpl);
        json.insert(QStringLiteral("top1_agreement"), cmp->top1Agreement);
        json.insert(QStringLiteral("tokens_scored"), qint64(cmp->tokens));
    }
    finishProgressLine();

    std::vector<TensorResult> tensors;
    for (const TensorSparsity& t : pruned->tensors) {
        TensorResult r;
        r.tensor = t.name;
        r.precision = QStringLiteral("fp32");
        r.method = t.method.isEmpty() ? QStringLiteral("none") : t.method;
        r.bytes = t.sparseBytes;
        tensors.push_back(r);
    }
    auto output = modelOutputJson(out);
    if (!output)
        return failRun(recorder, output.error());
    (void)recorder->finish({metrics, tensors, cmp ? cmp->tokens : 0, *output});
    for (const QString& w : pruned->warnings + written->warnings)
        printWarning(w);
    json.insert(QStringLiteral("run_id"), qint64(recorder->id()));

    if (a.flag(QStringLiteral("json"))) {
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    const LlamaConfig& c = pruned->model->config;
    QString text =
        QStringLiteral("model      %1\nwrote      %2 (%3)\nshape      %4 blocks, %5 heads / %6 "
                       "KV heads, FFN %7\nparameters %8 of %9\nsize       dense %10, "
                       "in a sparse format %11\n")
            .arg(QFileInfo((*model)->path).fileName(), out, formatBytes(written->fileBytes))
            .arg(c.layers)
            .arg(c.heads)
            .arg(c.kvHeads)
            .arg(c.hiddenDim)
            .arg(pruned->parametersAfter)
            .arg(pruned->parametersBefore)
            .arg(formatBytes(pruned->denseBytes), formatBytes(pruned->sparseBytes));
    if (cmp)
        text += QStringLiteral("KLD        %1 ± %2 (%3 tokens)\nPPL        %4 (source %5)\n")
                    .arg(cmp->kldMean, 0, 'f', 5)
                    .arg(cmp->kldStderr, 0, 'f', 5)
                    .arg(cmp->tokens)
                    .arg(cmp->ppl, 0, 'f', 4)
                    .arg(cmp->basePpl, 0, 'f', 4);
    text +=
        QStringLiteral("run        %1, recorded in %2\n").arg(recorder->id()).arg((*store)->path());
    printOut(text);
    return 0;
}

} // namespace

Command pruneCommand() {
    std::vector<Option> options = {
        {QStringLiteral("out"), QStringLiteral("MODEL.gguf"),
         QStringLiteral("the pruned model, F32 GGUF (replaced only when complete)")},
        {QStringLiteral("plan"), QStringLiteral("PRUNEPLAN.json"),
         QStringLiteral("rules and structured removals (see README); or the options below")},
        {QStringLiteral("method"), QStringLiteral("M"),
         QStringLiteral("magnitude, wanda or 2:4 on every block matrix")},
        {QStringLiteral("sparsity"), QStringLiteral("S"),
         QStringLiteral("fraction of weights zeroed by --method (default 0.5)")},
        {QStringLiteral("ffn"), QStringLiteral("F"),
         QStringLiteral("fraction of every block's FFN neurons removed")},
        {QStringLiteral("kv-groups"), QStringLiteral("N"),
         QStringLiteral("KV heads (with their query heads) removed from every block")},
        {QStringLiteral("drop-blocks"), QStringLiteral("N"),
         QStringLiteral("remove the N blocks of least Block Influence")},
        {QStringLiteral("keep-blocks"), QStringLiteral("LIST"),
         QStringLiteral("keep exactly these blocks, e.g. 0,2,4")},
        {QStringLiteral("importance"), QStringLiteral("SCORE"),
         QStringLiteral("activation (default) or magnitude, for neurons and heads")},
        {QStringLiteral("calib"), QStringLiteral("FILE"),
         QStringLiteral("calibrate on this text first (Wanda, activation importance)")},
        {QStringLiteral("stats"), QStringLiteral("STATS"),
         QStringLiteral("reuse statistics from 'cwb calibrate'")},
        {QStringLiteral("eval-text"), QStringLiteral("FILE"),
         QStringLiteral("then compare with the source model on this text (KLD, PPL)")},
        {QStringLiteral("split"), QStringLiteral("MODE"),
         QStringLiteral("with --eval-text: documents (default) or chunks")},
        {QStringLiteral("ctx"), QStringLiteral("N"),
         QStringLiteral("with --eval-text: context (default 512)")},
        {QStringLiteral("max-tokens"), QStringLiteral("N"),
         QStringLiteral("with --eval-text: stop after N scored tokens")},
        parentOption(),
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
             {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
         })
        options.push_back(o);
    return Command{
        QStringLiteral("prune"),
        QStringLiteral("MODEL (--plan PRUNEPLAN.json | --method M [--sparsity S] | --ffn F | "
                       "--kv-groups N | --drop-blocks N | --keep-blocks LIST) "
                       "[--calib FILE | --stats STATS] --out MODEL.gguf [--eval-text FILE]"),
        QStringLiteral("Prune a model (magnitude, Wanda, 2:4, neurons, heads, blocks)."),
        {QStringLiteral("MODEL")},
        options,
        runPrune,
    };
}

} // namespace cwb::cli
