// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <atomic>
#include <cstdint>

namespace cwb::kernels {

// The memory read bandwidth in GB/s (10^9 bytes per second) that `threads` threads reach reading
// a buffer of `bytes` (make it much larger than the caches): best of a few runs. AVX-512 loads
// into 8 independent accumulators, because a loop with one sum measures the adder's latency, not
// memory. Decode kernels are judged against this number. Returns 0 if `cancel` is set between
// runs.
double measureReadBandwidth(int threads, std::uint64_t bytes,
                            const std::atomic<bool>* cancel = nullptr);

} // namespace cwb::kernels
