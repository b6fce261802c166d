// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace cwb::kernels {

// What the CPU we run on can execute, asked once. The AVX-512 kernels are compiled per function
// for their target, so the same binary runs (on the portable kernels) where they cannot.
struct CpuFeatures {
    bool avx512 = false;     // F, BW, VL, DQ with FMA and F16C: the float and low-bit kernels
    bool avx512Vnni = false; // VPDPBUSD: the w8a8 decode kernel
    bool int8Matmul = false; // oneDNN's int8 matmul is exact here (VNNI: no 16-bit saturation)
};

const CpuFeatures& cpuFeatures();

// Makes cpuFeatures() answer `features` until called with the detected ones again, so tests can
// run the portable kernels on a machine that has AVX-512. Not for use while kernels run.
void overrideCpuFeatures(const CpuFeatures& features);
CpuFeatures detectedCpuFeatures();

} // namespace cwb::kernels
