// SPDX-License-Identifier: GPL-3.0-or-later
// GGUF export: the writer's bytes against the specification, the export read back by our own
// reader, the round trip (the exported file evaluates bit for bit as the plan did), failures that
// leave no file behind, and precisions GGUF cannot hold refused with --fallback stop.
#include "ggufbuilder.h"
#include "testassets.h"

#include "calibration.h"
#include "comparison.h"
#include "engine.h"
#include "evaluation.h"
#include "ggufexport.h"
#include "ggufreader.h"
#include "ggufwriter.h"
#include "halffloat.h"
#include "model.h"
#include "planevaluation.h"
#include "textfile.h"
#include "version.h"
#include "weightset.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstring>
#include <set>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using cwbtest::GgufBuilder;

namespace {

QByteArray hex(const char* text) {
    return QByteArray::fromHex(QByteArray(text).replace(' ', ""));
}

// Fails with the first differing offset, which says far more than two long byte arrays.
bool sameBytes(const QByteArray& actual, const QByteArray& expected) {
    const qsizetype n = std::min(actual.size(), expected.size());
    for (qsizetype i = 0; i < n; ++i)
        if (actual[i] != expected[i]) {
            qWarning("bytes differ at offset %lld: %02x, expected %02x", qint64(i),
                     unsigned(std::uint8_t(actual[i])), unsigned(std::uint8_t(expected[i])));
            return false;
        }
    if (actual.size() != expected.size()) {
        qWarning("sizes differ: %lld, expected %lld", qint64(actual.size()),
                 qint64(expected.size()));
        return false;
    }
    return true;
}

QByteArray floats(const std::vector<float>& v) {
    return QByteArray(reinterpret_cast<const char*>(v.data()), qsizetype(v.size() * 4));
}
QByteArray repeat(const QByteArray& block, int times) {
    QByteArray out;
    for (int i = 0; i < times; ++i)
        out += block;
    return out;
}

// 16 bytes of packed nibbles where byte j holds j in both halves: 00 11 22 … ff.
QByteArray nibbleRamp() {
    QByteArray out;
    for (int j = 0; j < 16; ++j)
        out.append(char(j | (j << 4)));
    return out;
}

// The tiny model's matrices: 32 × 32 unless noted, each row the same simple pattern, so that
// every quantized block below is known by hand.
std::vector<float> rows(int count, const std::function<float(int row, int j)>& f) {
    std::vector<float> v;
    for (int r = 0; r < count; ++r)
        for (int j = 0; j < 32; ++j)
            v.push_back(f(r, j));
    return v;
}
std::vector<float> qPattern() { // Q4_0: the -8 first gives d = -8 / -8 = 1, nibble = x + 8
    return rows(32, [](int, int j) { return float(j % 16 - 8); });
}
std::vector<float> kPattern() { // Q8_0: absmax 127 gives d = 1, q = x
    return rows(32, [](int, int j) { return j == 0 ? 127.0f : float(j - 16); });
}
std::vector<float> vPattern() { // Q4_1: min 0, max 15 give d = 1, m = 0, nibble = x
    return rows(32, [](int, int j) { return float(j % 16); });
}
std::vector<float> oPattern() { // bf16: 1 and -2 are exact
    return rows(32, [](int r, int) { return r % 2 ? -2.0f : 1.0f; });
}
std::vector<float> embdPattern() { // f16, 4 tokens: row r holds r + 1
    return rows(4, [](int r, int) { return float(r + 1); });
}

void addTinyMetadata(GgufBuilder& b) {
    b.addString("general.architecture", "llama");
    b.addU32("llama.embedding_length", 32);
    b.addU32("llama.feed_forward_length", 32);
    b.addU32("llama.block_count", 1);
    b.addU32("llama.attention.head_count", 2);
    b.addU32("llama.context_length", 64);
    b.addF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    b.addString("tokenizer.ggml.model", "llama");
    b.addStringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>",
                                               "\xe2\x96\x81"
                                               "a"});
    b.addF32Array("tokenizer.ggml.scores", {0, 0, 0, -1});
}

const std::vector<float> kOnes(32, 1.0f);

// dim 32, one block, two heads, vocabulary 4; every tensor f32.
QByteArray tinySource() {
    GgufBuilder b;
    addTinyMetadata(b);
    auto matrix = [&](const char* name, const std::vector<float>& v, std::uint64_t n = 32) {
        b.addRawTensor(name, {32, n}, 0, floats(v));
    };
    matrix("token_embd.weight", embdPattern(), 4);
    b.addRawTensor("output_norm.weight", {32}, 0, floats(kOnes));
    b.addRawTensor("blk.0.attn_norm.weight", {32}, 0, floats(kOnes));
    matrix("blk.0.attn_q.weight", qPattern());
    matrix("blk.0.attn_k.weight", kPattern());
    matrix("blk.0.attn_v.weight", vPattern());
    matrix("blk.0.attn_output.weight", oPattern());
    b.addRawTensor("blk.0.ffn_norm.weight", {32}, 0, floats(kOnes));
    matrix("blk.0.ffn_gate.weight", vPattern());
    matrix("blk.0.ffn_up.weight", qPattern());
    matrix("blk.0.ffn_down.weight", oPattern());
    return b.bytes();
}

