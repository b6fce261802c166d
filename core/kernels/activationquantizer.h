// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

namespace cwb::kernels {

// w8a8's activations, per token: scale = absmax(x)/127, q = round-half-away(x / scale), all in
// f32 so every kernel and the reference get the same codes (an all-zero row: scale 0, q 0).
// Returns the scale.
float quantizeActivations(const float* x, std::int64_t k, std::int8_t* q);

// The same for m rows of k, on `threads` threads.
void quantizeActivationRows(const float* x, std::int64_t m, std::int64_t k, std::int8_t* q,
                            float* scales, int threads);

} // namespace cwb::kernels
