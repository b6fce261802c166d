// SPDX-License-Identifier: GPL-3.0-or-later
#include "testassets.h"

#include "halffloat.h"
#include "model.h"
#include "storedtype.h"

#include <QCryptographicHash>
#include <QFile>
#include <QTest>

#include <cmath>
#include <cstring>

using namespace cwb;

namespace {

std::shared_ptr<const Model> mustLoad(const QString& path) {
    auto m = loadModel(path);
    if (!m)
        qFatal("%s", qPrintable(m.error().message));
    return m.value();
}

std::vector<float> dequantized(const Tensor& t) {
    std::vector<float> out(std::size_t(t.elements()));
    const auto& traits = traitsOf(t.type);
    const auto rowLen = std::size_t(t.rowLength());
    for (std::size_t r = 0; r < out.size() / rowLen; ++r)
        traits.dequantize(t.data.data() + r * rowBytes(traits, rowLen),
                          std::span(out).subspan(r * rowLen, rowLen));
    return out;
}

} // namespace

class TestModelLoading : public QObject {
    Q_OBJECT

private slots:
    void llama2cCheckpoint() {
        const auto m = mustLoad(cwbtest::stories260KBin());
        const LlamaConfig& c = m->config;
        QCOMPARE(c.dim, 64);
        QCOMPARE(c.hiddenDim, 172);
        QCOMPARE(c.layers, 5);
        QCOMPARE(c.heads, 8);
        QCOMPARE(c.kvHeads, 4);
        QCOMPARE(c.vocabSize, 512);
        QCOMPARE(c.contextLength, 512);
        QVERIFY(c.tiedOutput);
        QCOMPARE(m->tensors.size(), std::size_t(2 + 5 * 9));
        // ASSETS.md: 264,128 floats in the file, of which 4,096 are the unused RoPE tables.
        QCOMPARE(m->parameterCount(), std::int64_t(264128 - 4096));
        QVERIFY(m->tokenizerPath.endsWith(QLatin1String("tok512.bin")));
        const Tensor* down = m->find(QStringLiteral("blk.4.ffn_down.weight"));
        QVERIFY(down);
        QCOMPARE(down->shape, (std::vector<std::int64_t>{172, 64}));
        QCOMPARE(down->shapeText(), QStringLiteral("64 × 172"));
        // Weights are used in place from the memory map, not copied.
        const auto file = m->files.front()->bytes();
        QVERIFY(down->data.data() >= file.data() && down->data.data() < file.data() + file.size());
    }

    void separateClassifierCheckpoint() {
        // The same weights with a negative vocab_size and output.weight appended: llama2.c's
        // layout for a model with its own classifier.
        QFile in(cwbtest::stories260KBin());
        QVERIFY(in.open(QIODevice::ReadOnly));
        QByteArray bytes = in.readAll();
        const QByteArray embedding = bytes.mid(28, 512 * 64 * 4);
        std::int32_t vocab = -512;
        std::memcpy(bytes.data() + 20, &vocab, 4);
        QByteArray output = embedding;
        reinterpret_cast<float*>(output.data())[0] = 42.0f;
        bytes += output;
        QTemporaryDir dir;
        QFile out(dir.filePath(QStringLiteral("separate.bin")));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(bytes);
        out.close();
        QFile::copy(cwbtest::asset(QStringLiteral("stories260K/tok512.bin")),
                    dir.filePath(QStringLiteral("tokenizer.bin")));
        const auto m = mustLoad(out.fileName());
        QVERIFY(!m->config.tiedOutput);
        const Tensor* o = m->find(QStringLiteral("output.weight"));
        QVERIFY(o);
        QCOMPARE(reinterpret_cast<const float*>(o->data.data())[0], 42.0f);
        QVERIFY(m->tokenizerPath.endsWith(QLatin1String("tokenizer.bin")));
    }

    void ggufHoldsTheSameWeightsAsTheCheckpoint() {
        const auto bin = mustLoad(cwbtest::stories260KBin());
        const auto gguf = mustLoad(cwbtest::stories260KGguf());
        QCOMPARE(gguf->formatName, QStringLiteral("GGUF v3"));
        QCOMPARE(gguf->tensors.size(), std::size_t(48));
        QCOMPARE(gguf->config.contextLength, 2048); // as the converter wrote it
        QCOMPARE(gguf->config.ropeDim, 8);
        QVERIFY(!gguf->config.tiedOutput);
        for (const Tensor& t : bin->tensors) {
            const Tensor* g = gguf->find(t.name);
            QVERIFY2(g, qPrintable(t.name));
            QCOMPARE(g->shape, t.shape);
            QCOMPARE(g->type, StoredType::F32);
            QVERIFY2(std::memcmp(g->data.data(), t.data.data(), t.data.size()) == 0,
                     qPrintable(t.name));
        }
        const Tensor* out = gguf->find(QStringLiteral("output.weight"));
        QVERIFY(std::memcmp(out->data.data(),
                            bin->find(QStringLiteral("token_embd.weight"))->data.data(),
                            out->data.size()) == 0);
    }

