// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobrecords.h"

#include "engine.h"
#include "exportrecord.h"
#include "runrecorder.h"
#include "searchrecord.h"
#include "textfile.h"

#include <QFileInfo>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStringList>

namespace {

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
QStringList evalArguments(const cwb::EvalOptions& o) {
    QStringList args{QStringLiteral("--split"), cwb::splitModeName(o.split)};
    if (o.split == cwb::SplitMode::Documents)
        args << QStringLiteral("--separator") << shellWord(QString::fromUtf8(o.separator));
    args << QStringLiteral("--ctx") << QString::number(o.ctx);
    if (o.maxChunks > 0)
        args << QStringLiteral("--chunks") << QString::number(o.maxChunks);
    if (o.maxTokens > 0)
        args << QStringLiteral("--max-tokens") << QString::number(o.maxTokens);
    if (o.threads > 0)
        args << QStringLiteral("--threads") << QString::number(o.threads);
    return args;
}

QStringList statsArguments(const cwb::CalibrationStats& stats) {
    cwb::CalibrationOptions c;
    c.sequences = stats.sequences;
    c.sequenceLength = stats.sequenceLength;
    c.hessians = stats.hessians;
    return QStringList{QStringLiteral("--calib"), shellWord(absolute(stats.textPath))}
           << calibrationArguments(c);
}

QString evalCommand(const cwb::Model& model, const QString& textPath, const cwb::EvalOptions& o,
                    bool withPlan, const cwb::CalibrationStats* stats) {
    QStringList args{QStringLiteral("cwb"), QStringLiteral("eval"), shellWord(absolute(model.path)),
                     QStringLiteral("--text"), shellWord(absolute(textPath))};
    args << evalArguments(o);
    if (withPlan)
        args << QStringLiteral("--plan") << QStringLiteral("PLAN.json");
    if (stats)
        args << statsArguments(*stats);
    return args.join(QLatin1Char(' '));
}

// `cwb sensitivity` or `cwb search` (with `extra`, its budget) as the window ran it.
QString sensitivityCommand(const QString& command, const cwb::Model& model, const QString& textPath,
                           const cwb::SensitivityOptions& o, const QStringList& extra) {
    QStringList args{QStringLiteral("cwb"), command, shellWord(absolute(model.path)),
                     QStringLiteral("--text"), shellWord(absolute(textPath))};
    args << extra << evalArguments(o.eval);
    QStringList precisions;
    for (cwb::PrecisionId id : o.precisions)
        precisions << QLatin1String(cwb::precisionInfo(id).name);
    if (!precisions.isEmpty())
        args << QStringLiteral("--precisions") << precisions.join(QLatin1Char(','));
    const QString method = o.calibration.value(QStringLiteral("method")).toString();
    if (!method.isEmpty() && method != QLatin1String("rtn") && o.stats)
        args << QStringLiteral("--method") << method << statsArguments(*o.stats);
    return args.join(QLatin1Char(' '));
}

// The record both kinds start from: the model, the texts, the evaluation settings.
cwb::RunRecord analysisRecord(const QString& kind, const QString& command, const cwb::Model& model,
                              const QString& textPath, const QByteArray& text,
                              const cwb::SensitivityOptions& o) {
    cwb::RunRecord record = cwb::newRunRecord(kind, &model, command);
    record.plan = cwb::Plan{}.toJson();
    record.evalText = {absolute(textPath), cwb::sha256Hex(text), 0};
    if (o.stats)
        record.calibText = {o.stats->textPath, o.stats->textSha256, o.stats->tokens};
    record.settings = settingsJson(o.eval);
    record.threads = o.eval.threads > 0 ? o.eval.threads : cwb::defaultThreadCount();
    return record;
}

} // namespace

