// SPDX-License-Identifier: GPL-3.0-or-later
#include "runmetrics.h"

#include "metricinfo.h"

#include <array>
#include <cmath>

namespace cwb {

namespace {

constexpr std::array kMetrics = {
    RunMetricInfo{RunMetric::Size, "size_bytes", "size", "bytes", 1.0, Better::Lower},
    RunMetricInfo{RunMetric::Bpw, "bpw", "bits per weight", "", 1.0, Better::Lower},
    RunMetricInfo{RunMetric::Ppl, "ppl", "perplexity", "", 1.0, Better::Lower},
    RunMetricInfo{RunMetric::DeltaPplPercent, "delta_ppl_percent", "ΔPPL", "%", 1.0, Better::Lower},
    RunMetricInfo{RunMetric::KldMean, "kld_mean", "mean KLD", "nats", 1.0, Better::Lower},
    RunMetricInfo{RunMetric::Top1Agreement, "top1_agreement", "top-1 agreement", "%", 100.0,
                  Better::Higher},
    RunMetricInfo{RunMetric::DecodeTokensPerSecond, "decode_tok_s", "decode speed", "tokens/s", 1.0,
                  Better::Higher},
    RunMetricInfo{RunMetric::DollarsPer1000Queries, "dollars_per_1000_queries",
                  "$ per 1,000 queries", "$", 1.0, Better::Lower},
    RunMetricInfo{RunMetric::SizeFractionOfOriginal, "size_fraction_of_original",
                  "size vs original FP32", "%", 100.0, Better::Lower},
    RunMetricInfo{RunMetric::RetainedQuality, "retained_quality", "retained quality", "%", 100.0,
                  Better::Higher},
};

std::optional<double> stored(const RunRecord& run, const char* key) {
    const auto it = run.metrics.find(QLatin1String(key));
    if (it == run.metrics.end() || !std::isfinite(it->second.value))
        return std::nullopt;
    return it->second.value;
}

std::optional<double> dollarsPer1000(const RunRecord& run, const CostAssumptions& cost) {
    const std::optional<ModelCost> model = modelCostOf(run);
    if (!model || cost.profiles.empty())
        return std::nullopt;
    const CostProjection p = projectCost(*model, cost.profiles, cost.workload, cost.efficiency);
    for (const ProfileCost& c : p.profiles)
        if (!cost.profile.isEmpty() && c.profile.name == cost.profile)
            return c.fits ? std::optional(c.dollarsPer1000Queries) : std::nullopt;
    if (!cost.profile.isEmpty() || !p.cheapest)
        return std::nullopt;
    return p.profiles.at(*p.cheapest).dollarsPer1000Queries;
}

} // namespace

std::span<const RunMetricInfo> runMetrics() {
    return kMetrics;
}

const RunMetricInfo& runMetricInfo(RunMetric metric) {
    return kMetrics.at(std::size_t(metric));
}

std::optional<RunMetric> runMetricByKey(const QString& key) {
    for (const RunMetricInfo& m : kMetrics)
        if (key == QLatin1String(m.key))
            return m.id;
    return std::nullopt;
}

QString runMetricDescription(RunMetric metric) {
    if (metric == RunMetric::DollarsPer1000Queries)
        return QStringLiteral("What serving 1,000 queries of the workload costs on the cheapest "
                              "hardware profile that holds the model, as the cost model projects "
                              "it.");
    if (metric == RunMetric::SizeFractionOfOriginal)
        return QStringLiteral("The run's size as a fraction of the FP32 size of the original "
                              "model its lineage starts from (the teacher of a distilled or "
                              "pruned student).");
    if (metric == RunMetric::RetainedQuality)
        return QStringLiteral("The original model's perplexity divided by the run's, on the same "
                              "text with the same settings: 100% keeps all of its quality.");
    const MetricInfo* info = metricInfo(QLatin1String(runMetricInfo(metric).key));
    if (!info)
        return {};
    QString text = QString::fromUtf8(info->description);
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text.endsWith(QLatin1Char('.')) ? text : text + QLatin1Char('.');
}

std::optional<double> runMetricValue(const RunRecord& run, RunMetric metric,
                                     const CostAssumptions& cost) {
    if (metric == RunMetric::DollarsPer1000Queries)
        return dollarsPer1000(run, cost);
    return stored(run, runMetricInfo(metric).key);
}

} // namespace cwb
