// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "calibration.h"
#include "calibrationrun.h"
#include "evaluation.h"
#include "plan.h"
#include "planevaluation.h"
#include "store/runstore.h"

#include <QByteArray>
#include <QString>

// The records of the window's jobs: what `cwb eval` and `cwb calibrate` record for the same
// work, the same keys and metrics, with the command that repeats it from a shell. Built on the
// worker, from the job's own copies of its inputs.

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
