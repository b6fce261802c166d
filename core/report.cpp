// SPDX-License-Identifier: GPL-3.0-or-later
#include "report.h"

#include "lineage.h"
#include "metricinfo.h"
#include "precision.h"
#include "systeminfo.h"
#include "version.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <cmath>

namespace cwb {
namespace {

constexpr qint64 kMaxReportBytes = 64 << 20;
const QLatin1String kFormat("cwb-report");
constexpr int kFormatVersion = 1;

// The kinds of a block's matrices, in the order the layer map draws them.
constexpr const char* kKinds[] = {"attn_q",   "attn_k", "attn_v",  "attn_output",
                                  "ffn_gate", "ffn_up", "ffn_down"};

QJsonValue optionalNumber(const std::optional<double>& v) {
    return v && std::isfinite(*v) ? QJsonValue(*v) : QJsonValue();
}

std::optional<double> metric(const RunRecord& run, const char* name) {
    const auto it = run.metrics.find(QLatin1String(name));
    if (it == run.metrics.end())
        return std::nullopt;
    return it->second.value;
}

QJsonObject textJson(const TextIdentity& t) {
    return QJsonObject{{QStringLiteral("path"), t.path},
                       {QStringLiteral("sha256"), t.sha256},
                       {QStringLiteral("tokens"), qint64(t.tokens)}};
}

QJsonObject modelJson(const ModelIdentity& m) {
    return QJsonObject{{QStringLiteral("path"), m.path},
                       {QStringLiteral("size_bytes"), qint64(m.sizeBytes)},
                       {QStringLiteral("sha256"), m.sha256},
                       {QStringLiteral("format"), m.format},
                       {QStringLiteral("architecture"), m.architecture},
                       {QStringLiteral("parameters"), qint64(m.parameters)},
                       {QStringLiteral("config"), m.config}};
}

// The figure each metric is compared with: the baseline run's, or the run's own FP32 figure.
std::optional<double> before(const QString& name, const RunRecord& run, const RunRecord* baseline) {
    if (baseline) {
        if (const auto it = baseline->metrics.find(name); it != baseline->metrics.end())
            return it->second.value;
        return std::nullopt;
    }
    if (name == QLatin1String("ppl"))
        return metric(run, "base_ppl");
    if (name == QLatin1String("size_bytes"))
        return metric(run, "base_size_bytes");
    if (name == QLatin1String("bpw") && metric(run, "base_size_bytes"))
        return 32.0;
    return std::nullopt;
}

// In the metric table's order (quality first, timings last), then any the table does not know.
std::vector<std::pair<QString, MetricValue>> orderedMetrics(const RunRecord& run) {
    std::vector<std::pair<QString, MetricValue>> out;
    for (const MetricInfo& info : metricTable())
        if (const auto it = run.metrics.find(QLatin1String(info.name)); it != run.metrics.end())
            out.emplace_back(it->first, it->second);
    for (const auto& [name, value] : run.metrics)
        if (!metricInfo(name))
            out.emplace_back(name, value);
    return out;
}

QJsonArray metricsJson(const RunRecord& run, const RunRecord* baseline) {
    QJsonArray out;
    for (const auto& [name, value] : orderedMetrics(run)) {
        const MetricInfo* info = metricInfo(name);
        QJsonObject m{{QStringLiteral("name"), name},
                      {QStringLiteral("label"), info ? QString::fromUtf8(info->label) : name},
                      {QStringLiteral("unit"), info ? QString::fromUtf8(info->unit) : QString()},
                      {QStringLiteral("description"),
                       info ? QString::fromUtf8(info->description) : QString()},
                      {QStringLiteral("deterministic"), info ? info->deterministic : false},
                      {QStringLiteral("value"), optionalNumber(value.value)},
                      {QStringLiteral("uncertainty"), optionalNumber(value.uncertainty)},
                      {QStringLiteral("before"), optionalNumber(before(name, run, baseline))}};
        out.append(m);
    }
    return out;
}

QJsonArray tensorsJson(const RunRecord& run) {
    QJsonArray out;
    for (const TensorResult& t : run.tensors)
        out.append(QJsonObject{{QStringLiteral("tensor"), t.tensor},
                               {QStringLiteral("precision"), t.precision},
                               {QStringLiteral("method"), t.method},
                               {QStringLiteral("bytes"), qint64(t.bytes)},
                               {QStringLiteral("quant_error"), optionalNumber(t.quantError)},
                               {QStringLiteral("sensitivity"), optionalNumber(t.sensitivity)}});
    return out;
}

// Layers × matrix kinds, each cell the tensor's precision and quantization error.
QJsonObject layerMapJson(const RunRecord& run) {
    static const QRegularExpression blockName(
        QStringLiteral("^blk\\.(\\d+)\\.([a-z_]+)\\.weight$"));
    int layers = 0;
    for (const TensorResult& t : run.tensors)
        if (const auto m = blockName.match(t.tensor); m.hasMatch())
            layers = std::max(layers, m.captured(1).toInt() + 1);
    QJsonArray rows;
    for (int layer = 0; layer < layers; ++layer) {
        QJsonArray row;
        for (const char* kind : kKinds) {
            const QString name = QStringLiteral("blk.%1.%2.weight").arg(layer).arg(kind);
            QJsonObject cell;
            for (const TensorResult& t : run.tensors)
                if (t.tensor == name)
                    cell =
                        QJsonObject{{QStringLiteral("tensor"), t.tensor},
                                    {QStringLiteral("precision"), t.precision},
                                    {QStringLiteral("quant_error"), optionalNumber(t.quantError)}};
            row.append(cell);
        }
        rows.append(row);
    }
    QJsonArray kinds;
    for (const char* kind : kKinds)
        kinds.append(QLatin1String(kind));
    return QJsonObject{{QStringLiteral("kinds"), kinds}, {QStringLiteral("cells"), rows}};
}

// Every finished evaluation of the same model with a size and a KLD: the points of the trade-off
// plot, this run's marked.
Result<QJsonArray> tradeoffJson(RunStore& store, const RunRecord& run) {
    QJsonArray out;
    if (!run.model)
        return out;
    auto runs = store.list({run.model->sha256, QStringLiteral("evaluation"), 0});
    if (!runs)
        return runs.error();
    for (const RunRecord& r : *runs) {
        const auto size = metric(r, "size_bytes");
        const auto kld = metric(r, "kld_mean");
        if (r.status != RunStatus::Finished || !size || !kld)
            continue;
        out.append(QJsonObject{{QStringLiteral("run_id"), qint64(r.id)},
                               {QStringLiteral("name"), r.name},
                               {QStringLiteral("size_bytes"), *size},
                               {QStringLiteral("bpw"), optionalNumber(metric(r, "bpw"))},
                               {QStringLiteral("kld_mean"), *kld},
                               {QStringLiteral("ppl"), optionalNumber(metric(r, "ppl"))},
                               {QStringLiteral("this_run"), r.id == run.id}});
    }
    return out;
}

QString formatBytes(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        ++u;
    }
    return QStringLiteral("%1 %2").arg(bytes, 0, 'f', u == 0 ? 0 : 2).arg(QLatin1String(units[u]));
}

// The cheapest fitting profile's $ per 1,000 queries for a run and for the same model at FP32.
struct CostSaving {
    QString profile;
    double before = 0, after = 0;
    QString efficiencySource;
};

std::optional<CostSaving> costSaving(RunStore& store, const RunRecord& run,
                                     const Workload& workload) {
    const auto after = modelCostOf(run);
    const auto baseSize = metric(run, "base_size_bytes");
    if (!after || !baseSize)
        return std::nullopt;
    RunRecord fp32 = run;
    fp32.metrics[QStringLiteral("size_bytes")] = MetricValue{*baseSize, std::nullopt};
    fp32.metrics[QStringLiteral("bpw")] = MetricValue{32.0, std::nullopt};
    fp32.plan = QJsonObject{{QStringLiteral("default"), QStringLiteral("fp32")}};
    const auto beforeCost = modelCostOf(fp32);
    auto profiles = store.hardwareProfiles();
    auto efficiency = efficiencyFromStore(store, run);
    if (!beforeCost || !profiles || !efficiency)
        return std::nullopt;
    const CostProjection a = projectCost(*after, *profiles, workload, *efficiency);
    const CostProjection b = projectCost(*beforeCost, *profiles, workload, *efficiency);
    if (!a.cheapest || !b.cheapest)
        return std::nullopt;
    // Priced on the profile the compressed model is cheapest on, both ways, when FP32 fits it.
    const ProfileCost& chosen = a.profiles[*a.cheapest];
    const ProfileCost* same = nullptr;
    for (const ProfileCost& c : b.profiles)
        if (c.profile.name == chosen.profile.name && c.fits)
            same = &c;
    CostSaving s;
    s.profile = chosen.profile.name;
    s.after = chosen.dollarsPer1000Queries;
    s.before = same ? same->dollarsPer1000Queries : b.profiles[*b.cheapest].dollarsPer1000Queries;
    s.efficiencySource = efficiency->source;
    return s;
}

QStringList warningsFor(const RunRecord& run, const ReportOptions& options) {
    QStringList out;
    QStringList low;
    for (const TensorResult& t : run.tensors) {
        const auto id = precisionByName(t.precision);
        if (id && precisionInfo(*id).weightBits < 4)
            low << QStringLiteral("%1 (%2)").arg(t.tensor, t.precision);
    }
    if (!low.isEmpty())
        out << QStringLiteral("%1 tensor(s) below 4 bits: %2")
                   .arg(low.size())
                   .arg(low.join(QStringLiteral(", ")));
    const QJsonObject mismatch = run.settings.value(QStringLiteral("mismatch")).toObject();
    if (mismatch.value(QStringLiteral("mismatched")).toBool())
        out << mismatch.value(QStringLiteral("message")).toString();
    if (options.maxKld)
        if (const auto kld = metric(run, "kld_mean"); kld && *kld > *options.maxKld)
            out << QStringLiteral("mean KLD %1 exceeds the limit of %2 set for this report")
                       .arg(*kld, 0, 'g', 4)
                       .arg(*options.maxKld, 0, 'g', 4);
    if (options.maxPplIncreasePercent)
        if (const auto d = metric(run, "delta_ppl_percent");
            d && *d > *options.maxPplIncreasePercent)
            out << QStringLiteral("perplexity rose %1% against FP32, beyond the %2% limit set "
                                  "for this report")
                       .arg(*d, 0, 'f', 2)
                       .arg(*options.maxPplIncreasePercent, 0, 'f', 2);
    if (run.status != RunStatus::Finished)
        out << QStringLiteral("the run did not finish (%1): its figures are incomplete")
                   .arg(runStatusName(run.status));
    return out;
}

QJsonObject summaryJson(const RunRecord& run, const RunRecord* baseline,
                        const std::optional<CostSaving>& cost) {
    const auto sizeAfter = metric(run, "size_bytes");
    const auto sizeBefore = before(QStringLiteral("size_bytes"), run, baseline);
    const auto pplAfter = metric(run, "ppl");
    const auto pplBefore = before(QStringLiteral("ppl"), run, baseline);
    const auto kld = metric(run, "kld_mean");
    QJsonObject s{{QStringLiteral("model"),
                   run.model ? run.model->path.section(QLatin1Char('/'), -1) : QString()},
                  {QStringLiteral("run_name"), run.name},
                  {QStringLiteral("size_before_bytes"), optionalNumber(sizeBefore)},
                  {QStringLiteral("size_after_bytes"), optionalNumber(sizeAfter)},
                  {QStringLiteral("ppl_before"), optionalNumber(pplBefore)},
                  {QStringLiteral("ppl_after"), optionalNumber(pplAfter)},
                  {QStringLiteral("kld_mean"), optionalNumber(kld)},
                  {QStringLiteral("top1_agreement"), optionalNumber(metric(run, "top1_agreement"))},
                  {QStringLiteral("bpw"), optionalNumber(metric(run, "bpw"))}};
    QStringList text;
    if (sizeAfter && sizeBefore && *sizeAfter > 0) {
        s.insert(QStringLiteral("compression_ratio"), *sizeBefore / *sizeAfter);
        text << QStringLiteral("The weights of %1 went from %2 to %3 (%4× smaller, %5% saved)")
                    .arg(s.value(QStringLiteral("model")).toString(), formatBytes(*sizeBefore),
                         formatBytes(*sizeAfter))
                    .arg(*sizeBefore / *sizeAfter, 0, 'f', 2)
                    .arg(100 * (1 - *sizeAfter / *sizeBefore), 0, 'f', 1);
    }
    if (pplAfter && pplBefore) {
        const double delta = 100 * (*pplAfter / *pplBefore - 1);
        s.insert(QStringLiteral("delta_ppl_percent"), delta);
        text << QStringLiteral("perplexity went from %1 to %2 (%3%4%)")
                    .arg(*pplBefore, 0, 'f', 4)
                    .arg(*pplAfter, 0, 'f', 4)
                    .arg(delta >= 0 ? QStringLiteral("+") : QString())
                    .arg(delta, 0, 'f', 2);
    }
    if (kld)
        text << QStringLiteral("the mean KL divergence from the FP32 model is %1 nats")
                    .arg(*kld, 0, 'g', 4);
    if (cost) {
        s.insert(QStringLiteral("cost_profile"), cost->profile);
        s.insert(QStringLiteral("usd_per_1000_queries_before"), cost->before);
        s.insert(QStringLiteral("usd_per_1000_queries_after"), cost->after);
        if (cost->before > 0) {
            s.insert(QStringLiteral("cost_saving_percent"), 100 * (1 - cost->after / cost->before));
            text << QStringLiteral("serving on %1 costs $%2 instead of $%3 per 1,000 queries "
                                   "(%4% saved)")
                        .arg(cost->profile)
                        .arg(cost->after, 0, 'f', 4)
                        .arg(cost->before, 0, 'f', 4)
                        .arg(100 * (1 - cost->after / cost->before), 0, 'f', 1);
        }
        s.insert(QStringLiteral("cost_efficiency"), cost->efficiencySource);
    }
    s.insert(QStringLiteral("text"),
             text.isEmpty()
                 ? QStringLiteral("No size or quality figures were recorded for this run.")
                 : text.join(QStringLiteral("; ")) + QLatin1Char('.'));
    return s;
}

QByteArray canonicalBytes(QJsonObject report) {
    report.remove(QStringLiteral("digest"));
    return QJsonDocument(report).toJson(QJsonDocument::Compact);
}

} // namespace

