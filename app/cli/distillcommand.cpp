// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "commoninputs.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include "calibration.h"
#include "distill.h"
#include "distillrecord.h"
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

#include <cstdio>

namespace cwb::cli {

namespace {

PrunePlan studentPlan(const QString& spec) {
    auto plan = studentSpecPlan(spec);
    if (!plan)
        throw UsageError{QStringLiteral("--student-spec: ") + plan.error().message};
    return plan.value();
}

DistillOptions distillOptions(const Arguments& a) {
    DistillOptions o;
    o.steps = int(integerOption(a, QStringLiteral("steps"), 200, 1, 1 << 24));
    o.batch = int(integerOption(a, QStringLiteral("batch"), o.batch, 1, 4096));
    o.warmupSteps = int(integerOption(a, QStringLiteral("warmup"), -1, 0, 1 << 24));
    o.seed = std::uint64_t(integerOption(a, QStringLiteral("seed"), 1234, 0, 1ll << 62));
    o.threads = int(integerOption(a, QStringLiteral("threads"), 0, 1, 1024));
    o.checkpointEvery = int(integerOption(a, QStringLiteral("checkpoint-every"), 50, 1, 1 << 24));
    o.studentEvery = int(integerOption(a, QStringLiteral("val-every"), 0, 0, 1 << 24));
    if (o.studentEvery > 0 && !a.has(QStringLiteral("val")))
        throw UsageError{QStringLiteral("--val-every needs --val FILE")};
    const auto real = [&](const char* name, float fallback) {
        return float(realOption(a, QLatin1String(name), fallback, 0));
    };
    o.lr = real("lr", o.lr);
    o.temperature = real("temperature", o.temperature);
    o.alpha = real("alpha", o.alpha);
    o.klWeight = real("kl-weight", o.klWeight);
    o.clip = real("clip", o.clip);
    o.weightDecay = real("weight-decay", o.weightDecay);
    if (o.temperature <= 0)
        throw UsageError{QStringLiteral("--temperature must be > 0")};
    if (a.flag(QStringLiteral("ce-only"))) {
        o.klWeight = 0;
        o.alpha = 1;
    }
    o.checkpointPath = a.value(QStringLiteral("checkpoint"));
    o.resume = a.flag(QStringLiteral("resume"));
    if (o.resume && o.checkpointPath.isEmpty())
        throw UsageError{QStringLiteral("--resume needs --checkpoint FILE")};
    return o;
}

QJsonObject comparisonJson(const ComparisonMetrics& m) {
    return QJsonObject{{QStringLiteral("ppl"), m.ppl},
                       {QStringLiteral("ppl_stderr"), m.pplStderr},
                       {QStringLiteral("teacher_ppl"), m.basePpl},
                       {QStringLiteral("kld_mean"), m.kldMean},
                       {QStringLiteral("kld_stderr"), m.kldStderr},
                       {QStringLiteral("top1_agreement"), m.top1Agreement},
                       {QStringLiteral("tokens"), qint64(m.tokens)}};
}

int runDistill(const Arguments& a) {
    if (!a.has(QStringLiteral("text")))
        throw UsageError{QStringLiteral("'distill' needs --text FILE")};
    if (!a.has(QStringLiteral("out")))
        throw UsageError{QStringLiteral("'distill' needs --out STUDENT.gguf")};
    const PrunePlan plan = studentPlan(a.value(QStringLiteral("student-spec")));
    const DistillOptions options = distillOptions(a);
    const int seqLen = int(integerOption(a, QStringLiteral("seq"), 128, 2, 1 << 16));
    const QString out = a.value(QStringLiteral("out"));
    installInterruptHandler();
    std::optional<RunRecorder> recorder;

    auto store = openRunStore(a);
    if (!store)
        return failRun(recorder, store.error());
    auto teacher = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!teacher)
        return failRun(recorder, teacher.error());
    const QString textPath = a.value(QStringLiteral("text"));
    auto text = readTextFile(textPath);
    if (!text)
        return failRun(recorder, text.error());
    auto data = tokenizeTrainingText(**teacher, *text, seqLen);
    if (!data)
        return failRun(recorder, data.error());
    std::optional<QByteArray> validation;
    if (a.has(QStringLiteral("val"))) {
        auto v = readTextFile(a.value(QStringLiteral("val")));
        if (!v)
            return failRun(recorder, v.error());
        validation = *v;
    }
    Progress progress = terminalProgress(QStringLiteral("distill"));
    progress.cancel = interruptFlag();

