// SPDX-License-Identifier: GPL-3.0-or-later
// The precision table's reference quantizers: layouts, round trips on random and adversarial
// data, and byte-for-byte agreement with the Q8_0 and Q4_0 files llama.cpp's tools wrote.
#include "testassets.h"

#include "halffloat.h"
#include "model.h"
#include "precision.h"
#include "weightset.h"

#include <QSet>
#include <QTest>

#include <cmath>
#include <cstring>
#include <random>

using namespace cwb;

namespace {

std::vector<float> randomRows(std::int64_t rows, std::int64_t k, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> v(std::size_t(rows * k));
    for (float& x : v)
        x = normal(rng);
    return v;
}

// The largest error a value may carry in a precision, from the group's own stored scale d:
// half a step for round-to-nearest (a whole step where the symmetric 4-bit grid saturates at +7),
// plus the rounding of d to f16 (up to 2^-11 of d for each of the qmax steps) and of the
// stored minimum m.
double allowedError(PrecisionId id, std::span<const std::uint8_t> row, std::int64_t column,
                    float value) {
    const PrecisionInfo& p = precisionInfo(id);
    auto f16At = [&](std::size_t offset) {
        std::uint16_t h;
        std::memcpy(&h, row.data() + offset, 2);
        return double(std::abs(halfToFloat(h)));
    };
    const double ulp = std::ldexp(1.0, -11);
    const auto group = std::size_t(p.groupSize > 1 ? column / p.groupSize : 0);
    const std::size_t block = group * std::size_t(p.blockBytes);
    switch (id) {
    case PrecisionId::Fp32:
        return 0.0;
    case PrecisionId::Fp16:
        return std::abs(double(value)) * ulp + 6e-8;
    case PrecisionId::Bf16:
        return std::abs(double(value)) * std::ldexp(1.0, -8);
    case PrecisionId::Int8:
    case PrecisionId::W8A8: {
        float d;
        std::memcpy(&d, row.data(), 4);
        return 0.5 * double(d) * (1 + 1e-6);
    }
    case PrecisionId::Int8G32:
        return (0.5 + 127 * ulp) * f16At(block) + 1e-7;
    case PrecisionId::Int4G32:
    case PrecisionId::Int4G128:
        return (1.0 + 8 * ulp) * f16At(block) + 1e-7;
    case PrecisionId::Int4G32Asym:
        return (0.5 + 15 * ulp) * f16At(block) + f16At(block + 2) * ulp + 1e-7;
    case PrecisionId::Int2G16:
        return (0.5 + 3 * ulp) * f16At(block) + f16At(block + 2) * ulp + 1e-7;
    }
    return 0.0;
}

} // namespace

class TestPrecision : public QObject {
    Q_OBJECT

private slots:
    void tableIsConsistent() {
        QSet<QString> names;
        for (const PrecisionInfo& p : precisions()) {
            QVERIFY(!names.contains(QLatin1String(p.name)));
            names.insert(QLatin1String(p.name));
            QCOMPARE(&precisionInfo(p.id), &p);
            QCOMPARE(precisionByName(QLatin1String(p.name)), std::optional(p.id));
            if (p.ggufType) // a GGUF type holds the precision only if the block layouts agree
                QCOMPARE(packedRowBytes(p.id, 64), rowBytes(traitsOf(*p.ggufType), 64));
        }
        QCOMPARE(names.size(), 10);
        QVERIFY(!precisionByName(QStringLiteral("int3")));
    }

