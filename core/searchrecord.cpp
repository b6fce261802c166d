// SPDX-License-Identifier: GPL-3.0-or-later
#include "searchrecord.h"

#include "runrecorder.h"

#include <QJsonArray>

namespace cwb {

PrecisionId referencePrecision(const SensitivityResult& result) {
    for (PrecisionId id : result.precisions)
        if (id == PrecisionId::Int4G32)
            return id;
    return result.precisions.empty() ? PrecisionId::Fp32 : result.precisions.back();
}

RunOutcome sensitivityOutcome(const SensitivityResult& result) {
    const PrecisionId ref = referencePrecision(result);
    RunOutcome outcome;
    for (const TensorSensitivity& t : result.tensors) {
        const PrecisionLoss* l = t.at(ref);
        TensorResult row;
        row.tensor = t.name;
        row.precision = QLatin1String(precisionInfo(ref).name);
        row.method = methodName(result.method);
        row.bytes = l ? l->bytes : t.fp32Bytes;
        if (l)
            row.sensitivity = l->kldMean;
        outcome.tensors.push_back(row);
    }
    outcome.metrics = {
        {QStringLiteral("sensitivity_candidates"), {double(result.cost.candidates), {}}},
        {QStringLiteral("sensitivity_full_evaluations"), {result.cost.fullEvaluations(), {}}},
        {QStringLiteral("seconds"), {result.cost.seconds, {}}}};
    outcome.evalTokens = result.tokensScored;
    outcome.settings = QJsonObject{{QStringLiteral("sensitivity"), result.toJson()}};
    return outcome;
}

QJsonObject budgetJson(const Budget& budget) {
    QJsonObject o{{QStringLiteral("kind"), budgetKindName(budget.kind)},
                  {QStringLiteral("value"), budget.value},
                  {QStringLiteral("text"), budget.describe()}};
    if (budget.pricing)
        o.insert(QStringLiteral("hardware"), budget.pricing->profile.name);
    return o;
}

RunOutcome searchOutcome(const Model& model, const SearchResult& search,
                         const PlanEvaluation& measured, QuantMethod sensitivityMethod,
                         const CalibrationStats* stats) {
    RunOutcome outcome;
    outcome.metrics = metricsOf(measured);
    outcome.metrics[QStringLiteral("kld_predicted")] = {search.predictedKld, {}};
    if (search.dollarsPer1000Queries)
        outcome.metrics[QStringLiteral("usd_per_1000_queries")] = {*search.dollarsPer1000Queries,
                                                                   {}};
    outcome.tensors = tensorResultsOf(model, resolvePlan(search.plan, model));
    for (TensorResult& t : outcome.tensors)
        for (const TensorDecision& d : search.tensors)
            if (d.name == t.tensor)
                t.sensitivity = d.predictedKld;
    outcome.evalTokens = measured.metrics.tokens;
    QJsonArray reasons;
    for (const TensorDecision& d : search.tensors)
        reasons.append(
            QJsonObject{{QStringLiteral("tensor"), d.name}, {QStringLiteral("reason"), d.reason}});
    outcome.settings =
        QJsonObject{{QStringLiteral("reasons"), reasons},
                    {QStringLiteral("solver_bound"), search.boundStatement},
                    {QStringLiteral("sensitivity_method"), methodName(sensitivityMethod)}};
    if (stats)
        outcome.settings.insert(QStringLiteral("calibration"), stats->provenance());
    return outcome;
}

} // namespace cwb
