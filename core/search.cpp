// SPDX-License-Identifier: GPL-3.0-or-later
#include "search.h"

#include "modelsummary.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace cwb {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

const char* nameOf(PrecisionId id) {
    return precisionInfo(id).name;
}

QString ratioText(double value, double median) {
    if (median <= 0)
        return QStringLiteral("%1 KLD").arg(value, 0, 'g', 3);
    const double r = value / median;
    return QStringLiteral("%1× the median").arg(r, 0, 'f', r < 10 ? 1 : 0);
}

// Why the search gave a tensor its precision, against the plan's most common precision. The
// solver trades loss against bytes, so a tensor kept above it is one whose loss there is high for
// its size, and one dropped below it one whose loss where it went is low for its size.
QString reasonFor(const TensorSensitivity& t, PrecisionId chosen, PrecisionId common,
                  const SensitivityResult& s, std::uint64_t chosenBytes,
                  std::uint64_t commonBytes) {
    const PrecisionLoss* atCommon = t.at(common);
    const PrecisionLoss* atChosen = t.at(chosen);
    const auto perByte = [&](const PrecisionLoss& l, PrecisionId id) {
        return ratioText(l.bytes ? l.kldMean / double(l.bytes) : 0.0, s.medianLossPerByte(id));
    };
    if (chosen == common) {
        if (!atCommon)
            return QStringLiteral("%1 like most: the budget allows it")
                .arg(QLatin1String(nameOf(chosen)));
        return QStringLiteral("%1 like most: its loss is %2")
            .arg(QLatin1String(nameOf(chosen)), ratioText(atCommon->kldMean, s.medianLoss(common)));
    }
    if (chosenBytes > commonBytes && atCommon)
        return QStringLiteral("kept at %1: for its size, its %2 loss is %3")
            .arg(QLatin1String(nameOf(chosen)), QLatin1String(nameOf(common)),
                 perByte(*atCommon, common));
    if (chosenBytes > commonBytes)
        return QStringLiteral("kept at %1").arg(QLatin1String(nameOf(chosen)));
    if (atChosen)
        return QStringLiteral("dropped to %1: for its size, its %1 loss is %2")
            .arg(QLatin1String(nameOf(chosen)), perByte(*atChosen, chosen));
    return QStringLiteral("dropped to %1").arg(QLatin1String(nameOf(chosen)));
}

// The largest byte count whose cost fits: a plan's $ per 1,000 queries grows with the bytes a
// decoded token streams, so the budget is a byte limit found by bisection on the cost model itself.
std::optional<std::uint64_t> bytesWithinDollars(const Model& model, const CostContext& pricing,
                                                double dollars, std::uint64_t embeddingBytes) {
    auto costOf = [&](std::uint64_t bytes) {
        const ModelCost m = modelCostOfSize(model, bytes + embeddingBytes, embeddingBytes);
        return projectCost(m, {pricing.profile}, pricing.workload, pricing.efficiency)
            .profiles.front()
            .dollarsPer1000Queries;
    };
    if (costOf(0) > dollars)
        return std::nullopt;
    std::uint64_t lo = 0, hi = std::uint64_t(1) << 52;
    if (costOf(hi) <= dollars)
        return hi;
    while (hi - lo > 1) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        (costOf(mid) <= dollars ? lo : hi) = mid;
    }
    return lo;
}

QString formatBudgetValue(const Budget& b, double value) {
    switch (b.kind) {
    case BudgetKind::BitsPerWeight:
        return QStringLiteral("%1 bpw").arg(value, 0, 'f', 3);
    case BudgetKind::Bytes:
        return QStringLiteral("%1 bytes (%2)")
            .arg(qint64(value))
            .arg(formatBytes(std::uint64_t(value)));
    case BudgetKind::DollarsPer1000Queries:
        return QStringLiteral("$%1 per 1,000 queries").arg(value, 0, 'g', 4);
    }
    return {};
}

} // namespace

