// SPDX-License-Identifier: GPL-3.0-or-later
// The packed matrix kernels against the scalar reference (referenceMultiply), with a tolerance
// named for each precision; packing, random weights and adversarial inputs.
#include "kernels/cpufeatures.h"
#include "kernels/membandwidth.h"
#include "kernels/packedmatrix.h"
#include "precision.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace cwb;
using namespace cwb::kernels;

namespace {

// --- tolerances ----------------------------------------------------------------------------------
// Each is a bound on |kernel − reference| for one output, as a multiple of a magnitude the test
// computes from the same inputs (see allowedError).

// Float kernels add K products in f32, in vector lanes and in another order than the double
// reference; with K ≤ 256 the rounding stays below a few 1e-7 of Σ|w·x|. 1e-5 leaves room for the
// f16 scales and oneDNN's blocking without hiding a wrong element (one wrong code is ≥ 1e-3).
constexpr double kFloatSum = 1e-5;
// The asymmetric formats compute Σ(q·d + m)·x as d·Σq·x + m·Σx: same value, but the two sums can
// cancel, so the rounding scales with Σ(|w| + 2|m|)·|x| rather than Σ|w·x|.
constexpr double kAsymmetricSum = 1e-5;
// w8a8 is exact int32 arithmetic on the same codes as the reference; only the two scale multiplies
// round.
constexpr double kW8A8Scaling = 1e-6;
// int8 prefill quantizes activations per token (scale = absmax(x)/127), the price of running
// oneDNN's int8 matmul: each product may move by half an activation step times |w|, so the bound
// is 0.5 · absmax(x)/127 · Σ|w|. Decode (m < 4) keeps float activations and kFloatSum.
constexpr double kInt8PrefillActivationStep = 0.5;

// The 4-bit decode kernels on VNNI read x in block floating point: per weight group a 24-bit
// integer mantissa per value under one f32 scale (kerneltable.h, BlockActivations). Each value
// then carries an error of at most 2.1·2^-24 of its group's largest |x|, f32's own rounding at
// that value; a product's error is that times |w| (|q·d| ≤ |w| + |m| for the asymmetric format).
constexpr double kBlockFloatStep = 2.1 / 16777216.0;

// Tokens from which multiply() takes the prefill (matmul) path.
constexpr std::int64_t kPrefillTokens = 4;

std::vector<float> normalValues(std::size_t count, float sigma, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, sigma);
    std::vector<float> v(count);
    for (float& x : v)
        x = normal(rng);
    return v;
}

QuantizedMatrix quantized(PrecisionId id, std::int64_t k, std::int64_t n, std::uint32_t seed) {
    auto q =
        quantizeMatrix(id, normalValues(std::size_t(k * n), 0.05f, seed), k, QStringLiteral("w"));
    Q_ASSERT(q);
    return std::move(q.value());
}

bool isAsymmetric(PrecisionId id) {
    return id == PrecisionId::Int4G32Asym || id == PrecisionId::Int2G16;
}

bool readsBlockFloat(PrecisionId id, bool prefill) {
    return !prefill && cpuFeatures().avx512Vnni &&
           (id == PrecisionId::Int4G32 || id == PrecisionId::Int4G32Asym ||
            id == PrecisionId::Int4G128);
}

// The largest |kernel − reference| allowed for output (i, r).
double allowedError(const QuantizedMatrix& w, const std::vector<float>& weights, const float* x,
                    std::int64_t i, std::int64_t r, bool prefill) {
    const PrecisionInfo& info = precisionInfo(w.precision);
    const std::int64_t k = w.rowLength;
    const float* xi = x + i * k;
    const float* wr = weights.data() + r * k;
    const auto absLess = [](float a, float b) { return std::abs(a) < std::abs(b); };
    double magnitude = 0.0, weightSum = 0.0, amax = 0.0, blockError = 0.0;
    for (std::int64_t j = 0; j < k; ++j) {
        const std::int64_t g0 = info.groupSize > 1 ? j / info.groupSize * info.groupSize : 0;
        const std::int64_t end = info.groupSize > 1 ? std::min(g0 + info.groupSize, k) : k;
        double term = std::abs(double(wr[j]));
        if (isAsymmetric(w.precision)) // the group minimum is its smallest dequantized value
            term += 2.0 * std::abs(double(*std::min_element(wr + g0, wr + end)));
        magnitude += term * std::abs(double(xi[j]));
        weightSum += std::abs(double(wr[j]));
        amax = std::max(amax, std::abs(double(xi[j])));
        blockError += term * std::abs(double(*std::max_element(xi + g0, xi + end, absLess)));
    }
    if (readsBlockFloat(w.precision, prefill))
        return kFloatSum * magnitude + kBlockFloatStep * blockError;
    const double step = amax / 127.0;
    switch (w.precision) {
    case PrecisionId::W8A8:
        return kW8A8Scaling * (magnitude + step * weightSum);
    case PrecisionId::Int8:
        if (prefill && cpuFeatures().int8Matmul)
            return kFloatSum * magnitude + kInt8PrefillActivationStep * step * weightSum;
        return kFloatSum * magnitude;
    case PrecisionId::Int4G32Asym:
    case PrecisionId::Int2G16:
        return kAsymmetricSum * magnitude;
    default:
        return kFloatSum * magnitude;
    }
}

