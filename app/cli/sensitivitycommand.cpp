// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "commoninputs.h"
#include "runstoreoptions.h"
#include "sensitivityoptions.h"
#include "terminal.h"

#include "engine.h"
#include "runrecorder.h"
#include "searchrecord.h"
#include "sensitivity.h"
#include "textfile.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace cwb::cli {

namespace {

QString costText(const SensitivityResult& r) {
    const SensitivityCost& c = r.cost;
    if (c.fromCache)
        return QStringLiteral("cost       read back from an earlier identical measurement\n");
    return QStringLiteral("cost       %1 candidates in %2 s: the processor time of %3 full "
                          "evaluations (one FP32 pass: %4 s of processor time; quantizing: %5 "
                          "s); %6 stage passes of %1 full ones; stage inputs cached %7 MB\n")
        .arg(c.candidates)
        .arg(c.seconds, 0, 'f', 1)
        .arg(c.fullEvaluations(), 0, 'f', 1)
        .arg(c.fullPassCpuSeconds, 0, 'f', 2)
        .arg(c.quantizeSeconds, 0, 'f', 1)
        .arg(c.stagePasses, 0, 'f', 1)
        .arg(double(c.residualBytes) / 1e6, 0, 'f', 1);
}

QString tableText(const SensitivityResult& r) {
    QString out = QStringLiteral("%1").arg(QStringLiteral("mean KLD vs FP32"), -28);
    for (PrecisionId id : r.precisions)
        out += QStringLiteral(" %1").arg(QLatin1String(precisionInfo(id).name), 13);
    out += QLatin1Char('\n');
    for (const TensorSensitivity& t : r.tensors) {
        out += QStringLiteral("%1").arg(t.name, -28);
        for (PrecisionId id : r.precisions) {
            const PrecisionLoss* l = t.at(id);
            out += QStringLiteral(" %1").arg(
                l ? QString::number(l->kldMean, 'e', 3) : QStringLiteral("-"), 13);
        }
        out += QLatin1Char('\n');
    }
    out += QStringLiteral("%1").arg(QStringLiteral("median"), -28);
    for (PrecisionId id : r.precisions)
        out += QStringLiteral(" %1").arg(QString::number(r.medianLoss(id), 'e', 3), 13);
    return out + QLatin1Char('\n');
}

int runSensitivity(const Arguments& a) {
    installInterruptHandler();
    std::optional<RunRecorder> recorder;
    const Progress progress = terminalProgress(QStringLiteral("sensitivity"));
    auto store = openRunStore(a);
    if (!store)
        return failRun(recorder, store.error());
    auto inputs = loadSensitivityInputs(a, progress);
    if (!inputs)
        return failRun(recorder, inputs.error());
    SensitivityInputs& in = **inputs;

    RunRecord record =
        newRunRecord(QStringLiteral("sensitivity"), in.model.get(), invokedCommand());
    record.name = QStringLiteral("sensitivity (%1)")
                      .arg(in.options.calibration.value(QStringLiteral("method"))
                               .toString(QStringLiteral("rtn")));
    record.plan = Plan{}.toJson();
    record.evalText = {QFileInfo(in.textPath).absoluteFilePath(), sha256Hex(in.text), 0};
    if (in.stats)
        record.calibText = {in.stats->textPath, in.stats->textSha256, in.stats->tokens};
    record.settings = evalSettingsJson(in.options.eval);
    record.threads = in.options.eval.threads > 0 ? in.options.eval.threads : defaultThreadCount();
    auto started = RunRecorder::start(**store, record);
    if (!started)
        return failRun(recorder, started.error());
    recorder.emplace(std::move(started.value()));

    auto result = measureSensitivity(*in.model, in.text, in.options, progress);
    finishProgressLine();
    if (!result)
        return failRun(recorder, result.error());
    const QJsonObject json = result->toJson();
    (void)recorder->finish(sensitivityOutcome(*result));
    for (const QString& w : result->warnings)
        printWarning(w);
    if (a.flag(QStringLiteral("json"))) {
        QJsonObject out = json;
        out.insert(QStringLiteral("run_id"), qint64(recorder->id()));
        out.insert(QStringLiteral("model"), in.model->path);
        printOut(QString::fromUtf8(QJsonDocument(out).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    printOut(
        QStringLiteral("model      %1\ntext       %2 (%3 tokens scored)\nmethod     %4\n")
            .arg(QFileInfo(in.model->path).fileName(), QFileInfo(in.textPath).fileName())
            .arg(result->tokensScored)
            .arg(methodName(result->method)) +
        costText(*result) + QLatin1Char('\n') + tableText(*result) +
        QStringLiteral("\nrun %1, recorded in %2\n").arg(recorder->id()).arg((*store)->path()));
    return 0;
}

} // namespace

Command sensitivityCommand() {
    std::vector<Option> options = sensitivityOptionTable();
    options.push_back(dbOption());
    options.push_back(
        {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")});
    return Command{
        QStringLiteral("sensitivity"),
        QStringLiteral("MODEL --text FILE [--precisions A,B,…] [--method M --calib FILE | --stats "
                       "STATS] [options]"),
        QStringLiteral("Measure each tensor's sensitivity: the mean KLD against FP32 when only "
                       "that tensor is compressed, for each candidate precision."),
        {QStringLiteral("MODEL")},
        options,
        runSensitivity,
    };
}

} // namespace cwb::cli