    // The student: the teacher pruned as the spec says (its own run, the distillation's parent).
    auto givenParent = parentRun(a, **store);
    if (!givenParent)
        return failRun(recorder, givenParent.error());
    std::optional<std::int64_t> parent = *givenParent;
    std::shared_ptr<const Model> student = *teacher;
    QJsonArray studentBlocks; // the teacher's block behind each student block
    if (!plan.rules.empty() || plan.isStructured()) {
        std::optional<CalibrationStats> stats;
        if (plan.needsStatistics()) {
            auto calibText = readCalibrationText(textPath);
            if (!calibText)
                return failRun(recorder, calibText.error());
            CalibrationOptions co;
            co.sequences = 32;
            co.sequenceLength = 128;
            co.hessians = false;
            co.threads = options.threads;
            auto collected = calibrate(**teacher, *calibText, co,
                                       progress.slice(0, 0.05, QStringLiteral("calibrate")));
            if (!collected)
                return failRun(recorder, collected.error());
            stats = std::move(collected.value());
        }
        RunRecord pruneRecord = studentPruneRecord(**teacher, plan, invokedCommand());
        pruneRecord.parentId = parent;
        if (stats)
            pruneRecord.calibText = {stats->textPath, stats->textSha256, stats->tokens};
        auto pruneRun = RunRecorder::start(**store, pruneRecord);
        if (!pruneRun)
            return failRun(recorder, pruneRun.error());
        auto pruned = pruneModel(**teacher, plan, stats ? &*stats : nullptr);
        if (!pruned) {
            (void)pruneRun->fail(pruned.error());
            return failRun(recorder, pruned.error());
        }
        const RunOutcome pruneOutcome = studentPruneOutcome(*pruned);
        (void)pruneRun->finish(pruneOutcome);
        studentBlocks = pruneOutcome.settings.value(QStringLiteral("kept_blocks")).toArray();
        parent = pruneRun->id();
        student = pruned->model;
        for (const QString& w : pruned->warnings)
            printWarning(w);
    }

    RunRecord record = distillationRecord(
        **teacher, plan, a.value(QStringLiteral("student-spec")), options, seqLen,
        {QFileInfo(textPath).absoluteFilePath(), sha256Hex(*text), qint64(data->tokens.size())},
        invokedCommand());
    record.parentId = parent;
    record.settings.insert(QStringLiteral("out"), QFileInfo(out).absoluteFilePath());
    auto started = RunRecorder::start(**store, record);
    if (!started)
        return failRun(recorder, started.error());
    recorder.emplace(std::move(started.value()));

    EvalOptions eo;
    eo.split = SplitMode::Documents;
    eo.maxTokens = integerOption(a, QStringLiteral("val-tokens"), 20000, 1, 1ll << 40);
    eo.threads = options.threads;
    std::optional<ComparisonMetrics> before, after;
    if (validation) {
        auto m = compareModels(**teacher, *student, *validation, eo,
                               progress.slice(0.05, 0.1, QStringLiteral("before")));
        if (!m)
            return failRun(recorder, m.error());
        before = m.value();
    }
    // The validation curve: the student compared with the teacher every --val-every steps.
    QJsonArray validationCurve;
    const auto watch = [&](int step, const Model& current) {
        auto m = compareModels(**teacher, current, *validation, eo);
        if (!m)
            return;
        validationCurve.append(QJsonArray{step, m->ppl, m->kldMean});
        finishProgressLine();
        std::fprintf(stderr, "distill: step %d: validation PPL %.4f, KLD %.5f\n", step, m->ppl,
                     m->kldMean);
    };
    auto trained = distill(**teacher, *student, *data, options,
                           progress.slice(0.1, 0.9, QStringLiteral("train")), {},
                           validation ? std::function<void(int, const Model&)>(watch)
                                      : std::function<void(int, const Model&)>());
    if (!trained)
        return failRun(recorder, trained.error());
    if (validation) {
        auto m = compareModels(**teacher, *trained->student, *validation, eo,
                               progress.slice(0.9, 0.98, QStringLiteral("after")));
        if (!m)
            return failRun(recorder, m.error());
        after = m.value();
    }
    ExportOptions exportOptions;
    exportOptions.provenance.runId = recorder->id();
    exportOptions.provenance.calibrationName = QFileInfo(textPath).fileName();
    exportOptions.provenance.calibrationSha256 = record.calibText.sha256;
    exportOptions.provenance.sourceSha256 = record.model ? record.model->sha256 : QString();
    auto written = exportGguf(*trained->student, Plan{}, out, exportOptions);
    finishProgressLine();
    if (!written)
        return failRun(recorder, written.error());

