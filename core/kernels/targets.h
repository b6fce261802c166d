// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// GCC 12's AVX-512 headers build "undefined" vectors by self-assignment, which its own
// -Wmaybe-uninitialized then reports (GCC bug 105593) wherever an intrinsic is inlined; the
// warning is silenced for the header's lines only.
#if defined(__clang__)
#include <immintrin.h>
#else
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

// Instruction sets for one function at a time: the project is built for the baseline x86-64 and
// these functions run only after cpuFeatures() said the CPU has them.
#define CWB_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))
#define CWB_TARGET_AVX512_VNNI                                                                     \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c")))
