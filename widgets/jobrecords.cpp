// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobrecords.h"

#include "engine.h"
#include "runrecorder.h"
#include "textfile.h"

#include <QFileInfo>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStringList>

namespace {

// A path as the shell takes it: bare when it is plain, else in single quotes.
QString shellWord(const QString& word) {
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    if (plain.match(word).hasMatch())
        return word;
    QString quoted = word;
    quoted.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

QString absolute(const QString& path) {
    return path.startsWith(QLatin1Char(':')) ? path : QFileInfo(path).absoluteFilePath();
}

// The keys `cwb eval` records, which `cwb reproduce` reads back.
QJsonObject settingsJson(const cwb::EvalOptions& o) {
    return QJsonObject{
        {QStringLiteral("split"), cwb::splitModeName(o.split)},
        {QStringLiteral("separator"), QString::fromUtf8(o.separator)},
        {QStringLiteral("ctx"), o.ctx},
        {QStringLiteral("chunks"), o.maxChunks},
        {QStringLiteral("max_tokens"), qint64(o.maxTokens)},
    };
}

QStringList calibrationArguments(const cwb::CalibrationOptions& o) {
    QStringList args{QStringLiteral("--sequences"), QString::number(o.sequences),
                     QStringLiteral("--length"), QString::number(o.sequenceLength)};
    if (!o.hessians)
        args << QStringLiteral("--no-hessians");
    return args;
}

// `cwb eval` with the options the window used. The plan is the run's own (`cwb runs show ID
// --json` prints it): PLAN.json stands for it.
QString evalCommand(const cwb::Model& model, const QString& textPath, const cwb::EvalOptions& o,
                    bool withPlan, const cwb::CalibrationStats* stats) {
    QStringList args{QStringLiteral("cwb"), QStringLiteral("eval"), shellWord(absolute(model.path)),
                     QStringLiteral("--text"), shellWord(absolute(textPath))};
    args << QStringLiteral("--split") << cwb::splitModeName(o.split);
    if (o.split == cwb::SplitMode::Documents)
        args << QStringLiteral("--separator") << shellWord(QString::fromUtf8(o.separator));
    args << QStringLiteral("--ctx") << QString::number(o.ctx);
    if (o.maxChunks > 0)
        args << QStringLiteral("--chunks") << QString::number(o.maxChunks);
    if (o.maxTokens > 0)
        args << QStringLiteral("--max-tokens") << QString::number(o.maxTokens);
    if (o.threads > 0)
        args << QStringLiteral("--threads") << QString::number(o.threads);
    if (withPlan)
        args << QStringLiteral("--plan") << QStringLiteral("PLAN.json");
    if (stats) {
        cwb::CalibrationOptions c;
        c.sequences = stats->sequences;
        c.sequenceLength = stats->sequenceLength;
        c.hessians = stats->hessians;
        args << QStringLiteral("--calib") << shellWord(absolute(stats->textPath))
             << calibrationArguments(c);
    }
    return args.join(QLatin1Char(' '));
}

} // namespace

cwb::RunRecord evaluationRecord(const cwb::Model& model, const QString& textPath,
                                const QByteArray& text, const cwb::EvalOptions& options,
                                const cwb::Plan* plan, const QString& planName,
                                const cwb::CalibrationStats* stats) {
    cwb::RunRecord record =
        cwb::newRunRecord(QStringLiteral("evaluation"), &model,
                          evalCommand(model, textPath, options, plan != nullptr, stats));
    record.name = plan ? planName : QStringLiteral("fp32");
    record.plan = plan ? plan->toJson() : cwb::Plan{}.toJson();
    record.evalText = {absolute(textPath), cwb::sha256Hex(text), 0};
    if (stats)
        record.calibText = {stats->textPath, stats->textSha256, stats->tokens};
    record.settings = settingsJson(options);
    record.threads = options.threads > 0 ? options.threads : cwb::defaultThreadCount();
    return record;
}

cwb::RunOutcome evaluationOutcome(const cwb::Model& model, const cwb::PerplexityResult& result) {
    return {cwb::metricsOf(result),
            cwb::tensorResultsOf(model, cwb::ResolvedPlan{}),
            result.tokensScored,
            {}};
}

cwb::RunOutcome evaluationOutcome(const cwb::Model& model, const cwb::Plan& plan,
                                  const cwb::PlanEvaluation& result,
                                  const cwb::CalibrationStats* stats) {
    QJsonObject settings;
    if (stats)
        settings.insert(QStringLiteral("calibration"), stats->provenance());
    return {cwb::metricsOf(result), cwb::tensorResultsOf(model, cwb::resolvePlan(plan, model)),
            result.metrics.tokens, settings};
}

cwb::RunRecord calibrationRecord(const cwb::Model& model, const cwb::CalibrationText& text,
                                 const cwb::CalibrationOptions& options) {
    QStringList args{QStringLiteral("cwb"),           QStringLiteral("calibrate"),
                     shellWord(absolute(model.path)), QStringLiteral("--text"),
                     shellWord(absolute(text.path)),  QStringLiteral("--out"),
                     QStringLiteral("STATS")};
    args << calibrationArguments(options);
    if (options.threads > 0)
        args << QStringLiteral("--threads") << QString::number(options.threads);
    cwb::RunRecord record =
        cwb::newRunRecord(QStringLiteral("calibration"), &model, args.join(QLatin1Char(' ')));
    record.name = QFileInfo(text.path).fileName();
    record.calibText = {absolute(text.path), text.sha256, 0};
    record.threads = options.threads > 0 ? options.threads : cwb::defaultThreadCount();
    record.settings = QJsonObject{{QStringLiteral("sequences"), options.sequences},
                                  {QStringLiteral("sequence_length"), options.sequenceLength},
                                  {QStringLiteral("hessians"), options.hessians}};
    return record;
}

cwb::RunOutcome calibrationOutcome(const CalibrationRun& run) {
    const cwb::CalibrationStats& stats = *run.stats;
    QJsonObject settings{{QStringLiteral("from_cache"), run.fromCache}};
    // Where the statistics are, as `cwb calibrate --out` records it.
    if (!run.path.isEmpty())
        settings.insert(QStringLiteral("out"), QFileInfo(run.path).absoluteFilePath());
    return {{{QStringLiteral("calib_tokens"), {double(stats.tokens), std::nullopt}},
             {QStringLiteral("sites"), {double(stats.sites.size()), std::nullopt}},
             {QStringLiteral("seconds"), {run.seconds, std::nullopt}}},
            {},
            0,
            settings};
}