std::optional<KnapsackSolution> solveKnapsack(const std::vector<KnapsackItem>& items,
                                              std::uint64_t capacity) {
    const std::size_t cap = std::size_t(capacity);
    // best[c]: the least loss of the items so far with total cost at most c.
    std::vector<double> best(cap + 1, 0.0), next(cap + 1);
    std::vector<std::vector<std::int16_t>> picked(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const KnapsackItem& item = items[i];
        std::vector<int> order(item.costs.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return item.costs[std::size_t(a)] < item.costs[std::size_t(b)];
        });
        std::vector<std::int16_t>& pick = picked[i];
        pick.assign(cap + 1, -1);
        for (std::size_t c = 0; c <= cap; ++c) {
            double bestHere = kInfinity;
            for (int j : order) {
                const std::uint64_t cost = item.costs[std::size_t(j)];
                if (cost > c)
                    break;
                const double loss = best[c - std::size_t(cost)] + item.losses[std::size_t(j)];
                if (loss < bestHere) {
                    bestHere = loss;
                    pick[c] = std::int16_t(j);
                }
            }
            next[c] = bestHere;
        }
        best.swap(next);
    }
    if (!(best[cap] < kInfinity))
        return std::nullopt;
    KnapsackSolution s;
    s.loss = best[cap];
    s.choices.resize(items.size());
    std::size_t c = cap;
    for (std::size_t i = items.size(); i-- > 0;) {
        const int j = picked[i][c];
        s.choices[i] = j;
        c -= std::size_t(items[i].costs[std::size_t(j)]);
        s.cost += items[i].costs[std::size_t(j)];
    }
    return s;
}

QString budgetKindName(BudgetKind kind) {
    switch (kind) {
    case BudgetKind::BitsPerWeight:
        return QStringLiteral("bpw");
    case BudgetKind::Bytes:
        return QStringLiteral("bytes");
    case BudgetKind::DollarsPer1000Queries:
        return QStringLiteral("usd_per_1000_queries");
    }
    return {};
}

QString Budget::describe() const {
    QString text = formatBudgetValue(*this, value);
    if (kind == BudgetKind::DollarsPer1000Queries && pricing)
        text += QStringLiteral(" on %1").arg(pricing->profile.name);
    return text;
}

ModelCost modelCostOfSize(const Model& model, std::uint64_t totalBytes,
                          std::uint64_t embeddingBytes) {
    const LlamaConfig& c = model.config;
    std::int64_t parameters = 0;
    for (const Tensor& t : model.tensors)
        parameters += t.elements();
    const double embedding = c.tiedOutput ? 0.0 : double(c.dim) * double(c.vocabSize);
    ModelCost m;
    m.weightBytes = totalBytes;
    // An untied embedding is looked up, not streamed.
    m.decodeBytesPerToken =
        c.tiedOutput ? totalBytes : totalBytes - std::min(totalBytes, embeddingBytes);
    m.flopsPerToken = 2.0 * (double(parameters) - embedding);
    m.kvBytesPerToken = std::uint64_t(2) * std::uint64_t(c.layers) * std::uint64_t(c.kvDim()) * 2;
    return m;
}