const char* kTinyPlan = R"({"name": "tiny", "default": "fp32", "rules": [
    {"match": "token_embd\\.weight", "precision": "fp16"},
    {"match": "blk\\.0\\.attn_q\\.weight", "precision": "int4_g32"},
    {"match": "blk\\.0\\.attn_k\\.weight", "precision": "int8_g32"},
    {"match": "blk\\.0\\.attn_v\\.weight", "precision": "int4_g32_asym"},
    {"match": "blk\\.0\\.attn_output\\.weight", "precision": "bf16"}]})";

cwb::ExportOptions tinyOptions() {
    cwb::ExportOptions o;
    o.provenance.runId = 42;
    o.provenance.calibrationName = QStringLiteral("calib.txt");
    o.provenance.calibrationSha256 = QStringLiteral("c0ffee");
    o.provenance.sourceSha256 = QStringLiteral("feedface");
    return o;
}

template <typename T>
void putEntry(GgufBuilder& b, const QByteArray& key, std::uint32_t type, T v) {
    GgufBuilder::putString(b.metadata, key);
    GgufBuilder::put<std::uint32_t>(b.metadata, type);
    GgufBuilder::put(b.metadata, v);
    ++b.metadataCount;
}

// The whole expected export of tinySource() under kTinyPlan, block by block.
QByteArray tinyExpected(const cwb::Plan& plan) {
    GgufBuilder b;
    addTinyMetadata(b); // copied from the source, in its order
    // Most matrix weights stay F32 (three 32 × 32 matrices): llama.cpp's ALL_F32 is 0.
    b.addU32("general.file_type", 0);
    b.addU32("general.quantization_version", 2);
    b.addString("cwb.tool_version", CWB_VERSION " (" CWB_GIT_COMMIT ")");
    b.addString("cwb.plan", QJsonDocument(plan.toJson()).toJson(QJsonDocument::Compact));
    b.addString("cwb.source.name", "tiny.gguf");
    b.addString("cwb.source.sha256", "feedface");
    b.addString("cwb.calibration.name", "calib.txt");
    b.addString("cwb.calibration.sha256", "c0ffee");
    putEntry<std::int64_t>(b, "cwb.run_id", 11, 42);

    QByteArray embd; // F16: 1, 2, 3, 4 are 3c00, 4000, 4200, 4400
    for (const char* h : {"003c", "0040", "0042", "0044"})
        embd += repeat(hex(h), 32);
    b.addRawTensor("token_embd.weight", {32, 4}, 1, embd);
    b.addRawTensor("output_norm.weight", {32}, 0, floats(kOnes));
    b.addRawTensor("blk.0.attn_norm.weight", {32}, 0, floats(kOnes));
    // Q4_0 (type 2): d = 1.0 (f16 3c00), then the nibbles.
    b.addRawTensor("blk.0.attn_q.weight", {32, 32}, 2, repeat(hex("003c") + nibbleRamp(), 32));
    // Q8_0 (type 8): d = 1.0, then 127, -15 … 15 as int8.
    QByteArray k = hex("003c 7f");
    for (int j = 1; j < 32; ++j)
        k.append(char(std::int8_t(j - 16)));
    b.addRawTensor("blk.0.attn_k.weight", {32, 32}, 8, repeat(k, 32));
    // Q4_1 (type 3): d = 1.0, m = 0, then the nibbles.
    b.addRawTensor("blk.0.attn_v.weight", {32, 32}, 3, repeat(hex("003c 0000") + nibbleRamp(), 32));
    // BF16 (type 30): 1.0 is 3f80, -2.0 is c000.
    b.addRawTensor("blk.0.attn_output.weight", {32, 32}, 30,
                   repeat(repeat(hex("803f"), 32) + repeat(hex("00c0"), 32), 16));
    b.addRawTensor("blk.0.ffn_norm.weight", {32}, 0, floats(kOnes));
    b.addRawTensor("blk.0.ffn_gate.weight", {32, 32}, 0, floats(vPattern()));
    b.addRawTensor("blk.0.ffn_up.weight", {32, 32}, 0, floats(qPattern()));
    b.addRawTensor("blk.0.ffn_down.weight", {32, 32}, 0, floats(oPattern()));
    QByteArray bytes = b.bytes();
    while (bytes.size() % 32) // ggml pads after the last tensor too
        bytes.append('\0');
    return bytes;
}