    const TrainingPoint last = trained->curve.empty() ? TrainingPoint{} : trained->curve.back();
    auto output = modelOutputJson(out);
    if (!output)
        return failRun(recorder, output.error());
    RunOutcome outcome = distillationOutcome(*trained, written->fileBytes, *output);
    std::map<QString, MetricValue>& metrics = outcome.metrics;
    if (after)
        validationCurve.append(QJsonArray{trained->steps, after->ppl, after->kldMean});
    if (!validationCurve.isEmpty())
        outcome.settings.insert(QStringLiteral("validation_curve"), validationCurve);
    QJsonObject json{{QStringLiteral("teacher"), (*teacher)->path},
                     {QStringLiteral("out"), out},
                     {QStringLiteral("steps"), trained->steps},
                     {QStringLiteral("resumed"), trained->resumed},
                     {QStringLiteral("tokens_per_second"), trained->tokensPerSecond},
                     {QStringLiteral("train_seconds"), trained->seconds},
                     {QStringLiteral("final_loss"), last.loss},
                     {QStringLiteral("final_kl"), last.kl},
                     {QStringLiteral("final_ce"), last.ce},
                     {QStringLiteral("size_bytes"), qint64(written->fileBytes)},
                     {QStringLiteral("parameters"), qint64(trained->student->parameterCount())},
                     {QStringLiteral("teacher_parameters"), qint64((*teacher)->parameterCount())},
                     {QStringLiteral("options"), options.toJson()}};
    if (before) {
        json.insert(QStringLiteral("before"), comparisonJson(*before));
        metrics[QStringLiteral("before_kld_mean")] = {before->kldMean, before->kldStderr};
        metrics[QStringLiteral("before_ppl")] = {before->ppl, before->pplStderr};
    }
    if (!validationCurve.isEmpty())
        json.insert(QStringLiteral("validation_curve"), validationCurve);
    if (after) {
        json.insert(QStringLiteral("after"), comparisonJson(*after));
        metrics[QStringLiteral("kld_mean")] = {after->kldMean, after->kldStderr};
        metrics[QStringLiteral("ppl")] = {after->ppl, after->pplStderr};
        metrics[QStringLiteral("base_ppl")] = {after->basePpl, after->basePplStderr};
        metrics[QStringLiteral("top1_agreement")] = {after->top1Agreement, after->top1Stderr};
    }
    outcome.evalTokens = after ? after->tokens : 0;
    (void)recorder->finish(outcome);
    json.insert(QStringLiteral("run_id"), qint64(recorder->id()));
    if (!studentBlocks.isEmpty())
        json.insert(QStringLiteral("student_blocks"), studentBlocks);
    parent = recorder->parentId();
    if (parent)
        json.insert(QStringLiteral("parent_run_id"), qint64(*parent));

