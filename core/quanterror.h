// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"
#include "precision.h"
#include "progress.h"
#include "result.h"

#include <QString>

#include <optional>
#include <span>
#include <vector>

namespace cwb {

// ‖W − dequantize(quantize(W))‖ / ‖W‖ over the whole matrix, with the precision's reference
// quantizer: the relative weight error a precision costs this tensor (0 for f32). An error if the
// tensor is not a matrix or its values cannot be stored in the precision.
Result<double> relativeQuantError(const Tensor& tensor, PrecisionId precision);

struct TensorPrecision {
    QString tensor;
    PrecisionId precision = PrecisionId::Fp32;
};

// relativeQuantError() of each tensor, in order; nothing for a tensor the model lacks or whose
// error cannot be computed. Reports progress per tensor and stops with cancelledError() when
// asked to.
Result<std::vector<std::optional<double>>>
relativeQuantErrors(const Model& model, std::span<const TensorPrecision> tensors,
                    const Progress& progress = {});

} // namespace cwb