Result<QJsonObject> buildReport(RunStore& store, std::int64_t runId, const ReportOptions& options) {
    auto run = store.get(runId);
    if (!run)
        return run.error();
    std::optional<RunRecord> baseline;
    if (options.baselineRunId) {
        auto b = store.get(*options.baselineRunId);
        if (!b)
            return b.error();
        baseline = std::move(b.value());
    }
    const RunRecord* base = baseline ? &*baseline : nullptr;
    auto tradeoff = tradeoffJson(store, *run);
    if (!tradeoff)
        return tradeoff.error();
    const auto cost = costSaving(store, *run, options.workload);
    auto chain = runLineage(store, runId);
    if (!chain)
        return chain.error();
    QJsonArray lineage;
    for (const RunRecord& step : *chain)
        lineage.append(lineageStepJson(step));

    QJsonObject calibration = run->settings.value(QStringLiteral("calibration")).toObject();
    QJsonObject report{
        {QStringLiteral("format"), kFormat},
        {QStringLiteral("format_version"), kFormatVersion},
        {QStringLiteral("run_id"), qint64(run->id)},
        {QStringLiteral("baseline_run_id"), base ? QJsonValue(qint64(base->id)) : QJsonValue()},
        {QStringLiteral("kind"), run->kind},
        {QStringLiteral("status"), runStatusName(run->status)},
        {QStringLiteral("summary"), summaryJson(*run, base, cost)},
        {QStringLiteral("lineage"), lineage},
        {QStringLiteral("model"), run->model ? QJsonValue(modelJson(*run->model)) : QJsonValue()},
        {QStringLiteral("method"),
         QJsonObject{{QStringLiteral("plan"), run->plan},
                     {QStringLiteral("tensors"), tensorsJson(*run)},
                     {QStringLiteral("calibration"),
                      calibration.isEmpty() ? QJsonValue() : QJsonValue(calibration)},
                     {QStringLiteral("settings"), run->settings}}},
        {QStringLiteral("data"),
         QJsonObject{
             {QStringLiteral("evaluation"),
              run->evalText.isEmpty() ? QJsonValue() : QJsonValue(textJson(run->evalText))},
             {QStringLiteral("calibration"),
              run->calibText.isEmpty() ? QJsonValue() : QJsonValue(textJson(run->calibText))},
             {QStringLiteral("mismatch"), run->settings.contains(QStringLiteral("mismatch"))
                                              ? run->settings.value(QStringLiteral("mismatch"))
                                              : QJsonValue()}}},
        {QStringLiteral("results"),
         QJsonObject{{QStringLiteral("metrics"), metricsJson(*run, base)},
                     {QStringLiteral("tradeoff"), *tradeoff},
                     {QStringLiteral("layer_map"), layerMapJson(*run)}}},
        {QStringLiteral("warnings"), QJsonArray::fromStringList(warningsFor(*run, options))},
        {QStringLiteral("environment"),
         QJsonObject{{QStringLiteral("tool_version"), run->toolVersion},
                     {QStringLiteral("tool_commit"), run->toolCommit},
                     {QStringLiteral("cpu"), run->cpu},
                     {QStringLiteral("threads"), run->threads},
                     {QStringLiteral("onednn_version"), run->onednnVersion},
                     {QStringLiteral("started_at"), run->startedAt.toString(Qt::ISODate)},
                     {QStringLiteral("finished_at"), run->finishedAt.toString(Qt::ISODate)},
                     {QStringLiteral("report_tool_version"), QStringLiteral(CWB_VERSION)},
                     {QStringLiteral("report_generated_at"),
                      QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}}},
        {QStringLiteral("reproduction"),
         QJsonObject{{QStringLiteral("command"), run->command},
                     {QStringLiteral("check"), QStringLiteral("cwb reproduce REPORT.json")}}},
        {QStringLiteral("signoff"),
         QJsonObject{{QStringLiteral("reviewer"), options.signOff.reviewer},
                     {QStringLiteral("role"), options.signOff.role},
                     {QStringLiteral("date"), options.signOff.date},
                     {QStringLiteral("decision"), options.signOff.decision}}},
    };
    report.insert(QStringLiteral("digest"),
                  QJsonObject{{QStringLiteral("algorithm"), QStringLiteral("sha256")},
                              {QStringLiteral("value"), reportDigest(report)}});
    return report;
}

