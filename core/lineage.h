// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"
#include "store/runstore.h"

#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace cwb {

// The chain of runs that led to run `id`, through each run's parent: the first run (made on the
// original model, the teacher) first, `id` itself last. A missing parent ends the chain.
Result<std::vector<RunRecord>> runLineage(RunStore& store, std::int64_t id);

// One step of a lineage as the report lists it: run id, kind, name, status, the model it was
// made on, the settings that define what it did, and what it produced.
QJsonObject lineageStepJson(const RunRecord& run);

// Figures that place a run made on a derived model (a student, a quantized student) against the
// original model it came from: its size as a fraction of the original's FP32 size, and the
// quality it kept (original perplexity / its perplexity, on the same text).
struct LineageFigures {
    std::int64_t rootRunId = 0;
    QString rootSha256;            // the original model's fingerprint
    double rootFp32Bytes = 0;      // parameters × 4
    std::optional<double> rootPpl; // on the run's evaluation text, with the same settings
};

// The original model of `run`'s lineage and its figures. `runs` are every run of the store (for
// the original's own evaluations); nothing when the run has no parent.
std::optional<LineageFigures> lineageFigures(RunStore& store, const RunRecord& run,
                                             const std::vector<RunRecord>& runs);

// Every finished run whose lineage begins at a run made on the model with fingerprint `sha256`,
// that run excluded (its own runs are found by model), each with "size_fraction_of_original" and
// "retained_quality" added to its metrics when they can be computed.
Result<std::vector<RunRecord>> descendantRuns(RunStore& store, const QString& sha256);

// The same two figures for a run made on the original model itself (`parameters` of them): its
// FP32 figure is the run's own base_ppl, or the run's perplexity for an FP32 evaluation.
void addOwnLineageMetrics(RunRecord& run, std::int64_t parameters);

// Adds "size_fraction_of_original" (size / FP32 size of `figures`' model) and, when the
// original's perplexity on the same text is known, "retained_quality" (its PPL / this PPL).
void addLineageMetrics(RunRecord& run, const LineageFigures& figures);

} // namespace cwb
