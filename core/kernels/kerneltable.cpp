// SPDX-License-Identifier: GPL-3.0-or-later
#include "kerneltable.h"

#include "cpufeatures.h"

namespace cwb::kernels {

KernelSet bestKernels(PrecisionId precision) {
    KernelSet best = portableKernels(precision);
    const CpuFeatures& cpu = cpuFeatures();
    if (!cpu.avx512)
        return best;
    const KernelSet fast = avx512Kernels(precision);
    if (fast.gemv && (precision != PrecisionId::W8A8 || cpu.avx512Vnni))
        best.gemv = fast.gemv;
    if (fast.dequantize)
        best.dequantize = fast.dequantize;
    if (cpu.avx512Vnni) {
        const KernelSet vnni = avx512VnniKernels(precision);
        if (vnni.gemv) {
            best.gemv = vnni.gemv;
            best.blockActivations = vnni.blockActivations;
        }
    }
    return best;
}

} // namespace cwb::kernels