// multiply() against referenceMultiply() on `x`; fails with the worst element.
void compareWithReference(const QuantizedMatrix& w, const std::vector<float>& x, std::int64_t m,
                          int threads) {
    auto packed = PackedMatrix::pack(w);
    QVERIFY(packed);
    std::vector<float> y(std::size_t(m * w.rows), NAN), expected(y.size());
    packed->multiply(x.data(), m, y.data(), threads);
    referenceMultiply(w, x.data(), m, expected.data());
    const std::vector<float> weights = dequantizeMatrix(w);
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t r = 0; r < w.rows; ++r) {
            const auto at = std::size_t(i * w.rows + r);
            const double error = std::abs(double(y[at]) - double(expected[at]));
            const double allowed = allowedError(w, weights, x.data(), i, r, m >= kPrefillTokens);
            if (!(error <= allowed))
                QFAIL(qPrintable(QStringLiteral("y[%1][%2] = %3, reference %4: error %5 > %6")
                                     .arg(i)
                                     .arg(r)
                                     .arg(double(y[at]), 0, 'g', 9)
                                     .arg(double(expected[at]), 0, 'g', 9)
                                     .arg(error)
                                     .arg(allowed)));
        }
}

// Which kernels a test row runs: those this CPU picks, or those of a lesser CPU, forced here.
enum class Kernels { Best, Avx512WithoutVnni, Portable };

// Forces a lesser CPU's kernels for one test; restores the detected features when it ends.
class ForcedKernels {
public:
    explicit ForcedKernels(Kernels kernels) {
        CpuFeatures features = detectedCpuFeatures();
        if (kernels == Kernels::Portable)
            features = CpuFeatures{};
        if (kernels == Kernels::Avx512WithoutVnni)
            features.avx512Vnni = features.int8Matmul = false;
        overrideCpuFeatures(features);
    }
    ~ForcedKernels() { overrideCpuFeatures(detectedCpuFeatures()); }
    ForcedKernels(const ForcedKernels&) = delete;
    ForcedKernels& operator=(const ForcedKernels&) = delete;
};

} // namespace

