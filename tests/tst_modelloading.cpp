// SPDX-License-Identifier: GPL-3.0-or-later
#include "ggufbuilder.h"
#include "testassets.h"

#include "evaluation.h"
#include "precision.h"
#include "textfile.h"

#include "halffloat.h"
#include "model.h"
#include "storedtype.h"

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
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

// stories260K written as a GGUF of the given version, each matrix stored in the precision
// `precisionFor` picks (through the precision table's reference quantizer).
QByteArray ggufOf(const Model& m, std::uint32_t version,
                  PrecisionId (*precisionFor)(const Tensor&)) {
    cwbtest::GgufBuilder b;
    b.version = version;
    const LlamaConfig& c = m.config;
    b.addString("general.architecture", "llama");
    b.addU32("llama.embedding_length", std::uint32_t(c.dim));
    b.addU32("llama.feed_forward_length", std::uint32_t(c.hiddenDim));
    b.addU32("llama.block_count", std::uint32_t(c.layers));
    b.addU32("llama.attention.head_count", std::uint32_t(c.heads));
    b.addU32("llama.attention.head_count_kv", std::uint32_t(c.kvHeads));
    b.addU32("llama.context_length", std::uint32_t(c.contextLength));
    b.addF32("llama.attention.layer_norm_rms_epsilon", c.normEps);
    b.addString("tokenizer.ggml.model", "llama");
    QList<QByteArray> tokens;
    std::vector<float> scores;
    std::vector<std::int32_t> types;
    for (int id = 0; id < m.tokenizer.vocabSize(); ++id) {
        QByteArray piece = QByteArray::fromStdString(m.tokenizer.piece(id));
        piece.replace(' ', "\xe2\x96\x81");
        tokens << piece;
        scores.push_back(m.tokenizer.score(id));
        types.push_back(std::int32_t(m.tokenizer.kind(id)));
    }
    b.addStringArray("tokenizer.ggml.tokens", tokens);
    b.addF32Array("tokenizer.ggml.scores", scores);
    b.addI32Array("tokenizer.ggml.token_type", types);
    for (const Tensor& t : m.tensors) {
        const std::span<const float> values(reinterpret_cast<const float*>(t.data.data()),
                                            std::size_t(t.elements()));
        const PrecisionId id = t.isMatrix() ? precisionFor(t) : PrecisionId::Fp32;
        auto q = quantizeMatrix(id, values, t.rowLength(), t.name);
        std::vector<std::uint64_t> shape(t.shape.begin(), t.shape.end());
        b.addRawTensor(
            t.name.toUtf8(), shape, std::uint32_t(*precisionInfo(id).ggufType),
            QByteArray(reinterpret_cast<const char*>(q->data.data()), qsizetype(q->data.size())));
    }
    return b.bytes();
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

    void ggufFloatAndQ4_1Types() {
        // F16, BF16 and Q4_1 tensors (the latter only where rows are whole blocks), version 2.
        const auto bin = mustLoad(cwbtest::stories260KBin());
        auto mixed = [](const Tensor& t) {
            if (t.name.contains(QLatin1String("ffn_down")))
                return PrecisionId::Bf16; // rows of 172
            if (t.name.contains(QLatin1String("attn")))
                return PrecisionId::Fp16;
            return PrecisionId::Int4G32Asym;
        };
        QTemporaryDir dir;
        QFile f(dir.filePath(QStringLiteral("mixed.gguf")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(ggufOf(*bin, 2, mixed));
        f.close();
        const auto gguf = mustLoad(f.fileName());
        QCOMPARE(gguf->formatName, QStringLiteral("GGUF v2"));
        QCOMPARE(gguf->tensors.size(), bin->tensors.size());
        QSet<StoredType> seen;
        for (const Tensor& t : bin->tensors) {
            const Tensor* g = gguf->find(t.name);
            QVERIFY(g);
            seen.insert(g->type);
            if (!t.isMatrix())
                continue;
            // The loader decodes each type exactly as the precision table's reference does.
            const std::span<const float> values(reinterpret_cast<const float*>(t.data.data()),
                                                std::size_t(t.elements()));
            const auto expected =
                dequantizeMatrix(*quantizeMatrix(mixed(t), values, t.rowLength(), t.name));
            QCOMPARE(dequantized(*g), expected);
        }
        QCOMPARE(seen, (QSet<StoredType>{StoredType::F32, StoredType::F16, StoredType::BF16,
                                         StoredType::Q4_1}));
        // And it runs: the perplexity stays near the f32 model's.
        const QByteArray text = readTextFile(cwbtest::validationText()).value();
        EvalOptions o;
        o.split = SplitMode::Documents;
        o.maxTokens = 3000;
        const double f32 = evaluatePerplexity(*bin, text, o)->ppl;
        const double q = evaluatePerplexity(*gguf, text, o)->ppl;
        qInfo("PPL f32 %.4f, mixed F16/BF16/Q4_1 %.4f", f32, q);
        QVERIFY(std::abs(q / f32 - 1) < 0.1);
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
