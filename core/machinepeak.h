// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace cwb {

// The f32 FLOP/s of a large matmul (1024 × 2048 × 2048) on oneDNN with `threads` threads, best of
// a few: what this machine's compute can reach, against which prefill's efficiency is measured.
double measureMatmulGflops(int threads);

} // namespace cwb
