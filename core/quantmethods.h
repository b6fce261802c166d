// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "model.h"
#include "plan.h"
#include "precision.h"
#include "progress.h"

#include <QString>
#include <QStringList>

#include <map>
#include <vector>

namespace cwb {

// What a method did at one matmul input, for the user and the report.
struct MethodReport {
    QString site; // "blk.3.attn_in"
    QuantMethod method = QuantMethod::Rtn;
    double alpha = 0; // SmoothQuant and AWQ: the α used (searched or given)
    bool searched = false;
    double errorRtn = 0;    // relative output error on the sampled inputs with plain rtn
    double errorMethod = 0; // the same with the method's scales
};

// A model's weights after a plan's methods: f32 values of the tensors the methods changed (the
// norms that absorbed scales, scaled matrices that stay fp32), and every matrix the plan
// quantizes, in the precision table's reference layout.
struct MethodResult {
    std::map<QString, std::vector<float>> f32;
    std::map<QString, QuantizedMatrix> quantized;
    std::vector<MethodReport> reports;
    QStringList warnings;
};

// Applies SmoothQuant and AWQ scales (per matmul input, in forward order) and quantizes every
// matrix by its method (GPTQ or rtn). `stats` may be null when every method is rtn.
Result<MethodResult> applyMethods(const Model& model, const ResolvedPlan& plan,
                                  const CalibrationStats* stats, const Progress& progress = {});

// The grid for one group that minimizes Σ importance_j (w_j − snapped w_j)², searched over
// narrowed ranges of the reference quantizer's grid (clipping outliers can pay when the others are
// what matters). Integer precisions only.
QuantGrid searchGrid(const PrecisionInfo& precision, std::span<const float> group,
                     std::span<const double> importance);

// Round to nearest on searched grids: each group's grid from searchGrid with the given per-column
// importance (AWQ uses the mean square of its scaled activations, as llama.cpp's imatrix does).
Result<QuantizedMatrix> quantizeWithImportance(PrecisionId precision,
                                               std::span<const float> weights, std::int64_t k,
                                               std::span<const double> importance,
                                               const QString& name);

// GPTQ for one matrix (rows × k, row-major) given Σ x xᵀ over `samples` calibration rows.
Result<QuantizedMatrix> gptqQuantize(PrecisionId precision, std::span<const float> weights,
                                     std::int64_t k, std::span<const double> hessianSum,
                                     std::int64_t samples, const MethodOptions& options,
                                     const QString& name, QStringList& warnings);

} // namespace cwb
