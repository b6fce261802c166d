// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "commandline.h"

#include "activationstats.h"
#include "costmodel.h"
#include "evaluation.h"
#include "model.h"
#include "progress.h"
#include "result.h"
#include "runrecorder.h"

#include <QJsonObject>

#include <optional>
#include <vector>

// What several commands read the same way: how an evaluation text is cut, calibration statistics
// (--stats or --calib), a serving workload, and how a failed run ends.
namespace cwb::cli {

// --split, --separator, --ctx, --chunks, --max-tokens, --threads.
std::vector<Option> evalOptionTable();
EvalOptions evalOptionsFrom(const Arguments& a); // a bad value throws UsageError
// The evaluation settings as run records store them (and `cwb reproduce` reads them back).
QJsonObject evalSettingsJson(const EvalOptions& o);

// --calib FILE, --stats STATS and the calibration options (--sequences, --length, …).
std::vector<Option> statisticsOptionTable();
// Statistics for a plan's calibrated methods: saved by `cwb calibrate` (--stats), collected now
// from a text (--calib, with the calibration options), or none. Both given is a UsageError.
Result<std::optional<CalibrationStats>> statisticsFrom(const Arguments& a, const Model& model,
                                                       const Progress& progress);

// --workload PROMPT:OUTPUT:QUERIES_PER_MONTH, or the default workload.
Workload workloadFrom(const Arguments& a);

// Ends a command that failed: closes the progress line, records the run (if it started) as failed
// or cancelled, prints the one-line reason, and returns exit status 1.
int failRun(std::optional<RunRecorder>& recorder, const Error& error);

} // namespace cwb::cli
