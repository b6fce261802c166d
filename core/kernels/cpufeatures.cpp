// SPDX-License-Identifier: GPL-3.0-or-later
#include "cpufeatures.h"

#include <cpuid.h>

namespace cwb::kernels {
namespace {

// CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports does not know "f16c").
bool hasF16c() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
}

CpuFeatures& current() {
    static CpuFeatures features = detectedCpuFeatures();
    return features;
}

} // namespace

CpuFeatures detectedCpuFeatures() {
    __builtin_cpu_init();
    CpuFeatures f;
    f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("fma") && hasF16c();
    f.avx512Vnni = f.avx512 && __builtin_cpu_supports("avx512vnni");
    // Without VNNI, oneDNN's int8 dot products pass through 16-bit sums that can saturate with
    // s8 × s8 inputs, and w8a8 would lose its exact int32 definition.
    f.int8Matmul = f.avx512Vnni;
    return f;
}

const CpuFeatures& cpuFeatures() {
    return current();
}

void overrideCpuFeatures(const CpuFeatures& features) {
    current() = features;
}

} // namespace cwb::kernels
