// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "precision.h"
#include "result.h"

#include <cstdint>
#include <memory>

namespace cwb::kernels {

// N rows (output channels) of K weights in one precision, packed for this CPU.
//
// Decode (m < 4: once per token) runs hand-written GEMV kernels that stream the weights once;
// prefill runs oneDNN matmuls (int8 and w8a8 on its int8 matmul with activations quantized per
// token, fp32 in place, the others on tiles of rows dequantized to f32). The bytes are the
// precision's reference bytes regrouped (PackedLayout); there is never a second copy.
// multiply() changes nothing in the matrix: its scratch buffers and oneDNN primitives belong to
// the calling thread, so a matrix may be shared by threads. A moved-from matrix may only be
// destroyed or assigned to.
class PackedMatrix {
public:
    // From the precision table's reference layout, whose buffer is released on return.
    static Result<PackedMatrix> pack(QuantizedMatrix reference);
    // Random weights of this shape created directly in packed form, as if N(0, 0.02) weights
    // were quantized row by row: for benchmarking models that are not on disk. Never holds K×N
    // f32 values for a non-f32 precision. The same seed gives the same bytes.
    static PackedMatrix random(PrecisionId precision, std::int64_t k, std::int64_t n,
                               std::uint64_t seed);

    PackedMatrix(PackedMatrix&&) noexcept;
    PackedMatrix& operator=(PackedMatrix&&) noexcept;
    ~PackedMatrix();

    PrecisionId precision() const;
    std::int64_t rowLength() const;
    std::int64_t rows() const;
    // The memory this matrix holds: N × packedRowBytes(K). (Matrices from 2 MiB sit on huge
    // pages, whose rounding may add up to 1/16 more; see HugePageBuffer.)
    std::uint64_t bytes() const;

    // y[m×N] = x[m×K] · Wᵀ, row-major, on `threads` threads. m == 1 is the decode path.
    void multiply(const float* x, std::int64_t m, float* y, int threads) const;

    // Row r back in the reference layout, for checks.
    void unpackRow(std::int64_t r, std::uint8_t* reference) const;

private:
    struct Impl;
    explicit PackedMatrix(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

// The scalar reference each kernel is tested against: dequantize each row with the precision
// table, dot in double. For W8A8 the reference also quantizes each row of x per token
// (scale = absmax(x_row)/127, q = round-half-away(x/scale), int32 dot with the int8 weights,
// times both scales), because that is w8a8's definition.
void referenceMultiply(const QuantizedMatrix& w, const float* x, std::int64_t m, float* y);

} // namespace cwb::kernels