    if (a.flag(QStringLiteral("json"))) {
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    QString report =
        QStringLiteral("teacher    %1 (%2 parameters)\nstudent    %3 parameters, %4 blocks %10\n"
                       "trained    %5 steps, final loss %6 (KL %7, CE %8), %9 tokens/s\n")
            .arg(QFileInfo((*teacher)->path).fileName())
            .arg((*teacher)->parameterCount())
            .arg(trained->student->parameterCount())
            .arg(trained->student->config.layers)
            .arg(trained->steps)
            .arg(last.loss, 0, 'f', 4)
            .arg(last.kl, 0, 'f', 4)
            .arg(last.ce, 0, 'f', 4)
            .arg(trained->tokensPerSecond, 0, 'f', 0)
            .arg(studentBlocks.isEmpty()
                     ? QString()
                     : QString::fromUtf8(
                           QJsonDocument(studentBlocks).toJson(QJsonDocument::Compact)));
    if (before && after)
        report += QStringLiteral("validation teacher PPL %1; student PPL %2 → %3, KLD %4 → %5 "
                                 "(%6 tokens)\n")
                      .arg(after->basePpl, 0, 'f', 4)
                      .arg(before->ppl, 0, 'f', 4)
                      .arg(after->ppl, 0, 'f', 4)
                      .arg(before->kldMean, 0, 'f', 5)
                      .arg(after->kldMean, 0, 'f', 5)
                      .arg(after->tokens);
    report += QStringLiteral("wrote      %1 (%2)\nrun        %3 (parent %4), recorded in %5\n")
                  .arg(out, formatBytes(written->fileBytes))
                  .arg(recorder->id())
                  .arg(parent ? QString::number(*parent) : QStringLiteral("none"))
                  .arg((*store)->path());
    printOut(report);
    return 0;
}

} // namespace

Command distillCommand() {
    std::vector<Option> options = {
        {QStringLiteral("student-spec"), QStringLiteral("SPEC"),
         QStringLiteral("blocks=0,2,4 | drop=N | ffn=F | kv=N | prune=PLAN.json, joined by ; "
                        "(default: a copy of the teacher)")},
        {QStringLiteral("text"), QStringLiteral("FILE"), QStringLiteral("the training text")},
        {QStringLiteral("out"), QStringLiteral("STUDENT.gguf"), QStringLiteral("the student")},
        {QStringLiteral("steps"), QStringLiteral("N"), QStringLiteral("optimizer steps (200)")},
        {QStringLiteral("batch"), QStringLiteral("N"), QStringLiteral("sequences per step (8)")},
        {QStringLiteral("seq"), QStringLiteral("N"), QStringLiteral("tokens per sequence (128)")},
        {QStringLiteral("lr"), QStringLiteral("X"), QStringLiteral("peak learning rate (2e-3)")},
        {QStringLiteral("warmup"), QStringLiteral("N"),
         QStringLiteral("warm-up steps (default 5% of the steps), then cosine to 10%")},
        {QStringLiteral("temperature"), QStringLiteral("T"),
         QStringLiteral("softening of both distributions in the KL term (1)")},
        {QStringLiteral("alpha"), QStringLiteral("A"),
         QStringLiteral("weight of the cross-entropy on the text (0)")},
        {QStringLiteral("kl-weight"), QStringLiteral("W"),
         QStringLiteral("weight of T²·KL(teacher‖student) (1)")},
        {QStringLiteral("ce-only"), {}, QStringLiteral("train on the text alone (no teacher)")},
        {QStringLiteral("clip"), QStringLiteral("X"),
         QStringLiteral("gradient-norm clipping (1; 0 = off)")},
        {QStringLiteral("weight-decay"), QStringLiteral("X"),
         QStringLiteral("AdamW decay of the matrices (0.01)")},
        {QStringLiteral("seed"), QStringLiteral("N"), QStringLiteral("data order seed (1234)")},
        {QStringLiteral("checkpoint"), QStringLiteral("FILE"),
         QStringLiteral("training state, written atomically")},
        {QStringLiteral("checkpoint-every"), QStringLiteral("N"),
         QStringLiteral("steps between checkpoints (50)")},
        {QStringLiteral("resume"), {}, QStringLiteral("continue from --checkpoint")},
        {QStringLiteral("val"), QStringLiteral("FILE"),
         QStringLiteral("compare student and teacher on this text before and after")},
        {QStringLiteral("val-every"), QStringLiteral("N"),
         QStringLiteral("also compare on --val every N steps (a validation curve, in the run)")},
        {QStringLiteral("val-tokens"), QStringLiteral("N"),
         QStringLiteral("scored validation tokens (20000)")},
        parentOption(),
        {QStringLiteral("tokenizer"), QStringLiteral("FILE"),
         QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)")},
        {QStringLiteral("threads"), QStringLiteral("N"),
         QStringLiteral("threads (default: 1; the demo model is too small to gain from more)")},
        dbOption(),
        {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
    };
    return Command{
        QStringLiteral("distill"),
        QStringLiteral("TEACHER --student-spec SPEC --text FILE --steps N --out STUDENT.gguf"),
        QStringLiteral("Distil a smaller student from a teacher (KL on soft labels + CE)."),
        {QStringLiteral("TEACHER")},
        options,
        runDistill,
    };
}

} // namespace cwb::cli
