// SPDX-License-Identifier: GPL-3.0-or-later
#include "distillrun.h"

#include "ggufexport.h"
#include "prune.h"
#include "runrecorder.h"
#include "textfile.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QStringList>

namespace {

QString shellWord(const QString& word) {
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    if (plain.match(word).hasMatch())
        return word;
    return QLatin1Char('\'') + QString(word).replace(QLatin1Char('\''), QLatin1String("'\\''")) +
           QLatin1Char('\'');
}

// The `cwb distill` command that repeats the run from a shell.
QString distillCommand(const DistillRequest& r) {
    const cwb::DistillOptions& o = r.options;
    QStringList args{QStringLiteral("cwb"),
                     QStringLiteral("distill"),
                     shellWord(r.teacher->path),
                     QStringLiteral("--student-spec"),
                     shellWord(r.studentSpec),
                     QStringLiteral("--text"),
                     shellWord(r.textPath),
                     QStringLiteral("--steps"),
                     QString::number(o.steps),
                     QStringLiteral("--batch"),
                     QString::number(o.batch),
                     QStringLiteral("--seq"),
                     QString::number(r.sequenceLength),
                     QStringLiteral("--lr"),
                     QString::number(double(o.lr)),
                     QStringLiteral("--temperature"),
                     QString::number(double(o.temperature)),
                     QStringLiteral("--alpha"),
                     QString::number(double(o.alpha)),
                     QStringLiteral("--seed"),
                     QString::number(o.seed),
                     QStringLiteral("--out"),
                     shellWord(r.outputPath)};
    return args.join(QLatin1Char(' '));
}

} // namespace

cwb::Result<DistillRun>
runDistillation(const DistillRequest& request, const cwb::Progress& progress,
                const std::function<void(const cwb::TrainingPoint&)>& onStep) {
    const cwb::Model& teacher = *request.teacher;
    auto plan = cwb::studentSpecPlan(request.studentSpec);
    if (!plan)
        return plan.error();
    if (plan->needsStatistics())
        return cwb::Error{QStringLiteral("this student needs calibration statistics: use "
                                         "cwb distill for it")};
    auto data = cwb::tokenizeTrainingText(teacher, request.text, request.sequenceLength);
    if (!data)
        return data.error();
    const QString command = distillCommand(request);
    const cwb::TextIdentity text{request.textPath, cwb::sha256Hex(request.text),
                                 qint64(data->tokens.size())};
    DistillRun out;

    std::shared_ptr<const cwb::Model> student = request.teacher;
    if (!plan->rules.empty() || plan->isStructured()) {
        cwb::RunRecord record = cwb::newRunRecord(QStringLiteral("prune"), &teacher, command);
        record.name = QStringLiteral("student: %1").arg(plan->name);
        record.settings = QJsonObject{{QStringLiteral("prune_plan"), plan->toJson()}};
        auto recorded = RecordedRun::begin(request.recording, record);
        auto pruned = cwb::pruneModel(teacher, *plan, nullptr);
        if (!pruned) {
            if (recorded)
                recorded->fail(pruned.error());
            return pruned.error();
        }
        QJsonArray kept;
        for (int b : pruned->keptBlocks)
            kept.append(b);
        if (recorded) {
            out.pruneRunId = recorded->id();
            recorded->finish(
                {{{QStringLiteral("parameters"), {double(pruned->parametersAfter), {}}},
                  {QStringLiteral("dense_bytes"), {double(pruned->denseBytes), {}}},
                  {QStringLiteral("sparse_bytes"), {double(pruned->sparseBytes), {}}}},
                 {},
                 0,
                 QJsonObject{{QStringLiteral("kept_blocks"), kept}}});
        }
        student = pruned->model;
    }

    cwb::RunRecord record = cwb::newRunRecord(QStringLiteral("distillation"), &teacher, command);
    record.name = QStringLiteral("distilled: %1").arg(plan->name);
    if (out.pruneRunId)
        record.parentId = out.pruneRunId;
    record.threads = request.options.threads > 0 ? request.options.threads : 1;
    record.calibText = text;
    QJsonObject settings = request.options.toJson();
    settings.insert(QStringLiteral("student_spec"), request.studentSpec);
    settings.insert(QStringLiteral("sequence_length"), request.sequenceLength);
    record.settings = settings;
    auto recorded = RecordedRun::begin(request.recording, record);
    const auto failed = [&](const cwb::Error& error) {
        if (recorded)
            recorded->fail(error);
        return error;
    };

    auto trained = cwb::distill(teacher, *student, *data, request.options,
                                progress.slice(0, 0.97, QStringLiteral("train")), onStep);
    if (!trained)
        return failed(trained.error());
    cwb::ExportOptions exportOptions;
    exportOptions.provenance.runId = recorded ? recorded->id() : -1;
    exportOptions.provenance.calibrationName = request.textPath.section(QLatin1Char('/'), -1);
    exportOptions.provenance.calibrationSha256 = text.sha256;
    exportOptions.provenance.sourceSha256 = record.model ? record.model->sha256 : QString();
    auto written =
        cwb::exportGguf(*trained->student, cwb::Plan{}, request.outputPath, exportOptions);
    if (!written)
        return failed(written.error());
    auto output = cwb::modelOutputJson(request.outputPath);
    if (!output)
        return failed(output.error());

    const cwb::TrainingPoint last =
        trained->curve.empty() ? cwb::TrainingPoint{} : trained->curve.back();
    QJsonArray curve;
    const std::size_t every = std::max<std::size_t>(1, trained->curve.size() / 200);
    for (std::size_t i = 0; i < trained->curve.size(); i += every) {
        const cwb::TrainingPoint& p = trained->curve[i];
        curve.append(QJsonArray{p.step, p.loss, p.kl, p.ce, p.lr});
    }
    QJsonObject update = *output;
    update.insert(QStringLiteral("curve"), curve);
    if (recorded) {
        out.runId = recorded->id();
        recorded->finish(
            {{{QStringLiteral("size_bytes"), {double(written->fileBytes), {}}},
              {QStringLiteral("parameters"), {double(trained->student->parameterCount()), {}}},
              {QStringLiteral("train_loss"), {last.loss, {}}},
              {QStringLiteral("train_kl"), {last.kl, {}}},
              {QStringLiteral("train_ce"), {last.ce, {}}},
              {QStringLiteral("train_tok_per_s"), {trained->tokensPerSecond, {}}},
              {QStringLiteral("steps"), {double(trained->steps), {}}}},
             {},
             0,
             update});
    }
    out.result = std::move(trained.value());
    out.path = request.outputPath;
    return out;
}