std::shared_ptr<const cwb::Model> load(const QString& path) {
    auto m = cwb::loadModel(path);
    if (!m)
        qFatal("cannot load %s: %s", qPrintable(path), qPrintable(m.error().message));
    return *m;
}

cwb::Plan plan(const char* json) {
    auto p = cwb::parsePlan(QByteArray(json));
    if (!p)
        qFatal("bad plan: %s", qPrintable(p.error().message));
    return *p;
}

bool exactlyEqual(double a, double b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

// Every scored position's logits of a model's f32 (decoded) weights.
std::vector<float> logitsOf(const cwb::Model& model, const cwb::EvalPlan& evalPlan,
                            std::vector<std::int32_t>& next, int threads) {
    auto weights = cwb::WeightSet::fromModel(model);
    if (!weights)
        qFatal("%s", qPrintable(weights.error().message));
    auto engine = cwb::Engine::create(std::move(weights.value()), cwb::EngineOptions{threads});
    if (!engine)
        qFatal("%s", qPrintable(engine.error().message));
    std::vector<float> out;
    next.clear();
    auto run = cwb::runPlan(**engine, evalPlan, {}, [&](std::span<const float> l, std::int32_t n) {
        out.insert(out.end(), l.begin(), l.end());
        next.push_back(n);
    });
    if (!run)
        qFatal("%s", qPrintable(run.error().message));
    return out;
}

QStringList filesIn(const QString& dir) {
    return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System);
}

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run runCli(const QStringList& args, std::function<void()> childSetup = {}) {
    QProcess p;
    if (childSetup)
        p.setChildProcessModifier(childSetup);
    p.start(cwbtest::cliPath(), args);
    if (!p.waitForFinished(300000))
        qFatal("cwb %s did not finish", qPrintable(args.join(QLatin1Char(' '))));
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

// A plan giving every exportable precision to some tensor of stories260K (rows of 64, and 172 in
// ffn_down), plus int4_g128 and int2_g16, which GGUF holds only through the nearest exact type.
const char* kEveryPrecisionPlan = R"({"name": "every precision", "default": "int4_g32", "rules": [
    {"match": "token_embd\\.weight", "precision": "int4_g32_asym"},
    {"match": "output\\.weight", "precision": "int8_g32"},
    {"match": "blk\\.[0-9]+\\.attn_k\\.weight", "precision": "int8_g32"},
    {"match": "blk\\.[0-9]+\\.attn_v\\.weight", "precision": "int4_g32_asym"},
    {"match": "blk\\.[0-9]+\\.attn_output\\.weight", "precision": "fp16"},
    {"match": "blk\\.[0-9]+\\.ffn_gate\\.weight", "precision": "bf16"},
    {"match": "blk\\.[34]\\.ffn_up\\.weight", "precision": "fp32"},
    {"match": "blk\\.0\\.attn_q\\.weight", "precision": "int4_g128"},
    {"match": "blk\\.1\\.attn_q\\.weight", "precision": "int2_g16"}]})";

const char* kCalibratedPlan = R"({"name": "calibrated", "default": "int4_g32",
    "calibration": {"method": "awq"}, "rules": [
    {"match": "blk\\.[0-9]+\\.attn_k\\.weight", "precision": "int8_g32", "method": "gptq"},
    {"match": "blk\\.[0-9]+\\.ffn_down\\.weight", "precision": "int4_g32_asym"},
    {"match": "blk\\.[0-9]+\\.ffn_gate\\.weight", "precision": "bf16"}]})";

} // namespace

