// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchmark.h"
#include "calibration.h"
#include "calibrationrun.h"
#include "evaluation.h"
#include "plan.h"
#include "planevaluation.h"
#include "search.h"
#include "sensitivity.h"
#include "store/runstore.h"

#include <QByteArray>
#include <QString>

#include <optional>

// The records of the window's jobs: what `cwb eval`, `cwb calibrate`, `cwb bench` and the others
// record for the same work, the same keys and metrics, with the command that repeats it from a
// shell. Built on the worker, from the job's own copies of its inputs.

// A word of a recorded command as the shell takes it: bare when it is plain, else in single
// quotes.
QString shellWord(const QString& word);

// An evaluation of `text` (read from `textPath`), of the FP32 model when `plan` is null, else of
// the plan named `planName` with the statistics `stats` (null when its methods need none).
cwb::RunRecord evaluationRecord(const cwb::Model& model, const QString& textPath,
                                const QByteArray& text, const cwb::EvalOptions& options,
                                const cwb::Plan* plan, const QString& planName,
                                const cwb::CalibrationStats* stats);
cwb::RunOutcome evaluationOutcome(const cwb::Model& model, const cwb::PerplexityResult& result);
cwb::RunOutcome evaluationOutcome(const cwb::Model& model, const cwb::Plan& plan,
                                  const cwb::PlanEvaluation& result,
                                  const cwb::CalibrationStats* stats);

// A calibration of `model` on `text` with `options`.
cwb::RunRecord calibrationRecord(const cwb::Model& model, const cwb::CalibrationText& text,
                                 const cwb::CalibrationOptions& options);
cwb::RunOutcome calibrationOutcome(const CalibrationRun& run);

// A sensitivity measurement of `text` as `cwb sensitivity` records it.
cwb::RunRecord sensitivityRecord(const cwb::Model& model, const QString& textPath,
                                 const QByteArray& text, const cwb::SensitivityOptions& options);
// A searched plan, to be evaluated for real, as `cwb search` records it; the outcome is
// cwb::searchOutcome().
cwb::RunRecord searchRecord(const cwb::Model& model, const QString& textPath,
                            const QByteArray& text, const cwb::SensitivityOptions& options,
                            const cwb::SearchResult& search, const std::optional<double>& maxKld);

// A benchmark of `plan` (named `planName`) with `options`, as `cwb bench --plan` records it.
cwb::RunRecord benchmarkRecord(const cwb::Model& model, const cwb::Plan& plan,
                               const QString& planName, const cwb::BenchOptions& options);
// File ▸ Export Model's file (the nearest exact types where a precision has no GGUF type), as
// `cwb quantize … --fallback nearest` records it; the outcome is cwb::quantizeOutcome().
cwb::RunRecord exportRecord(const cwb::Model& model, const cwb::Plan& plan, const QString& planName,
                            const QString& path, const cwb::CalibrationStats* stats);
// Without the bandwidth and matmul figures when they were not measured: a zero is no measurement.
cwb::RunOutcome benchmarkOutcome(const cwb::Model& model, const cwb::ResolvedPlan& plan,
                                 const cwb::BenchResult& result, const cwb::SizeSummary& size,
                                 const cwb::BenchOptions& options);