    void rowSizes_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<qint64>("k");
        QTest::addColumn<qint64>("bytes");
        QTest::newRow("fp32") << "fp32" << 172ll << 688ll;
        QTest::newRow("fp16") << "fp16" << 172ll << 344ll;
        QTest::newRow("bf16") << "bf16" << 172ll << 344ll;
        QTest::newRow("int8: values and an f32 scale") << "int8" << 172ll << 176ll;
        QTest::newRow("w8a8") << "w8a8" << 64ll << 68ll;
        QTest::newRow("int8_g32: 6 blocks of 34, the last padded") << "int8_g32" << 172ll << 204ll;
        QTest::newRow("int4_g32: 6 blocks of 18") << "int4_g32" << 172ll << 108ll;
        QTest::newRow("int4_g32_asym: 6 blocks of 20") << "int4_g32_asym" << 172ll << 120ll;
        QTest::newRow("int4_g128: 2 blocks of 66") << "int4_g128" << 172ll << 132ll;
        QTest::newRow("int2_g16: 11 blocks of 8") << "int2_g16" << 172ll << 88ll;
        QTest::newRow("int4_g32 at 2048: 64 blocks") << "int4_g32" << 2048ll << 1152ll;
    }
    void rowSizes() {
        QFETCH(QString, name);
        QFETCH(qint64, k);
        QFETCH(qint64, bytes);
        QCOMPARE(qint64(packedRowBytes(*precisionByName(name), k)), bytes);
    }

    void roundTripWithinTheGrid_data() {
        QTest::addColumn<int>("precision");
        QTest::addColumn<qint64>("k");
        for (const PrecisionInfo& p : precisions())
            for (qint64 k : {64ll, 172ll, 256ll})
                QTest::addRow("%s, rows of %lld", p.name, k) << int(p.id) << k;
    }
    void roundTripWithinTheGrid() {
        QFETCH(int, precision);
        QFETCH(qint64, k);
        const auto id = PrecisionId(precision);
        const auto values = randomRows(7, k, 12345u + std::uint32_t(k));
        auto q = quantizeMatrix(id, values, k, QStringLiteral("w"));
        QVERIFY(q);
        QCOMPARE(q->data.size(), std::size_t(7 * packedRowBytes(id, k)));
        const auto back = dequantizeMatrix(*q);
        QCOMPARE(back.size(), values.size());
        double worst = 0;
        for (std::int64_t r = 0; r < 7; ++r)
            for (std::int64_t c = 0; c < k; ++c) {
                const auto i = std::size_t(r * k + c);
                const double err = std::abs(double(back[i]) - double(values[i]));
                const double allowed = allowedError(id, q->row(r), c, values[i]);
                if (err > allowed)
                    QFAIL(qPrintable(
                        QStringLiteral("row %1 col %2: %3 came back as %4 (allowed error %5)")
                            .arg(r)
                            .arg(c)
                            .arg(values[i])
                            .arg(back[i])
                            .arg(allowed)));
                worst = std::max(worst, err);
            }
        if (id != PrecisionId::Fp32)
            QVERIFY(worst > 0); // it did quantize
    }

    void zerosStayZero() {
        const std::vector<float> zeros(3 * 172, 0.0f);
        for (const PrecisionInfo& p : precisions()) {
            auto q = quantizeMatrix(p.id, zeros, 172, QStringLiteral("zeros"));
            QVERIFY(q);
            for (float v : dequantizeMatrix(*q))
                QCOMPARE(v, 0.0f);
        }
    }

    void oneHugeOutlier() {
        // A single outlier takes the whole group's range: it survives, its neighbours collapse.
        auto values = randomRows(1, 64, 7);
        values[5] = 1000.0f;
        for (const PrecisionInfo& p : precisions()) {
            auto q = quantizeMatrix(p.id, values, 64, QStringLiteral("outlier"));
            QVERIFY2(q, p.name);
            const auto back = dequantizeMatrix(*q);
            QVERIFY2(std::abs(back[5] - 1000.0f) <= 1000.0f / 127.0f, p.name);
            for (float v : back)
                QVERIFY(std::isfinite(v));
        }
    }

    void nanAndInfAreReportedNotPacked() {
        for (float bad : {NAN, INFINITY, -INFINITY}) {
            auto values = randomRows(4, 64, 3);
            values[2 * 64 + 9] = bad;
            for (const PrecisionInfo& p : precisions()) {
                auto q = quantizeMatrix(p.id, values, 64, QStringLiteral("blk.0.attn_q.weight"));
                QVERIFY(!q);
                QVERIFY2(q.error().message.contains(QLatin1String("blk.0.attn_q.weight")) &&
                             q.error().message.contains(QLatin1String("row 2, column 9")),
                         qPrintable(q.error().message));
            }
        }
    }

    void valuesBeyondTheScaleRange() {
        auto values = randomRows(1, 64, 5);
        values[0] = 1.0e6f; // beyond fp16, within int8_g32's f16 scale × 127
        QVERIFY(!quantizeMatrix(PrecisionId::Fp16, values, 64, QStringLiteral("w")));
        QVERIFY(quantizeMatrix(PrecisionId::Int8G32, values, 64, QStringLiteral("w")));
        values[0] = 1.0e8f;
        auto q = quantizeMatrix(PrecisionId::Int8G32, values, 64, QStringLiteral("w"));
        QVERIFY(!q);
        QVERIFY(q.error().message.contains(QLatin1String("int8_g32")));
        QVERIFY(quantizeMatrix(PrecisionId::Int8, values, 64, QStringLiteral("w")));
    }

    void partialLastGroupQuantizesItsOwnValues() {
        // The last 12 values of a row of 172 form their own group: quantizing them alone (as a
        // row of 12) gives the same block.
        const auto values = randomRows(1, 172, 11);
        for (PrecisionId id : {PrecisionId::Int8G32, PrecisionId::Int4G32, PrecisionId::Int4G32Asym,
                               PrecisionId::Int2G16, PrecisionId::Int4G128}) {
            const PrecisionInfo& p = precisionInfo(id);
            const std::int64_t tail = 172 % p.groupSize;
            auto whole = quantizeMatrix(id, values, 172, QStringLiteral("w"));
            auto alone = quantizeMatrix(id, std::span(values).last(std::size_t(tail)), tail,
                                        QStringLiteral("w"));
            QVERIFY(whole && alone);
            QVERIFY2(std::equal(alone->data.begin(), alone->data.end(),
                                whole->data.end() - p.blockBytes),
                     p.name);
        }
    }

    void sameBytesAsLlamaCpp_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("precision");
        QTest::newRow("Q8_0") << QStringLiteral("stories260K.Q8_0.gguf")
                              << QStringLiteral("int8_g32");
        QTest::newRow("Q4_0") << QStringLiteral("stories260K.Q4_0.gguf")
                              << QStringLiteral("int4_g32");
    }
    void sameBytesAsLlamaCpp() {
        QFETCH(QString, file);
        QFETCH(QString, precision);
        auto f32 =
            loadModel(cwbtest::asset(QStringLiteral("stories260K-llamacpp/stories260K.f32.gguf")));
        auto quantized = loadModel(cwbtest::asset(QStringLiteral("stories260K-llamacpp/") + file));
        QVERIFY(f32 && quantized);
        int compared = 0;
        for (const Tensor& t : (*quantized)->tensors) {
            if (t.type == StoredType::F32)
                continue;
            const Tensor* source = (*f32)->find(t.name);
            const std::span<const float> values(reinterpret_cast<const float*>(source->data.data()),
                                                std::size_t(source->elements()));
            auto q =
                quantizeMatrix(*precisionByName(precision), values, source->rowLength(), t.name);
            QVERIFY(q);
            QCOMPARE(q->data.size(), t.data.size());
            std::size_t differing = 0;
            for (std::size_t i = 0; i < t.data.size(); ++i)
                differing += q->data[i] != t.data[i];
            QVERIFY2(differing == 0,
                     qPrintable(QStringLiteral("%1: %2 bytes differ").arg(t.name).arg(differing)));
            ++compared;
        }
        QCOMPARE(compared, 32);
    }
};

QTEST_GUILESS_MAIN(TestPrecision)
#include "tst_precision.moc"
