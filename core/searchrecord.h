// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "model.h"
#include "planevaluation.h"
#include "search.h"
#include "sensitivity.h"
#include "store/runstore.h"

#include <QJsonObject>

// What a sensitivity measurement and a searched plan record in the run store: the same metrics,
// per-tensor rows and settings whether `cwb` or the window ran them.
namespace cwb {

// The precision a sensitivity run's per-tensor rows show: int4_g32 when measured, else the last
// (smallest) candidate.
PrecisionId referencePrecision(const SensitivityResult& result);

// Each tensor at the reference precision, its loss there as its sensitivity; the measurement's
// cost as metrics; the whole result under "sensitivity" in the settings.
RunOutcome sensitivityOutcome(const SensitivityResult& result);

// {"kind", "value", "text", "hardware"}: the budget as a run's settings name it.
QJsonObject budgetJson(const Budget& budget);

// A searched plan evaluated for real: the evaluation's metrics with the predicted KLD (and the
// $ per 1,000 queries it was priced at), each tensor's predicted loss as its sensitivity, and
// the one-line reasons, the solver's bound and the calibration in the settings.
RunOutcome searchOutcome(const Model& model, const SearchResult& search,
                         const PlanEvaluation& measured, QuantMethod sensitivityMethod,
                         const CalibrationStats* stats);

} // namespace cwb
