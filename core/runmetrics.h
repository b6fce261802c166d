// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "costmodel.h"
#include "pareto.h"
#include "store/runstore.h"

#include <QString>

#include <optional>
#include <span>
#include <vector>

namespace cwb {

// The metrics a stored run can be compared by, as the trade-off explorer plots them.
enum class RunMetric {
    Size,
    Bpw,
    Ppl,
    DeltaPplPercent,
    KldMean,
    Top1Agreement,
    DecodeTokensPerSecond,
    DollarsPer1000Queries,
    // Against the original model of the run's lineage (the teacher of a distilled student):
    // size / its FP32 size, and its perplexity / this perplexity on the same text.
    SizeFractionOfOriginal,
    RetainedQuality,
};

struct RunMetricInfo {
    RunMetric id;
    const char* key;     // a stable name for settings and scripts: "delta_ppl_percent"
    const char* name;    // "ΔPPL"
    const char* unit;    // as the value is shown, "%"; empty for none
    double displayScale; // shown value = stored value × this (a fraction shown as a percent)
    Better better;       // which way is an improvement
};

std::span<const RunMetricInfo> runMetrics();
const RunMetricInfo& runMetricInfo(RunMetric metric);
std::optional<RunMetric> runMetricByKey(const QString& key);
// One sentence for tooltips: metricinfo.h's explanation of the recorded metric, so the window
// explains a metric as the report and the CLI do.
QString runMetricDescription(RunMetric metric);

// What a run's $ per 1,000 queries is computed with: the cost model's profiles, workload and
// efficiencies, and the profile to price on (empty: the cheapest that holds the model).
struct CostAssumptions {
    std::vector<HardwareProfile> profiles;
    Workload workload;
    Efficiency efficiency;
    QString profile;
};

// The metric's value for `run`, as stored (before displayScale), or nothing if the run did not
// measure it (a benchmark has no perplexity, an evaluation no decode speed).
std::optional<double> runMetricValue(const RunRecord& run, RunMetric metric,
                                     const CostAssumptions& cost);

} // namespace cwb