class TestExport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_tinyPath;

    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_tinyPath = path(QStringLiteral("tiny.gguf"));
        QFile f(m_tinyPath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(tinySource());
    }

    // The writer against the specification, every byte spelled out.
    void writerLayout() {
        cwb::GgufWriter w;
        w.addU32(QStringLiteral("k"), 7);
        w.addString(QStringLiteral("s"), "hi");
        w.addF32Array(QStringLiteral("f"), std::vector<float>{1.0f});
        w.addBool(QStringLiteral("b"), true);
        w.addTensor(QStringLiteral("t"), {2}, cwb::StoredType::F32,
                    std::vector<std::uint8_t>{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40});
        std::vector<std::uint8_t> q8{0x00, 0x3c}; // d = 1.0, then 0 … 31
        for (int j = 0; j < 32; ++j)
            q8.push_back(std::uint8_t(j));
        w.addTensor(QStringLiteral("u"), {32}, cwb::StoredType::Q8_0, q8);

        QByteArray expected;
        expected += hex("47475546 03000000"); // "GGUF", version 3
        expected += hex("0200000000000000");  // two tensors
        expected += hex("0400000000000000");  // four metadata entries
        // key length, key, value type, value
        expected += hex("0100000000000000 6b 04000000 07000000");                // k: u32 7
        expected += hex("0100000000000000 73 08000000 0200000000000000 6869");   // s: "hi"
        expected += hex("0100000000000000 66 09000000 06000000 0100000000000000" // f: [f32]
                        "0000803f");                                             //    1.0
        expected += hex("0100000000000000 62 07000000 01");                      // b: true
        // tensor infos: name, dimensions, sizes, type, offset within the data section
        expected += hex("0100000000000000 74 01000000 0200000000000000 00000000" // t: F32 [2]
                        "0000000000000000");                                     //    at 0
        expected += hex("0100000000000000 75 01000000 2000000000000000 08000000" // u: Q8_0 [32]
                        "2000000000000000");                                     //    at 32
        QCOMPARE(expected.size(), 173);
        expected += QByteArray(192 - 173, '\0'); // the data section starts at a multiple of 32
        expected += hex("0000803f 00000040") + QByteArray(24, '\0'); // t, padded to 32
        expected += hex("003c");
        for (int j = 0; j < 32; ++j)
            expected.append(char(j));
        expected += QByteArray(30, '\0'); // u, padded to 32 like every tensor

        QVERIFY(sameBytes(w.toBytes(), expected));
        QCOMPARE(w.dataOffset(), 192u);
        QCOMPARE(w.fileSize(), std::uint64_t(expected.size()));
        QVERIFY(cwb::parseGguf(std::span(reinterpret_cast<const std::uint8_t*>(expected.data()),
                                         std::size_t(expected.size())))
                    .ok());
    }

    // A non-default alignment is written as general.alignment and used for every offset.
    void writerAlignment() {
        cwb::GgufWriter w;
        w.setAlignment(64);
        w.addTensor(QStringLiteral("a"), {3}, cwb::StoredType::F32,
                    std::vector<std::uint8_t>(12, 1));
        w.addTensor(QStringLiteral("b"), {1}, cwb::StoredType::F32,
                    std::vector<std::uint8_t>(4, 2));
        const QByteArray bytes = w.toBytes();
        QCOMPARE(bytes.size() % 64, 0);
        auto file = cwb::parseGguf(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                             std::size_t(bytes.size())));
        QVERIFY2(file.ok(), qPrintable(file.ok() ? QString() : file.error().message));
        QCOMPARE(file->alignment, 64u);
        QCOMPARE(file->dataOffset % 64, 0u);
        QCOMPARE(file->metadata.integer(QStringLiteral("general.alignment")), 64);
        QCOMPARE(std::size_t(file->tensors[1].data.data() - file->tensors[0].data.data()), 64u);
        QCOMPARE(int(file->tensors[1].data[0]), 2);
    }

    // Metadata read from a file is written back with its own types, arrays included.
    void writerCopiesValues() {
        GgufBuilder b = GgufBuilder::tinyLlama();
        b.addI32Array("x.ints", {-1, 2, 3});
        const QByteArray source = b.bytes();
        auto file = cwb::parseGguf(std::span(reinterpret_cast<const std::uint8_t*>(source.data()),
                                             std::size_t(source.size())));
        QVERIFY(file.ok());
        cwb::GgufWriter w;
        for (const auto& [key, value] : file->metadata.entries)
            QVERIFY(w.addValue(key, value));
        const QByteArray copy = w.toBytes();
        // Same header counts but no tensors: the metadata bytes must be the builder's.
        QCOMPARE(copy.mid(24, b.metadata.size()), b.metadata);
    }

    // The export of a tiny model under a plan of every GGUF type, against bytes built by hand.
    void exportLayout() {
        const auto model = load(m_tinyPath);
        const cwb::Plan p = plan(kTinyPlan);
        auto build = cwb::buildExport(*model, p, tinyOptions());
        QVERIFY2(build.ok(), qPrintable(build.ok() ? QString() : build.error().message));
        QVERIFY(build->layout.fallbacks.empty());
        QVERIFY(sameBytes(build->writer.toBytes(), tinyExpected(p)));
    }

    // The file written, read back by the project's own reader.
    void readBack() {
        const auto model = load(m_tinyPath);
        const cwb::Plan p = plan(kTinyPlan);
        const QString out = path(QStringLiteral("tiny-export.gguf"));
        auto result = cwb::exportGguf(*model, p, out, tinyOptions());
        QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
        QCOMPARE(QFileInfo(out).size(), qint64(result->fileBytes));

        const auto exported = load(out);
        QCOMPARE(exported->formatName, QStringLiteral("GGUF v3"));
        QCOMPARE(exported->tensors.size(), model->tensors.size());
        const std::map<QString, cwb::StoredType> types = {
            {QStringLiteral("token_embd.weight"), cwb::StoredType::F16},
            {QStringLiteral("blk.0.attn_q.weight"), cwb::StoredType::Q4_0},
            {QStringLiteral("blk.0.attn_k.weight"), cwb::StoredType::Q8_0},
            {QStringLiteral("blk.0.attn_v.weight"), cwb::StoredType::Q4_1},
            {QStringLiteral("blk.0.attn_output.weight"), cwb::StoredType::BF16},
            {QStringLiteral("blk.0.ffn_gate.weight"), cwb::StoredType::F32},
        };
        const cwb::ResolvedPlan resolved = cwb::resolvePlan(p, *model);
        for (std::size_t i = 0; i < model->tensors.size(); ++i) {
            const cwb::Tensor& t = exported->tensors[i];
            QCOMPARE(t.name, model->tensors[i].name);
            QCOMPARE(t.shape, model->tensors[i].shape);
            if (auto it = types.find(t.name); it != types.end())
                QCOMPARE(int(t.type), int(it->second));
            // Decoded, each tensor holds exactly the plan's dequantized weights.
            const cwb::PrecisionId id = resolved.find(t.name)->precision;
            std::vector<float> source(std::size_t(t.elements()));
            std::memcpy(source.data(), model->tensors[i].data.data(), source.size() * 4);
            auto q = cwb::quantizeMatrix(id, source, t.rowLength(), t.name);
            QVERIFY(q.ok());
            const std::vector<float> want = cwb::dequantizeMatrix(*q);
            std::vector<float> got(want.size());
            const auto& traits = cwb::traitsOf(t.type);
            const auto rowSize = cwb::rowBytes(traits, std::uint64_t(t.rowLength()));
            for (std::int64_t r = 0; r < t.rows(); ++r)
                traits.dequantize(t.data.data() + std::size_t(r) * rowSize,
                                  std::span(got).subspan(std::size_t(r * t.rowLength()),
                                                         std::size_t(t.rowLength())));
            QVERIFY2(std::memcmp(got.data(), want.data(), got.size() * 4) == 0, qPrintable(t.name));
        }
        const cwb::GgufMetadata& m = exported->metadata;
        QCOMPARE(m.integer(QStringLiteral("cwb.run_id")), 42);
        QCOMPARE(m.string(QStringLiteral("cwb.calibration.name")), std::string("calib.txt"));
        QCOMPARE(m.string(QStringLiteral("cwb.calibration.sha256")), std::string("c0ffee"));
        QCOMPARE(m.string(QStringLiteral("cwb.tool_version"))->rfind(CWB_VERSION, 0), 0u);
        auto stored =
            cwb::parsePlan(QByteArray::fromStdString(*m.string(QStringLiteral("cwb.plan"))));
        QVERIFY(stored.ok());
        QVERIFY(*stored == p);
        QCOMPARE(exported->tokenizer.vocabSize(), 4);
        QCOMPARE(exported->tokenizer.piece(3), std::string(" a"));
        QCOMPARE(exported->config.dim, 32);
        QCOMPARE(exported->config.heads, 2);
        QCOMPARE(filesIn(m_dir.path()).filter(QStringLiteral("tiny-export")),
                 QStringList{QStringLiteral("tiny-export.gguf")}); // no temporary file left
    }

    // Export, reopen, evaluate: the same perplexity and KL divergence, bit for bit.
    void roundTrip_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("planJson");
        QTest::addColumn<bool>("calibrated");
        QTest::addColumn<int>("fallbacks");
        // GGUF source: 5 × ffn_down (rows of 172) + int4_g128 + int2_g16.
        QTest::newRow("gguf, every precision")
            << cwbtest::stories260KGguf() << QString::fromLatin1(kEveryPrecisionPlan) << false << 7;
        // llama2.c source: its metadata and tokenizer are written anew; tied classifier.
        QTest::newRow("llama2c, every precision")
            << cwbtest::stories260KBin() << QString::fromLatin1(kEveryPrecisionPlan) << false << 7;
        // AWQ scales folded into the norms, GPTQ's integers packed as Q8_0; ffn_down falls back.
        QTest::newRow("llama2c, awq and gptq")
            << cwbtest::stories260KBin() << QString::fromLatin1(kCalibratedPlan) << true << 5;
    }
    void roundTrip() {
        QFETCH(QString, model);
        QFETCH(QString, planJson);
        QFETCH(bool, calibrated);
        QFETCH(int, fallbacks);
        const auto original = load(model);
        const cwb::Plan p = plan(planJson.toUtf8().constData());

        auto textFile = cwb::readTextFile(cwbtest::validationText());
        QVERIFY(textFile.ok());
        const QByteArray text = textFile->left(60000);
        std::optional<cwb::CalibrationStats> stats;
        if (calibrated) {
            auto trainText = cwb::readCalibrationText(cwbtest::asset(
                QStringLiteral("tinystories-train-2MiB/tinystories_train_first2MiB.txt")));
            QVERIFY(trainText.ok());
            cwb::CalibrationOptions co;
            co.sequences = 4;
            co.sequenceLength = 64;
            co.threads = 2;
            co.sampleRows = 32; // enough for AWQ's α search on a model this small, and quick
            auto collected = cwb::calibrate(*original, *trainText, co);
            QVERIFY2(collected.ok(),
                     qPrintable(collected.ok() ? QString() : collected.error().message));
            stats = std::move(collected.value());
        }

        cwb::EvalOptions eo;
        eo.ctx = 128;
        eo.maxChunks = 6;
        eo.threads = 2;
        cwb::PlanEvaluationOptions po;
        po.eval = eo;
        po.cacheDir = path(QStringLiteral("cache"));
        po.stats = stats ? &*stats : nullptr;
        auto evaluated = cwb::evaluatePlan(*original, text, p, po);
        QVERIFY2(evaluated.ok(),
                 qPrintable(evaluated.ok() ? QString() : evaluated.error().message));

        const QString out = path(QStringLiteral("roundtrip.gguf"));
        cwb::ExportOptions xo;
        xo.fallback = cwb::ExportFallback::Nearest;
        xo.stats = po.stats;
        auto exportedInfo = cwb::exportGguf(*original, p, out, xo);
        QVERIFY2(exportedInfo.ok(),
                 qPrintable(exportedInfo.ok() ? QString() : exportedInfo.error().message));
        QCOMPARE(int(exportedInfo->layout.fallbacks.size()), fallbacks);
        const auto exported = load(out);
        std::set<cwb::StoredType> types;
        for (const cwb::Tensor& t : exported->tensors)
            types.insert(t.type);
        if (!calibrated) // every type the plan's precisions map to is in the file
            QCOMPARE(types.size(), 6u);
        qInfo("%s: %s, %lld bytes (source %lld)", QTest::currentDataTag(), qPrintable(out),
              qint64(exportedInfo->fileBytes), qint64(QFileInfo(model).size()));

        // The exported file tokenizes the text as the original does.
        auto basePlan = cwb::planEvaluation(*original, text, eo);
        auto exportedPlan = cwb::planEvaluation(*exported, text, eo);
        QVERIFY(basePlan.ok() && exportedPlan.ok());
        QCOMPARE(exportedPlan->sequences.size(), basePlan->sequences.size());
        for (std::size_t i = 0; i < basePlan->sequences.size(); ++i)
            QCOMPARE(exportedPlan->sequences[i].tokens, basePlan->sequences[i].tokens);

        // Its plain evaluation (what `cwb eval exported.gguf` prints) and its comparison with
        // the original FP32 model are the plan's, bit for bit.
        std::vector<std::int32_t> next, nextExported;
        const std::vector<float> base = logitsOf(*original, *basePlan, next, eo.threads);
        const std::vector<float> mine = logitsOf(*exported, *basePlan, nextExported, eo.threads);
        QCOMPARE(nextExported, next);
        cwb::DistributionComparer comparer;
        const std::size_t vocab = std::size_t(original->config.vocabSize);
        for (std::size_t r = 0; r < next.size(); ++r)
            comparer.add(std::span(base).subspan(r * vocab, vocab),
                         std::span(mine).subspan(r * vocab, vocab), next[r]);
        const cwb::ComparisonMetrics got = comparer.result();
        const cwb::ComparisonMetrics& want = evaluated->metrics;
        qInfo("PPL %.6f (base %.6f), KLD mean %.6g, p99 %.6g, top-1 %.4f over %lld tokens", got.ppl,
              got.basePpl, got.kldMean, got.kldP99, got.top1Agreement, qint64(got.tokens));
        QCOMPARE(got.tokens, want.tokens);
        QVERIFY(want.kldMean > 0); // the plan does change the model
        QVERIFY(exactlyEqual(got.ppl, want.ppl));
        QVERIFY(exactlyEqual(got.basePpl, want.basePpl));
        QVERIFY(exactlyEqual(got.kldMean, want.kldMean));
        QVERIFY(exactlyEqual(got.kldMedian, want.kldMedian));
        QVERIFY(exactlyEqual(got.kldP99, want.kldP99));
        QVERIFY(exactlyEqual(got.kldMax, want.kldMax));
        QVERIFY(exactlyEqual(got.top1Agreement, want.top1Agreement));
        QVERIFY(exactlyEqual(got.deltaPMean, want.deltaPMean));

        auto plain = cwb::evaluatePerplexity(*exported, text, eo);
        QVERIFY(plain.ok());
        QVERIFY(exactlyEqual(plain->ppl, want.ppl));

        if (calibrated) {
            QCOMPARE(exported->metadata.string(QStringLiteral("cwb.calibration.sha256")),
                     stats->textSha256.toStdString());
            QVERIFY(!exportedInfo->methodReports.empty());
        }
        QFile::remove(out);
    }

    // Nowhere to write: one line, and nothing left behind.
    void unwritablePath() {
        const auto model = load(m_tinyPath);
        const cwb::Plan p = plan(kTinyPlan);
        QTemporaryDir dir;
        const QString notADir = dir.filePath(QStringLiteral("file"));
        QFile f(notADir);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        for (const QString& out : {notADir + QStringLiteral("/model.gguf"),
                                   dir.filePath(QStringLiteral("missing/model.gguf"))}) {
            auto result = cwb::exportGguf(*model, p, out, tinyOptions());
            QVERIFY(!result.ok());
            QVERIFY(!result.error().message.contains(QLatin1Char('\n')));
            QVERIFY2(result.error().message.startsWith(QStringLiteral("cannot write model.gguf")),
                     qPrintable(result.error().message));
            QVERIFY(!QFileInfo::exists(out));
        }
        QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("file")});
    }

    // A full disk, simulated by a file size limit in a child process (SIGXFSZ ignored, so the
    // write fails with EFBIG): the error names the file, no partial or temporary file remains, and
    // an older file at the same path survives untouched.
    void fullDisk() {
        const auto model = load(m_tinyPath);
        auto build = cwb::buildExport(*model, plan(kTinyPlan), tinyOptions());
        QVERIFY(build.ok());
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("model.gguf"));
        QFile old(out);
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("previous");
        old.close();

        int fds[2];
        QCOMPARE(pipe(fds), 0);
        const pid_t child = fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            std::signal(SIGXFSZ, SIG_IGN);
            const rlimit limit{4096, 4096};
            setrlimit(RLIMIT_FSIZE, &limit);
            const auto saved = build->writer.save(out);
            const QByteArray message = saved.ok() ? QByteArray() : saved.error().message.toUtf8();
            (void)!::write(fds[1], message.constData(), std::size_t(message.size()));
            _exit(saved.ok() ? 0 : 1);
        }
        ::close(fds[1]);
        QByteArray message;
        char buffer[512];
        for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
            message.append(buffer, n);
        ::close(fds[0]);
        int status = 0;
        QCOMPARE(waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), 1);
        QVERIFY2(build->writer.fileSize() > 4096, "the file must not fit under the limit");
        QVERIFY2(message.startsWith("cannot write model.gguf"), message.constData());
        QVERIFY(!message.contains('\n'));
        QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("model.gguf")});
        QVERIFY(old.open(QIODevice::ReadOnly));
        QCOMPARE(old.readAll(), QByteArray("previous"));
    }

    // Precisions without a GGUF type, and rows that are not whole blocks, are listed tensor by
    // tensor before anything is computed, and --fallback stop writes nothing.
    void refusedWithStop() {
        const auto model = load(cwbtest::stories260KBin());
        const cwb::Plan p = plan(R"({"default": "int4_g32", "rules": [
            {"match": "blk\\.0\\.attn_q\\.weight", "precision": "int8"},
            {"match": "blk\\.0\\.attn_k\\.weight", "precision": "w8a8"},
            {"match": "blk\\.0\\.attn_v\\.weight", "precision": "int2_g16"},
            {"match": "blk\\.0\\.attn_output\\.weight", "precision": "int4_g128"}]})");
        const cwb::ExportLayout layout = cwb::planExport(*model, cwb::resolvePlan(p, *model));
        QStringList listed;
        for (const auto& f : layout.fallbacks)
            listed << f.tensor;
        QCOMPARE(
            listed,
            (QStringList{
                QStringLiteral("blk.0.attn_q.weight"), QStringLiteral("blk.0.attn_k.weight"),
                QStringLiteral("blk.0.attn_v.weight"), QStringLiteral("blk.0.attn_output.weight"),
                QStringLiteral("blk.0.ffn_down.weight"), QStringLiteral("blk.1.ffn_down.weight"),
                QStringLiteral("blk.2.ffn_down.weight"), QStringLiteral("blk.3.ffn_down.weight"),
                QStringLiteral("blk.4.ffn_down.weight")}));
        QCOMPARE(layout.fallbacks[0].reason, QStringLiteral("int8 has no GGUF type"));
        QCOMPARE(int(layout.fallbacks[0].nearest), int(cwb::StoredType::F32));
        QVERIFY(!layout.fallbacks[1].note.isEmpty()); // w8a8 loses its activation quantization
        QCOMPARE(int(layout.fallbacks[3].nearest), int(cwb::StoredType::Q4_0)); // rows of 64
        QCOMPARE(layout.fallbacks[4].reason,
                 QStringLiteral("int4_g32, rows of 172 are not whole Q4_0 blocks of 32"));

        const QString out = path(QStringLiteral("refused.gguf"));
        auto result = cwb::exportGguf(*model, p, out, cwb::ExportOptions{});
        QVERIFY(!result.ok());
        QVERIFY(result.error().message.contains(QStringLiteral("blk.4.ffn_down.weight")));
        QVERIFY(!QFileInfo::exists(out));
    }

    // The command line: the refusal, tensor by tensor on stderr, exit 1, no file.
    void cliRefusesWithStop() {
        QTemporaryDir dir;
        const QString planPath = dir.filePath(QStringLiteral("plan.json"));
        QFile f(planPath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"default": "int4_g32", "rules": [
            {"match": "blk\\.2\\.attn_q\\.weight", "precision": "int8"}]})");
        f.close();
        const QString out = dir.filePath(QStringLiteral("m.gguf"));
        const Run r = runCli({QStringLiteral("quantize"), cwbtest::stories260KBin(),
                              QStringLiteral("--plan"), planPath, QStringLiteral("--out"), out,
                              QStringLiteral("--fallback"), QStringLiteral("stop"),
                              QStringLiteral("--db"), dir.filePath(QStringLiteral("runs.sqlite"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.isEmpty());
        const QList<QByteArray> lines = r.err.trimmed().split('\n');
        QVERIFY2(r.err.contains("blk.2.attn_q.weight: int8 has no GGUF type"), r.err.constData());
        for (int l = 0; l < 5; ++l)
            QVERIFY2(r.err.contains(QStringLiteral("blk.%1.ffn_down.weight: int4_g32, rows of 172")
                                        .arg(l)
                                        .toUtf8()),
                     r.err.constData());
        QVERIFY(lines.last().startsWith("cwb: "));
        QVERIFY(lines.last().contains("--fallback nearest"));
        QVERIFY(!QFileInfo::exists(out));

        const Run bad = runCli({QStringLiteral("quantize"), cwbtest::stories260KBin(),
                                QStringLiteral("--plan"), planPath, QStringLiteral("--out"), out,
                                QStringLiteral("--fallback"), QStringLiteral("widest")});
        QCOMPARE(bad.exitCode, 2);
    }

    // The command line: --fallback nearest writes the file, reports it as one JSON object and
    // records a quantize run; a file size limit makes it fail with one line and no file.
    void cliQuantize() {
        QTemporaryDir dir;
        const QString planPath = dir.filePath(QStringLiteral("plan.json"));
        QFile f(planPath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kEveryPrecisionPlan);
        f.close();
        const QString db = dir.filePath(QStringLiteral("runs.sqlite"));
        const QString out = dir.filePath(QStringLiteral("m.gguf"));
        const QStringList args = {QStringLiteral("quantize"),   cwbtest::stories260KBin(),
                                  QStringLiteral("--plan"),     planPath,
                                  QStringLiteral("--out"),      out,
                                  QStringLiteral("--fallback"), QStringLiteral("nearest"),
                                  QStringLiteral("--db"),       db,
                                  QStringLiteral("--json")};
        const Run r = runCli(args);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(r.out, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(o[QStringLiteral("size_bytes")].toInteger(), QFileInfo(out).size());
        QCOMPARE(o[QStringLiteral("fallbacks")].toArray().size(), 7);
        QVERIFY(o[QStringLiteral("bpw")].toDouble() > 4 &&
                o[QStringLiteral("bpw")].toDouble() < 32);
        const qint64 runId = o[QStringLiteral("run_id")].toInteger();
        QVERIFY(runId > 0);
        const auto exported = load(out);
        QCOMPARE(exported->metadata.integer(QStringLiteral("cwb.run_id")), runId);
        QCOMPARE(exported->metadata.array(QStringLiteral("cwb.fallbacks"))->count, 7u);

        const Run shown =
            runCli({QStringLiteral("runs"), QStringLiteral("show"), QString::number(runId),
                    QStringLiteral("--db"), db, QStringLiteral("--json")});
        QCOMPARE(shown.exitCode, 0);
        QVERIFY2(shown.out.contains("\"quantize\""), shown.out.constData());

        // The same export again under a file size limit far below its size.
        QFile::remove(out);
        const qint64 dbSize = QFileInfo(db).size();
        const rlimit limit{rlim_t(256 * 1024), rlim_t(256 * 1024)};
        QVERIFY2(dbSize < qint64(limit.rlim_cur) / 2, "the run store must fit under the limit");
        QVERIFY(o[QStringLiteral("size_bytes")].toInteger() > qint64(limit.rlim_cur));
        const Run full = runCli(args, [limit] {
            std::signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &limit);
        });
        QCOMPARE(full.exitCode, 1);
        QVERIFY(full.out.isEmpty());
        const QByteArray last = full.err.trimmed().split('\n').last();
        QVERIFY2(last.startsWith("cwb: cannot write m.gguf"), full.err.constData());
        QVERIFY(!QFileInfo::exists(out));
        QCOMPARE(filesIn(dir.path()).filter(QStringLiteral("m.gguf")), QStringList{});
    }
};

QTEST_GUILESS_MAIN(TestExport)
#include "tst_export.moc"