QString reportDigest(const QJsonObject& report) {
    return QString::fromLatin1(
        QCryptographicHash::hash(canonicalBytes(report), QCryptographicHash::Sha256).toHex());
}

Result<void> checkReportDigest(const QJsonObject& report) {
    const QJsonObject digest = report.value(QStringLiteral("digest")).toObject();
    const QString stated = digest.value(QStringLiteral("value")).toString();
    if (digest.value(QStringLiteral("algorithm")).toString() != QLatin1String("sha256") ||
        stated.isEmpty())
        return Error{QStringLiteral("the report carries no sha256 digest")};
    const QString actual = reportDigest(report);
    if (stated != actual)
        return Error{QStringLiteral("the report's digest does not match its content (stated %1, "
                                    "computed %2): it was edited after export")
                         .arg(stated.left(16), actual.left(16))};
    return {};
}

Result<QJsonObject> readReportFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("cannot read %1: %2").arg(path, file.errorString())};
    if (file.size() > kMaxReportBytes)
        return Error{QStringLiteral("%1 is %2 bytes, more than a report can be (%3)")
                         .arg(path)
                         .arg(file.size())
                         .arg(kMaxReportBytes)};
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError)
        return Error{QStringLiteral("%1 is not JSON: %2 at byte %3")
                         .arg(path, error.errorString())
                         .arg(error.offset)};
    if (!doc.isObject())
        return Error{QStringLiteral("%1 is not a report: not a JSON object").arg(path)};
    const QJsonObject report = doc.object();
    if (report.value(QStringLiteral("format")).toString() != kFormat)
        return Error{
            QStringLiteral("%1 is not a cwb report (no \"format\": \"%2\")").arg(path, kFormat)};
    if (report.value(QStringLiteral("format_version")).toInt() != kFormatVersion)
        return Error{QStringLiteral("%1 is a report of format version %2; this cwb reads %3")
                         .arg(path)
                         .arg(report.value(QStringLiteral("format_version")).toInt())
                         .arg(kFormatVersion)};
    if (auto r = checkReportDigest(report); !r)
        return r.error();
    return report;
}

} // namespace cwb