class TestKernels : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        const CpuFeatures& cpu = cpuFeatures();
        qInfo("AVX-512: %s, VNNI: %s", cpu.avx512 ? "yes" : "no", cpu.avx512Vnni ? "yes" : "no");
    }

    void multiplyMatchesReference_data() {
        QTest::addColumn<int>("precision");
        QTest::addColumn<qint64>("m");
        QTest::addColumn<qint64>("k");
        QTest::addColumn<qint64>("n");
        QTest::addColumn<int>("threads");
        QTest::addColumn<int>("kernels");
        for (const PrecisionInfo& p : precisions())
            for (qint64 m : {1ll, 3ll, 64ll})
                for (qint64 k : {64ll, 172ll, 256ll})
                    for (qint64 n : {64ll, 172ll})
                        for (int threads : {1, 2})
                            QTest::addRow("%s m=%lld k=%lld n=%lld threads=%d", p.name, m, k, n,
                                          threads)
                                << int(p.id) << m << k << n << threads << int(Kernels::Best);
        // What CPUs without VNNI, or without AVX-512, run: forced on this machine.
        for (const PrecisionInfo& p : precisions())
            for (qint64 m : {1ll, 64ll})
                for (qint64 k : {172ll, 256ll}) {
                    QTest::addRow("avx512 without vnni: %s m=%lld k=%lld n=64", p.name, m, k)
                        << int(p.id) << m << k << 64ll << 2 << int(Kernels::Avx512WithoutVnni);
                    QTest::addRow("portable: %s m=%lld k=%lld n=64", p.name, m, k)
                        << int(p.id) << m << k << 64ll << 2 << int(Kernels::Portable);
                }
    }
    void multiplyMatchesReference() {
        QFETCH(int, precision);
        QFETCH(qint64, m);
        QFETCH(qint64, k);
        QFETCH(qint64, n);
        QFETCH(int, threads);
        QFETCH(int, kernels);
        const ForcedKernels scope{Kernels(kernels)};
        const auto w = quantized(PrecisionId(precision), k, n, std::uint32_t(k * 1000 + n));
        const auto x = normalValues(std::size_t(m * k), 1.0f, std::uint32_t(m + k));
        compareWithReference(w, x, m, threads);
    }

    void packKeepsTheReferenceSize_data() {
        QTest::addColumn<int>("precision");
        for (const PrecisionInfo& p : precisions())
            QTest::addRow("%s", p.name) << int(p.id);
    }
    void packKeepsTheReferenceSize() {
        QFETCH(int, precision);
        const auto id = PrecisionId(precision);
        for (std::int64_t k : {64, 172, 256}) {
            const auto w = quantized(id, k, 37, 11);
            auto packed = PackedMatrix::pack(w);
            QVERIFY(packed);
            QCOMPARE(packed->bytes(), std::uint64_t(w.data.size()));
            QCOMPARE(packed->precision(), id);
            QCOMPARE(packed->rowLength(), k);
            QCOMPARE(packed->rows(), 37);
            // Nothing is lost in the regrouping: every row comes back byte for byte.
            std::vector<std::uint8_t> row(w.rowBytes());
            for (std::int64_t r = 0; r < w.rows; ++r) {
                packed->unpackRow(r, row.data());
                QVERIFY(std::equal(row.begin(), row.end(), w.row(r).begin()));
            }
        }
    }

    void packRejectsInconsistentData() {
        auto w = quantized(PrecisionId::Int4G32, 64, 4, 1);
        w.data.pop_back();
        QVERIFY(!PackedMatrix::pack(w));
        w = quantized(PrecisionId::Int4G32, 64, 4, 1);
        w.rowLength = 0;
        QVERIFY(!PackedMatrix::pack(w));
    }

    void randomIsDeterministicAndFinite_data() { packKeepsTheReferenceSize_data(); }
    void randomIsDeterministicAndFinite() {
        QFETCH(int, precision);
        const auto id = PrecisionId(precision);
        const std::int64_t k = 172, n = 70;
        const auto a = PackedMatrix::random(id, k, n, 42);
        const auto b = PackedMatrix::random(id, k, n, 42);
        const auto c = PackedMatrix::random(id, k, n, 43);
        QCOMPARE(a.bytes(), std::uint64_t(n) * packedRowBytes(id, k));
        // Back to the reference layout: same seed, same bytes; another seed, other bytes.
        QuantizedMatrix ra{id, k, n, std::vector<std::uint8_t>(a.bytes())}, rb = ra, rc = ra;
        const std::uint64_t rowBytes = packedRowBytes(id, k);
        for (std::int64_t r = 0; r < n; ++r) {
            a.unpackRow(r, ra.data.data() + r * rowBytes);
            b.unpackRow(r, rb.data.data() + r * rowBytes);
            c.unpackRow(r, rc.data.data() + r * rowBytes);
        }
        QVERIFY(ra.data == rb.data);
        QVERIFY(ra.data != rc.data);
        // The weights look like N(0, 0.02) after quantization.
        const auto weights = dequantizeMatrix(ra);
        double sumSquares = 0.0;
        for (float v : weights)
            sumSquares += double(v) * double(v);
        const double sigma = std::sqrt(sumSquares / double(weights.size()));
        QVERIFY2(sigma > 0.015 && sigma < 0.025, qPrintable(QString::number(sigma)));
        // Finite, deterministic outputs that match the reference.
        const auto x = normalValues(std::size_t(3 * k), 1.0f, 5);
        std::vector<float> y1(std::size_t(3 * n)), y2(y1.size());
        a.multiply(x.data(), 3, y1.data(), 2);
        b.multiply(x.data(), 3, y2.data(), 2);
        for (float v : y1)
            QVERIFY(std::isfinite(v));
        QVERIFY(y1 == y2);
        compareWithReference(ra, x, 3, 2);
    }

    void zeroWeightsGiveZero_data() { packKeepsTheReferenceSize_data(); }
    void zeroWeightsGiveZero() {
        QFETCH(int, precision);
        const std::int64_t k = 172, n = 20;
        auto w =
            quantizeMatrix(PrecisionId(precision), std::vector<float>(std::size_t(k * n), 0.0f), k,
                           QStringLiteral("zeros"));
        QVERIFY(w);
        auto packed = PackedMatrix::pack(*w);
        QVERIFY(packed);
        for (std::int64_t m : {1, 64}) {
            const auto x = normalValues(std::size_t(m * k), 1.0f, 9);
            std::vector<float> y(std::size_t(m * n), NAN);
            packed->multiply(x.data(), m, y.data(), 2);
            for (float v : y)
                QCOMPARE(v, 0.0f);
        }
    }

    void activationOutlier_data() {
        QTest::addColumn<int>("precision");
        QTest::addColumn<qint64>("m");
        QTest::addColumn<int>("kernels");
        for (const PrecisionInfo& p : precisions())
            for (qint64 m : {1ll, 64ll}) {
                QTest::addRow("%s m=%lld", p.name, m) << int(p.id) << m << int(Kernels::Best);
                QTest::addRow("avx512 without vnni: %s m=%lld", p.name, m)
                    << int(p.id) << m << int(Kernels::Avx512WithoutVnni);
            }
    }
    void activationOutlier() {
        // One activation 10^4 times the others (an LLM outlier channel): in float it must not
        // swamp the rest, and w8a8 must still agree exactly with its own definition.
        QFETCH(int, precision);
        QFETCH(qint64, m);
        QFETCH(int, kernels);
        const ForcedKernels scope{Kernels(kernels)};
        const std::int64_t k = 256, n = 64;
        const auto w = quantized(PrecisionId(precision), k, n, 77);
        auto x = normalValues(std::size_t(m * k), 1.0f, 78);
        for (std::int64_t i = 0; i < m; ++i)
            x[std::size_t(i * k + 100)] = 1.0e4f;
        compareWithReference(w, x, m, 2);
    }

    void resultsAreDeterministic_data() {
        QTest::addColumn<int>("precision");
        QTest::addColumn<qint64>("m");
        for (const PrecisionInfo& p : precisions())
            for (qint64 m : {1ll, 64ll})
                QTest::addRow("%s m=%lld", p.name, m) << int(p.id) << m;
    }
    void resultsAreDeterministic() {
        QFETCH(int, precision);
        QFETCH(qint64, m);
        const std::int64_t k = 256, n = 172;
        auto packed = PackedMatrix::pack(quantized(PrecisionId(precision), k, n, 3));
        QVERIFY(packed);
        const auto x = normalValues(std::size_t(m * k), 1.0f, 4);
        for (int threads : {1, 2}) {
            std::vector<float> first(std::size_t(m * n)), again(first.size());
            packed->multiply(x.data(), m, first.data(), threads);
            for (int run = 0; run < 3; ++run) {
                packed->multiply(x.data(), m, again.data(), threads);
                QVERIFY(std::memcmp(first.data(), again.data(), first.size() * sizeof(float)) == 0);
            }
        }
    }

    void movedMatrixKeepsWorking() {
        const auto w = quantized(PrecisionId::Int4G32, 64, 8, 5);
        auto packed = PackedMatrix::pack(w);
        QVERIFY(packed);
        PackedMatrix moved = std::move(packed.value());
        PackedMatrix other = PackedMatrix::random(PrecisionId::Fp32, 8, 8, 1);
        other = std::move(moved);
        QCOMPARE(other.precision(), PrecisionId::Int4G32);
        const auto x = normalValues(64, 1.0f, 6);
        std::vector<float> y(8), expected(8);
        other.multiply(x.data(), 1, y.data(), 1);
        referenceMultiply(w, x.data(), 1, expected.data());
        for (int r = 0; r < 8; ++r)
            QVERIFY(std::abs(y[std::size_t(r)] - expected[std::size_t(r)]) < 1e-4f);
    }

    void bandwidthIsMeasured() {
        const double gbs = measureReadBandwidth(2, 64ull << 20);
        qInfo("read bandwidth with 2 threads over 64 MiB: %.1f GB/s", gbs);
        QVERIFY(gbs > 0.1);
    }
};

QTEST_GUILESS_MAIN(TestKernels)
#include "tst_kernels.moc"
