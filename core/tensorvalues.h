// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "tensor.h"

#include <span>
#include <vector>

namespace cwb {

// The tensor as f32: in place if it is stored so, else decoded into `scratch` (the span then
// points into it).
std::span<const float> decodedValues(const Tensor& t, std::vector<float>& scratch);

// ‖a − b‖ / ‖b‖ over the whole tensor: the relative RMS error of `a` as an approximation of `b`
// (0 when `b` is all zeros and `a` equals it).
double relativeRmsError(std::span<const float> a, std::span<const float> b);

} // namespace cwb
