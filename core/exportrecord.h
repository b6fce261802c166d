// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "ggufexport.h"
#include "model.h"
#include "plan.h"
#include "store/runstore.h"

#include <QJsonArray>
#include <QJsonObject>

// What an export of a plan as a GGUF file records, the same whether `cwb quantize` or the
// window's File ▸ Export Model wrote it: a "quantize" run whose output's sha256 later runs on the
// file find as their parent.
namespace cwb {

// The run before the file is written: the plan, the output path, the fallback and calibration.
RunRecord quantizeRecord(const Model& model, const Plan& plan, const QString& planName,
                         const QString& outPath, ExportFallback fallback,
                         const CalibrationStats* stats, int threads, const QString& command);
// The written file (`output`: modelOutputJson of it): its size and bits per weight as metrics,
// each tensor's precision, method and bytes, the fallbacks taken and the calibration.
RunOutcome quantizeOutcome(const Model& model, const ResolvedPlan& plan, const ExportResult& result,
                           const QJsonObject& output, const CalibrationStats* stats);

// Bits per weight of the matrices as written, overhead included.
double exportedBitsPerWeight(const Model& model, const ExportLayout& layout);
QJsonArray fallbacksJson(const std::vector<ExportFallbackItem>& fallbacks);

} // namespace cwb