    void llamaCppQuantizedFiles_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("type");
        QTest::addColumn<qint64>("bytes");
        QTest::newRow("Q8_0") << QStringLiteral("stories260K.Q8_0.gguf") << int(StoredType::Q8_0)
                              << qint64(489184);
        QTest::newRow("Q4_0") << QStringLiteral("stories260K.Q4_0.gguf") << int(StoredType::Q4_0)
                              << qint64(370656);
    }
    void llamaCppQuantizedFiles() {
        QFETCH(QString, file);
        QFETCH(int, type);
        QFETCH(qint64, bytes);
        const auto f32 =
            mustLoad(cwbtest::asset(QStringLiteral("stories260K-llamacpp/stories260K.f32.gguf")));
        const auto q = mustLoad(cwbtest::asset(QStringLiteral("stories260K-llamacpp/") + file));
        QCOMPARE(qint64(q->fileBytes()), bytes);
        QCOMPARE(f32->config.contextLength, 128);
        int quantized = 0;
        for (const Tensor& t : q->tensors) {
            const Tensor* ref = f32->find(t.name);
            QVERIFY(ref);
            if (t.name.contains(QLatin1String("ffn_down")) || t.shape.size() == 1) {
                QCOMPARE(t.type, StoredType::F32); // rows of 172 cannot be blocked by 32
                continue;
            }
            QCOMPARE(int(t.type), type);
            ++quantized;
            // Each value lies within half a quantization step of the f32 original (the step is
            // the block's f16 scale, read from the block itself). Q4_0 spans [-8, 7] steps, so
            // the largest value of the sign opposite to the block's extreme saturates at 7 and
            // may be off by a whole step.
            const auto values = dequantized(t);
            const auto reference = dequantized(*ref);
            const auto& traits = traitsOf(t.type);
            const float allowedSteps = t.type == StoredType::Q4_0 ? 1.0f : 0.5f;
            for (std::size_t b = 0; b < values.size() / 32; ++b) {
                std::uint16_t d;
                std::memcpy(&d, t.data.data() + b * std::size_t(traits.blockBytes), 2);
                const float step = std::abs(halfToFloat(d));
                for (std::size_t j = b * 32; j < b * 32 + 32; ++j)
                    QVERIFY2(std::abs(values[j] - reference[j]) <=
                                 allowedSteps * step + 1e-3f * std::abs(reference[j]) + 1e-6f,
                             qPrintable(QStringLiteral("%1[%2]: %3 vs %4")
                                            .arg(t.name)
                                            .arg(j)
                                            .arg(values[j])
                                            .arg(reference[j])));
            }
        }
        QCOMPARE(quantized, 1 + 5 * 6 + 1); // token_embd, six matrices per block, output
    }

    void characterLevelModel() {
        const auto m = mustLoad(cwbtest::asset(QStringLiteral("babyllama-tok105/model5000.bin")));
        QCOMPARE(m->config.dim, 128);
        QCOMPARE(m->config.hiddenDim, 352);
        QCOMPARE(m->config.vocabSize, 105);
        QCOMPARE(m->config.contextLength, 256);
        QCOMPARE(m->parameterCount() + 256 * 8 * 2,
                 std::int64_t(940544)); // SOURCE.md's float count
        QVERIFY(!m->tokenizer.hasByteFallback());
    }

    void halfFloatConversionsRoundTrip() {
        for (std::uint32_t h = 0; h < 0x10000; ++h) {
            const float f = halfToFloat(std::uint16_t(h));
            if (std::isnan(f))
                QVERIFY(std::isnan(halfToFloat(floatToHalf(f))));
            else
                QCOMPARE(floatToHalf(f), std::uint16_t(h));
        }
        QCOMPARE(floatToHalf(65520.0f), std::uint16_t(0x7c00)); // ties to even: overflows
        QCOMPARE(floatToHalf(1.0f + 1.0f / 2048.0f), std::uint16_t(0x3c00)); // tie to even
        QCOMPARE(bf16ToFloat(floatToBf16(1.00390625f)), 1.0f);               // tie to even
    }
};

QTEST_GUILESS_MAIN(TestModelLoading)
#include "tst_modelloading.moc"
