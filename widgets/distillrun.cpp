// SPDX-License-Identifier: GPL-3.0-or-later
#include "distillrun.h"

#include "distillrecord.h"
#include "ggufexport.h"
#include "jobrecords.h"
#include "prune.h"
#include "runrecorder.h"
#include "textfile.h"

#include <QStringList>

namespace {

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
        auto recorded =
            RecordedRun::begin(request.recording, cwb::studentPruneRecord(teacher, *plan, command));
        auto pruned = cwb::pruneModel(teacher, *plan, nullptr);
        if (!pruned) {
            if (recorded)
                recorded->fail(pruned.error());
            return pruned.error();
        }
        if (recorded) {
            out.pruneRunId = recorded->id();
            recorded->finish(cwb::studentPruneOutcome(*pruned));
        }
        student = pruned->model;
    }

    cwb::RunRecord record =
        cwb::distillationRecord(teacher, *plan, request.studentSpec, request.options,
                                request.sequenceLength, text, command);
    if (out.pruneRunId)
        record.parentId = out.pruneRunId;
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

    if (recorded) {
        out.runId = recorded->id();
        recorded->finish(cwb::distillationOutcome(*trained, written->fileBytes, *output));
    }
    out.result = std::move(trained.value());
    out.path = request.outputPath;
    return out;
}