Result<SearchResult> searchPlan(const Model& model, const SensitivityResult& s,
                                const SearchOptions& o) {
    const Budget& budget = o.budget;
    if (!(budget.value > 0) || !std::isfinite(budget.value))
        return Error{QStringLiteral("the budget must be a positive number")};
    if (budget.kind == BudgetKind::DollarsPer1000Queries && !budget.pricing)
        return Error{QStringLiteral("a $ budget needs a hardware profile to price it on")};
    const bool untiedEmbedding =
        budget.kind == BudgetKind::DollarsPer1000Queries && !model.config.tiedOutput;

    // Every tensor's choices: fp32 (loss 0) and each measured precision.
    struct Candidate {
        const Tensor* tensor;
        const TensorSensitivity* sensitivity; // null: not measured, stays fp32
        std::vector<PrecisionId> precisions;
        std::vector<std::uint64_t> bytes;
        std::vector<double> losses;
    };
    std::vector<Candidate> candidates;
    std::uint64_t fixedBytes = 0; // norms, and matrices not measured
    std::int64_t matrixParameters = 0;
    for (const Tensor& t : model.tensors) {
        const std::uint64_t fp32 = std::uint64_t(t.elements()) * 4;
        if (!t.isMatrix()) {
            fixedBytes += fp32;
            continue;
        }
        matrixParameters += t.elements();
        const TensorSensitivity* ts = s.find(t.name);
        if (!ts) {
            fixedBytes += fp32;
            continue;
        }
        Candidate c{&t, ts, {PrecisionId::Fp32}, {fp32}, {0.0}};
        for (const PrecisionLoss& l : ts->losses) {
            c.precisions.push_back(l.precision);
            c.bytes.push_back(packedRowBytes(l.precision, t.rowLength()) * std::uint64_t(t.rows()));
            c.losses.push_back(l.kldMean);
        }
        candidates.push_back(std::move(c));
    }
    if (candidates.empty())
        return Error{QStringLiteral("the sensitivity table names none of the model's matrices")};
    std::uint64_t matrixFixed = 0; // matrices not measured, at fp32
    for (const Tensor& t : model.tensors)
        if (t.isMatrix() && !s.find(t.name))
            matrixFixed += std::uint64_t(t.elements()) * 4;

    // The budget as bytes of the measured matrices.
    auto resourceOf = [&](const Candidate& c, std::size_t j) -> std::uint64_t {
        return untiedEmbedding && c.tensor->name == QLatin1String("token_embd.weight") ? 0
                                                                                       : c.bytes[j];
    };
    std::uint64_t smallest = 0;
    for (const Candidate& c : candidates) {
        std::uint64_t least = UINT64_MAX;
        for (std::size_t j = 0; j < c.bytes.size(); ++j)
            least = std::min(least, resourceOf(c, j));
        smallest += least;
    }
    std::optional<std::uint64_t> limit;
    double smallestInUnits = 0;
    switch (budget.kind) {
    case BudgetKind::BitsPerWeight: {
        const double matrixBytes = std::floor(budget.value * double(matrixParameters) / 8.0);
        if (matrixBytes >= double(matrixFixed))
            limit = std::uint64_t(matrixBytes) - matrixFixed;
        smallestInUnits = 8.0 * double(smallest + matrixFixed) / double(matrixParameters);
        break;
    }
    case BudgetKind::Bytes:
        if (budget.value >= double(fixedBytes))
            limit = std::uint64_t(budget.value) - fixedBytes;
        smallestInUnits = double(smallest + fixedBytes);
        break;
    case BudgetKind::DollarsPer1000Queries: {
        if (auto total = bytesWithinDollars(model, *budget.pricing, budget.value, 0);
            total && *total >= fixedBytes)
            limit = *total - fixedBytes;
        smallestInUnits =
            projectCost(modelCostOfSize(model, smallest + fixedBytes, 0), {budget.pricing->profile},
                        budget.pricing->workload, budget.pricing->efficiency)
                .profiles.front()
                .dollarsPer1000Queries;
        break;
    }
    }
    if (!limit || *limit < smallest) {
        QStringList smallestNames;
        for (PrecisionId id : s.precisions)
            smallestNames << QLatin1String(nameOf(id));
        return Error{QStringLiteral("no plan fits a budget of %1: the smallest these precisions "
                                    "(%2) can make is %3; raise the budget or measure a smaller "
                                    "precision")
                         .arg(budget.describe(), smallestNames.join(QStringLiteral(", ")),
                              formatBudgetValue(budget, smallestInUnits))};
    }

    // Grid unit: the common divisor of every size when it resolves the budget finely enough
    // (exact), else the budget over gridSteps with sizes rounded up (every plan found fits).
    std::uint64_t unit = 0;
    for (const Candidate& c : candidates)
        for (std::size_t j = 0; j < c.bytes.size(); ++j)
            unit = std::gcd(unit, resourceOf(c, j));
    unit = std::max<std::uint64_t>(unit, 1);
    const std::uint64_t steps = std::uint64_t(std::max(o.gridSteps, 16));
    bool exact = true;
    if (*limit / unit > steps) {
        unit = (*limit + steps - 1) / steps;
        exact = false;
    }
    std::vector<KnapsackItem> items;
    for (const Candidate& c : candidates) {
        KnapsackItem item;
        for (std::size_t j = 0; j < c.bytes.size(); ++j)
            item.costs.push_back((resourceOf(c, j) + unit - 1) / unit);
        item.losses = c.losses;
        items.push_back(std::move(item));
    }
    const auto solution = solveKnapsack(items, *limit / unit);
    if (!solution)
        return Error{QStringLiteral("no plan fits a budget of %1 at the solver's resolution of %2 "
                                    "bytes; raise the budget slightly")
                         .arg(budget.describe())
                         .arg(unit)};
    std::vector<const PrecisionLoss*> chosen;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        if (const auto j = std::size_t(solution->choices[i]); j > 0)
            chosen.push_back(&candidates[i].sensitivity->losses[j - 1]);
    const double predicted = s.predictKld(chosen);
    if (o.maxKld && predicted > *o.maxKld)
        return Error{
            QStringLiteral("no plan within %1 reaches a mean KLD of %2: the best predicted "
                           "is %3; raise the budget or the limit")
                .arg(budget.describe())
                .arg(*o.maxKld, 0, 'g', 4)
                .arg(predicted, 0, 'g', 4)};

    SearchResult r;
    r.budget = budget;
    r.byteLimit = *limit;
    r.gridBytes = exact ? 1 : unit;
    r.slackBytes = exact ? 0 : (std::uint64_t(candidates.size()) + 1) * unit;
    r.predictedKld = predicted;
    r.predictedKldAdditive = solution->loss;
    r.boundStatement =
        exact ? QStringLiteral("exact: no plan within the budget has a lower summed loss "
                               "(dynamic programme over sizes in units of %1 bytes, a divisor of "
                               "every tensor's size)")
                    .arg(unit)
              : QStringLiteral("optimal on a grid of %1 bytes: no plan of at most %2 bytes (the "
                               "budget less %3) has a lower summed loss")
                    .arg(unit)
                    .arg(*limit - std::min(*limit, r.slackBytes))
                    .arg(formatBytes(r.slackBytes));

    std::vector<TensorChoice> choices;
    for (const Tensor& t : model.tensors)
        choices.push_back({t.name, PrecisionId::Fp32, t.isMatrix(), -1, s.method});
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const auto j = std::size_t(solution->choices[i]);
        for (TensorChoice& c : choices)
            if (c.name == candidates[i].tensor->name)
                c.precision = candidates[i].precisions[j];
    }
    const QString name =
        o.planName.isEmpty() ? QStringLiteral("searched at %1").arg(budget.describe()) : o.planName;
    r.plan = planFromChoices(name, choices, s.calibration);
    const ResolvedPlan resolved = resolvePlan(r.plan, model);
    r.size = sizeOf(model, resolved);

    const PrecisionId common = r.plan.defaultPrecision;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const Candidate& c = candidates[i];
        const auto j = std::size_t(solution->choices[i]);
        const auto commonIndex = std::size_t(
            std::find(c.precisions.begin(), c.precisions.end(), common) - c.precisions.begin());
        const std::uint64_t commonBytes =
            commonIndex < c.bytes.size() ? c.bytes[commonIndex] : c.bytes[j];
        r.tensors.push_back(
            {c.tensor->name, c.precisions[j], c.losses[j], c.bytes[j],
             reasonFor(*c.sensitivity, c.precisions[j], common, s, c.bytes[j], commonBytes)});
    }
    if (budget.kind == BudgetKind::DollarsPer1000Queries) {
        std::uint64_t embedding = 0;
        for (const TensorDecision& d : r.tensors)
            if (d.name == QLatin1String("token_embd.weight"))
                embedding = d.bytes;
        const CostProjection p = projectCost(modelCostOfSize(model, r.size.totalBytes, embedding),
                                             {budget.pricing->profile}, budget.pricing->workload,
                                             budget.pricing->efficiency);
        r.dollarsPer1000Queries = p.profiles.front().dollarsPer1000Queries;
        if (!p.profiles.front().fits)
            return Error{QStringLiteral("the best plan within %1 needs %2 GiB, more than the %3 "
                                        "GiB of %4")
                             .arg(budget.describe())
                             .arg(p.profiles.front().memoryNeededGiB, 0, 'f', 2)
                             .arg(budget.pricing->profile.memoryGiB)
                             .arg(budget.pricing->profile.name)};
    }
    return r;
}

Frontier searchFrontier(const Model& model, const SensitivityResult& sensitivity,
                        const SearchOptions& options, const std::vector<double>& budgetValues) {
    Frontier f;
    for (double value : budgetValues) {
        SearchOptions o = options;
        o.budget.value = value;
        o.planName.clear();
        auto r = searchPlan(model, sensitivity, o);
        if (r)
            f.plans.push_back(std::move(r.value()));
        else
            f.skipped << r.error().message;
    }
    return f;
}

} // namespace cwb
