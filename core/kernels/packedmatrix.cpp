// SPDX-License-Identifier: GPL-3.0-or-later
#include "packedmatrix.h"

#include "activationquantizer.h"
#include "activationrow.h"
#include "cpufeatures.h"
#include "dnnlmatmul.h"
#include "hugepagebuffer.h"
#include "kerneltable.h"
#include "packedlayout.h"
#include "rowrandom.h"

#include <QDebug>

#include <omp.h>

#include <algorithm>
#include <exception>
#include <vector>

namespace cwb::kernels {
namespace {

// Below this many tokens the GEMV kernels run once per token (each pass streams the weights);
// from here on a matmul, which reads them once for all tokens, wins.
constexpr std::int64_t kPrefillMinTokens = 4;
// Rows a GEMV pass handles together; threads split the rows in multiples of it, so a row's
// arithmetic does not depend on the thread count.
constexpr std::int64_t kRowBlock = 4;
// The f32 tile the grouped formats dequantize into before oneDNN's f32 matmul: sized to stay in
// a core's L2 while the matmul reads it.
constexpr std::uint64_t kTileBytes = 2u << 20;

// Runs a GEMV kernel over all rows, split into contiguous blocks, one per thread.
void runRows(GemvKernel gemv, const GemvTask& task, std::int64_t n, int threads) {
    if (threads <= 1 || n < 2 * kRowBlock) {
        gemv(task, 0, n);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        const std::int64_t count = omp_get_num_threads(), t = omp_get_thread_num();
        const std::int64_t blocks = (n + kRowBlock - 1) / kRowBlock;
        const std::int64_t per = (blocks + count - 1) / count;
        const std::int64_t begin = std::min(n, t * per * kRowBlock);
        const std::int64_t end = std::min(n, (t + 1) * per * kRowBlock);
        if (begin < end)
            gemv(task, begin, end);
    }
}

} // namespace

struct PackedMatrix::Impl {
    PackedLayout layout;
    HugePageBuffer data;

    void decode(const float* x, std::int64_t m, float* y, int threads) const;
    void prefillF32(const float* x, std::int64_t m, float* y, int threads) const;
    void prefillInt8(const float* x, std::int64_t m, float* y, int threads) const;
    void prefillTiles(const float* x, std::int64_t m, float* y, int threads) const;
};

PackedMatrix::PackedMatrix(std::unique_ptr<Impl> impl)
    : d(std::move(impl)) {}
PackedMatrix::PackedMatrix(PackedMatrix&&) noexcept = default;
PackedMatrix& PackedMatrix::operator=(PackedMatrix&&) noexcept = default;
PackedMatrix::~PackedMatrix() = default;

PrecisionId PackedMatrix::precision() const {
    return d->layout.precision;
}
std::int64_t PackedMatrix::rowLength() const {
    return d->layout.k;
}
std::int64_t PackedMatrix::rows() const {
    return d->layout.n;
}
std::uint64_t PackedMatrix::bytes() const {
    return d->layout.totalBytes;
}

void PackedMatrix::unpackRow(std::int64_t r, std::uint8_t* reference) const {
    d->layout.unpackRow(d->data.data(), r, reference);
}

Result<PackedMatrix> PackedMatrix::pack(QuantizedMatrix reference) {
    const std::int64_t k = reference.rowLength, n = reference.rows;
    if (k <= 0 || n < 0 || reference.data.size() != std::uint64_t(n) * reference.rowBytes())
        return Error{QStringLiteral("cannot pack %1 bytes as %2 rows of %3 %4 values")
                         .arg(reference.data.size())
                         .arg(n)
                         .arg(k)
                         .arg(QLatin1String(precisionInfo(reference.precision).name))};
    auto impl = std::make_unique<Impl>();
    impl->layout = PackedLayout::of(reference.precision, k, n);
    impl->data = HugePageBuffer(impl->layout.totalBytes);
    const std::uint64_t rowBytes = reference.rowBytes();
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < n; ++r)
        impl->layout.packRow(reference.data.data() + std::uint64_t(r) * rowBytes, r,
                             impl->data.data());
    return PackedMatrix(std::move(impl));
}

PackedMatrix PackedMatrix::random(PrecisionId precision, std::int64_t k, std::int64_t n,
                                  std::uint64_t seed) {
    constexpr float kSigma = 0.02f;
    auto impl = std::make_unique<Impl>();
    impl->layout = PackedLayout::of(precision, k, n);
    impl->data = HugePageBuffer(impl->layout.totalBytes);
    const PrecisionInfo& info = precisionInfo(precision);
    const std::uint64_t rowBytes = packedRowBytes(precision, k);
#pragma omp parallel
    {
        // One row of floats and one reference row per thread: never K×N floats.
        std::vector<float> values(static_cast<std::size_t>(k));
        std::vector<std::uint8_t> reference(rowBytes);
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < n; ++r) {
            RowRandom(seed, r).fillNormal(values.data(), k, kSigma);
            info.quantizeRow(values, reference);
            impl->layout.packRow(reference.data(), r, impl->data.data());
        }
    }
    return PackedMatrix(std::move(impl));
}