QString shellWord(const QString& word) {
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    if (plain.match(word).hasMatch())
        return word;
    QString quoted = word;
    quoted.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

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
    return {cwb::metricsOf(model, result),
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

cwb::RunRecord sensitivityRecord(const cwb::Model& model, const QString& textPath,
                                 const QByteArray& text, const cwb::SensitivityOptions& options) {
    cwb::RunRecord record = analysisRecord(
        QStringLiteral("sensitivity"),
        sensitivityCommand(QStringLiteral("sensitivity"), model, textPath, options, {}), model,
        textPath, text, options);
    record.name = QStringLiteral("sensitivity (%1)")
                      .arg(options.calibration.value(QStringLiteral("method"))
                               .toString(QStringLiteral("rtn")));
    return record;
}

cwb::RunRecord searchRecord(const cwb::Model& model, const QString& textPath,
                            const QByteArray& text, const cwb::SensitivityOptions& options,
                            const cwb::SearchResult& search, const std::optional<double>& maxKld) {
    const cwb::Budget& b = search.budget;
    QStringList budget;
    switch (b.kind) {
    case cwb::BudgetKind::BitsPerWeight:
        budget << QStringLiteral("--budget-bpw") << QString::number(b.value, 'g', 10);
        break;
    case cwb::BudgetKind::Bytes:
        budget << QStringLiteral("--budget-bytes") << QString::number(b.value, 'f', 0);
        break;
    case cwb::BudgetKind::DollarsPer1000Queries:
        budget << QStringLiteral("--budget-cost") << QString::number(b.value, 'g', 10);
        if (b.pricing) {
            const cwb::Workload& w = b.pricing->workload;
            budget << QStringLiteral("--hardware") << shellWord(b.pricing->profile.name)
                   << QStringLiteral("--workload")
                   << QStringLiteral("%1:%2:%3")
                          .arg(w.promptTokens)
                          .arg(w.outputTokens)
                          .arg(w.queriesPerMonth, 0, 'g', 10);
        }
        break;
    }
    if (maxKld)
        budget << QStringLiteral("--max-kld") << QString::number(*maxKld, 'g', 10);
    cwb::RunRecord record = analysisRecord(
        QStringLiteral("search"),
        sensitivityCommand(QStringLiteral("search"), model, textPath, options, budget), model,
        textPath, text, options);
    record.name = search.plan.name;
    record.plan = search.plan.toJson();
    record.settings.insert(QStringLiteral("budget"), cwb::budgetJson(b));
    return record;
}

cwb::RunRecord benchmarkRecord(const cwb::Model& model, const cwb::Plan& plan,
                               const QString& planName, const cwb::BenchOptions& options) {
    // The plan is the run's own, as for an evaluation: PLAN.json stands for it.
    QStringList args{QStringLiteral("cwb"), QStringLiteral("bench"),
                     shellWord(absolute(model.path)), QStringLiteral("--plan"),
                     QStringLiteral("PLAN.json")};
    args << QStringLiteral("--prompt") << QString::number(options.promptTokens)
         << QStringLiteral("--gen") << QString::number(options.generatedTokens);
    if (options.threads > 0)
        args << QStringLiteral("--threads") << QString::number(options.threads);
    cwb::RunRecord record =
        cwb::newRunRecord(QStringLiteral("benchmark"), &model, args.join(QLatin1Char(' ')));
    record.name = planName;
    record.plan = plan.toJson();
    record.threads = options.threads > 0 ? options.threads : cwb::defaultThreadCount();
    record.settings = QJsonObject{{QStringLiteral("prompt_tokens"), options.promptTokens},
                                  {QStringLiteral("gen_tokens"), options.generatedTokens},
                                  {QStringLiteral("synthetic"), false}};
    return record;
}

cwb::RunRecord exportRecord(const cwb::Model& model, const cwb::Plan& plan, const QString& planName,
                            const QString& path, const cwb::CalibrationStats* stats) {
    QStringList args{
        QStringLiteral("cwb"),     QStringLiteral("quantize"),   shellWord(absolute(model.path)),
        QStringLiteral("--plan"),  QStringLiteral("PLAN.json"),  QStringLiteral("--out"),
        shellWord(absolute(path)), QStringLiteral("--fallback"), QStringLiteral("nearest")};
    if (stats)
        args << statsArguments(*stats);
    return cwb::quantizeRecord(model, plan, planName, path, cwb::ExportFallback::Nearest, stats,
                               cwb::defaultThreadCount(), args.join(QLatin1Char(' ')));
}

cwb::RunOutcome benchmarkOutcome(const cwb::Model& model, const cwb::ResolvedPlan& plan,
                                 const cwb::BenchResult& result, const cwb::SizeSummary& size,
                                 const cwb::BenchOptions& options) {
    auto metrics = cwb::metricsOf(result, size);
    if (!options.measureBandwidth)
        for (const char* unmeasured :
             {"bandwidth_gb_s", "decode_bandwidth_fraction", "matmul_gflops"})
            metrics.erase(QLatin1String(unmeasured));
    return {metrics, cwb::tensorResultsOf(model, plan), 0, {}};
}
