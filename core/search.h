// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "costmodel.h"
#include "model.h"
#include "plan.h"
#include "result.h"
#include "sensitivity.h"

#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace cwb {

// The multiple-choice knapsack: pick one choice per item, total cost at most the capacity, least
// total loss. Costs are integers (grid units); the dynamic programme over every capacity is exact.
struct KnapsackItem {
    std::vector<std::uint64_t> costs;
    std::vector<double> losses;
};
struct KnapsackSolution {
    std::vector<int> choices; // per item
    double loss = 0;
    std::uint64_t cost = 0;
};
// nullopt when even the cheapest choices exceed the capacity. Among equal losses the cheaper
// choice wins. Time and memory grow with items × capacity.
std::optional<KnapsackSolution> solveKnapsack(const std::vector<KnapsackItem>& items,
                                              std::uint64_t capacity);

enum class BudgetKind { BitsPerWeight, Bytes, DollarsPer1000Queries };
QString budgetKindName(BudgetKind kind); // "bpw", "bytes", "usd_per_1000_queries"

// Where a $ budget is priced: the cost model's profile, workload and efficiencies.
struct CostContext {
    HardwareProfile profile;
    Workload workload;
    Efficiency efficiency;
};

struct Budget {
    BudgetKind kind = BudgetKind::BitsPerWeight;
    double value = 0;                   // bpw (overhead included), bytes, or $ per 1,000 queries
    std::optional<CostContext> pricing; // for DollarsPer1000Queries
    QString describe() const;           // "4.5 bpw", "$0.02 per 1,000 queries on NAME"
};

struct SearchOptions {
    Budget budget;
    std::optional<double> maxKld; // the predicted (joint) mean KLD must not exceed it
    int gridSteps = 1 << 16;      // size units the budget is resolved into (exact when finer)
    QString planName;             // empty: named after the budget
};

// One tensor of a searched plan.
struct TensorDecision {
    QString name;
    PrecisionId precision = PrecisionId::Fp32;
    double predictedKld = 0;
    std::uint64_t bytes = 0;
    QString reason; // "kept at int8_g32: its int4_g32 loss is 9.1× the median"
};

struct SearchResult {
    Plan plan;
    std::vector<TensorDecision> tensors; // the quantizable tensors, in the model's order
    // The plan's mean KLD as the joint loss model predicts it (SensitivityResult::predictKld).
    double predictedKld = 0;
    // The additive model the solver minimises: the sum of the tensors' losses alone. It
    // under-predicts where many tensors lose much at once (int2_g16 on many of them).
    double predictedKldAdditive = 0;
    SizeSummary size;
    Budget budget;
    std::uint64_t byteLimit = 0; // the budget as bytes of the quantizable matrices
    std::uint64_t gridBytes = 1; // the solver's size unit; 1 = exact
    // The plan's predicted loss is at most that of the best plan no larger than
    // byteLimit − slackBytes (0: optimal within the budget).
    std::uint64_t slackBytes = 0;
    std::optional<double> dollarsPer1000Queries; // on the budget's profile
    QString boundStatement;                      // the line above in words
};

// The plan with the least additive loss within the budget, from per-tensor losses, solved exactly
// as a knapsack; its KLD is then predicted with the joint loss model (SearchResult::predictedKld,
// SensitivityResult::predictKld). The solver stays additive: the joint model is not separable.
// Each tensor gets one of the measured precisions or fp32 (loss 0), with the measurement's method.
// A budget no plan reaches, or a maximum KLD (on the joint prediction) the plan exceeds, is an
// error that says how far off.
Result<SearchResult> searchPlan(const Model& model, const SensitivityResult& sensitivity,
                                const SearchOptions& options);

// The same for each budget value: the frontier of best plans. Budgets no plan reaches are left
// out, with their reason in `skipped`.
struct Frontier {
    std::vector<SearchResult> plans;
    QStringList skipped;
};
Frontier searchFrontier(const Model& model, const SensitivityResult& sensitivity,
                        const SearchOptions& options, const std::vector<double>& budgetValues);

// A plan's cost inputs from its size alone (weights streamed per token, FLOPs, KV cache).
ModelCost modelCostOfSize(const Model& model, std::uint64_t totalBytes,
                          std::uint64_t embeddingBytes);

} // namespace cwb