void PackedMatrix::multiply(const float* x, std::int64_t m, float* y, int threads) const {
    threads = std::max(1, threads);
    if (m <= 0 || d->layout.n == 0)
        return;
    if (m >= kPrefillMinTokens) {
        try {
            switch (d->layout.precision) {
            case PrecisionId::Fp32:
                d->prefillF32(x, m, y, threads);
                return;
            case PrecisionId::Int8:
            case PrecisionId::W8A8:
                if (cpuFeatures().int8Matmul) {
                    d->prefillInt8(x, m, y, threads);
                    return;
                }
                if (d->layout.precision == PrecisionId::W8A8)
                    break; // the exact int32 definition: the per-token kernels
                d->prefillTiles(x, m, y, threads);
                return;
            default:
                d->prefillTiles(x, m, y, threads);
                return;
            }
        } catch (const std::exception& e) {
            // The per-token kernels compute the same product; only slower.
            qWarning("oneDNN matmul failed (%s); running the GEMV kernels instead", e.what());
        }
    }
    d->decode(x, m, y, threads);
}

void PackedMatrix::Impl::decode(const float* x, std::int64_t m, float* y, int threads) const {
    thread_local ActivationRow activation;
    const KernelSet kernels = bestKernels(layout.precision);
    for (std::int64_t i = 0; i < m; ++i) {
        activation.prepare(layout, x + i * layout.k, kernels);
        runRows(kernels.gemv, activation.task(layout, data.data(), y + i * layout.n), layout.n,
                threads);
    }
}

void PackedMatrix::Impl::prefillF32(const float* x, std::int64_t m, float* y, int threads) const {
    DnnlMatmul::f32(x, m, layout.k, reinterpret_cast<const float*>(data.data()), layout.n, y,
                    layout.n, threads);
}

// Activations quantized per token (w8a8's definition; int8 accepts it for prefill speed), the
// int32 matmul scaled per column by oneDNN, then per row by the token's scale.
void PackedMatrix::Impl::prefillInt8(const float* x, std::int64_t m, float* y, int threads) const {
    thread_local std::vector<std::int8_t> codes;
    thread_local std::vector<float> tokenScales;
    codes.resize(std::size_t(m * layout.k));
    tokenScales.resize(std::size_t(m));
    quantizeActivationRows(x, m, layout.k, codes.data(), tokenScales.data(), threads);
    DnnlMatmul::s8(codes.data(), m, layout.k,
                   reinterpret_cast<const std::int8_t*>(layout.quants(data.data(), 0)), layout.n,
                   reinterpret_cast<const float*>(layout.scales(data.data(), 0)), y, threads);
    const std::int64_t n = layout.n;
    const float* scales = tokenScales.data(); // thread_local: other threads see their own
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j)
            y[i * n + j] *= scales[i];
}

// Tiles of rows dequantized to f32 by our kernels, each multiplied by oneDNN's f32 matmul into
// its slice of columns of y. Only one tile of f32 weights exists at a time.
void PackedMatrix::Impl::prefillTiles(const float* x, std::int64_t m, float* y, int threads) const {
    const DequantizeKernel dequantize = bestKernels(layout.precision).dequantize;
    const std::int64_t k = layout.k, n = layout.n;
    const std::int64_t tileRows = std::clamp<std::int64_t>(
        std::int64_t(kTileBytes / (4 * std::uint64_t(k))) / 16 * 16, 16, 512);
    thread_local std::vector<float> tile;
    tile.resize(std::size_t(std::min(tileRows, n) * k));
    float* f32 = tile.data(); // thread_local: the worker threads must use this thread's tile
    for (std::int64_t n0 = 0; n0 < n; n0 += tileRows) {
        const std::int64_t count = std::min(tileRows, n - n0);
        const std::int64_t chunks = (count + 7) / 8;
#pragma omp parallel for schedule(static) num_threads(threads)
        for (std::int64_t c = 0; c < chunks; ++c) {
            const std::int64_t b = n0 + c * 8, e = std::min(n0 + count, b + 8);
            dequantize(layout, data.data(), b, e, f32 + (b - n0) * k);
        }
        DnnlMatmul::f32(x, m, k, f32, count, y + n0, n, threads);
    }
}

} // namespace cwb::kernels
