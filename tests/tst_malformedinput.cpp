// SPDX-License-Identifier: GPL-3.0-or-later
// Hostile and broken inputs: each must give a clear one-line reason, never a crash (the suite
// also runs under AddressSanitizer and UBSan).
#include "ggufbuilder.h"
#include "testassets.h"

#include "evaluation.h"
#include "ggufreader.h"
#include "llama2c.h"
#include "model.h"
#include "textfile.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace cwb;
using cwbtest::GgufBuilder;

namespace {

QByteArray readAll(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

// The reason a load fails, or an empty string if it loaded.
QString loadFailure(const QString& path, const LoadOptions& options = {}) {
    auto m = loadModel(path, options);
    return m ? QString() : m.error().message;
}

void expectOneLine(const QString& reason, const char* mustContain) {
    QVERIFY2(!reason.isEmpty(), "the load succeeded but should have failed");
    QVERIFY2(!reason.contains(QLatin1Char('\n')), qPrintable(reason));
    QVERIFY2(
        reason.contains(QLatin1String(mustContain), Qt::CaseInsensitive),
        qPrintable(
            QStringLiteral("'%1' does not mention '%2'").arg(reason, QLatin1String(mustContain))));
}

} // namespace

class TestMalformedInput : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QByteArray m_bin;
    QByteArray m_tokenizer;

    QString write(const QString& name, const QByteArray& bytes) {
        QFile f(m_dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write");
        f.write(bytes);
        return f.fileName();
    }
    // A checkpoint with a tokenizer beside it.
    QString writeCheckpoint(const QByteArray& bytes) {
        write(QStringLiteral("tokenizer.bin"), m_tokenizer);
        return write(QStringLiteral("model.bin"), bytes);
    }
    QByteArray withHeaderField(int index, std::int32_t value) {
        QByteArray b = m_bin;
        std::memcpy(b.data() + 4 * index, &value, 4);
        return b;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_bin = readAll(cwbtest::stories260KBin());
        m_tokenizer = readAll(cwbtest::asset(QStringLiteral("stories260K/tok512.bin")));
    }

    void validCopiesLoad() {
        QCOMPARE(loadFailure(writeCheckpoint(m_bin)), QString());
        QCOMPARE(loadFailure(write(QStringLiteral("tiny.gguf"), GgufBuilder::tinyLlama().bytes())),
                 QString());
    }

    void missingAndEmptyFiles() {
        expectOneLine(loadFailure(m_dir.filePath(QStringLiteral("nothing.bin"))), "no such file");
        expectOneLine(loadFailure(write(QStringLiteral("empty.bin"), {})), "too short");
        expectOneLine(loadFailure(m_dir.path()), "no such file");
    }

    void truncatedCheckpoint() {
        expectOneLine(loadFailure(writeCheckpoint(m_bin.left(m_bin.size() - 1000))), "implies");
        expectOneLine(loadFailure(writeCheckpoint(m_bin.left(20))), "header");
        expectOneLine(loadFailure(writeCheckpoint(m_bin + QByteArray(4, '\0'))), "implies");
    }

    void checkpointHeaderDisagreesWithFile_data() {
        QTest::addColumn<int>("field");
        QTest::addColumn<int>("value");
        QTest::addColumn<QString>("reason");
        QTest::newRow("dim larger") << 0 << 128 << "implies";
        QTest::newRow("dim zero") << 0 << 0 << "implausible";
        QTest::newRow("dim negative") << 0 << -64 << "implausible";
        QTest::newRow("hidden huge") << 1 << 0x7fffffff << "implausible";
        QTest::newRow("layers huge") << 2 << 1 << "implies";
        QTest::newRow("heads not dividing") << 3 << 7 << "divide";
        QTest::newRow("kv heads above heads") << 4 << 16 << "implausible";
        QTest::newRow("vocab most negative") << 5 << int(0x80000000) << "implausible";
        QTest::newRow("seq_len huge") << 6 << 0x7fffffff << "implausible";
        QTest::newRow("llama2.c v1 magic") << 0 << 0x616b3432 << "export version";
    }
    void checkpointHeaderDisagreesWithFile() {
        QFETCH(int, field);
        QFETCH(int, value);
        QFETCH(QString, reason);
        expectOneLine(loadFailure(writeCheckpoint(withHeaderField(field, value))),
                      qPrintable(reason));
    }

    void tokenizerProblems() {
        const QString model = writeCheckpoint(m_bin);
        // Shorter than the vocabulary: half the file.
        write(QStringLiteral("short.bin"), m_tokenizer.left(m_tokenizer.size() / 2));
        expectOneLine(loadFailure(model, {m_dir.filePath(QStringLiteral("short.bin"))}),
                      "the model needs 512");
        // A token length beyond max_token_length, and a negative one.
        for (std::int32_t length : {100000, -5}) {
            QByteArray bad = m_tokenizer;
            std::memcpy(bad.data() + 4 + 4, &length, 4);
            write(QStringLiteral("badlen.bin"), bad);
            expectOneLine(loadFailure(model, {m_dir.filePath(QStringLiteral("badlen.bin"))}),
                          "length");
        }
        // None beside the checkpoint.
        QTemporaryDir alone;
        QFile::copy(model, alone.filePath(QStringLiteral("m.bin")));
        expectOneLine(loadFailure(alone.filePath(QStringLiteral("m.bin"))), "no tokenizer found");
    }

    void ggufWrongMagicAndVersion() {
        QByteArray b = GgufBuilder::tinyLlama().bytes();
        QByteArray wrong = b;
        wrong[3] = 'X';
        auto parsed = parseGguf(std::span(reinterpret_cast<const std::uint8_t*>(wrong.constData()),
                                          std::size_t(wrong.size())));
        QVERIFY(!parsed);
        QVERIFY(parsed.error().message.contains(QLatin1String("not a GGUF file")));
        for (std::uint32_t v : {1u, 4u, 0x03000000u}) {
            GgufBuilder g = GgufBuilder::tinyLlama();
            g.version = v;
            expectOneLine(loadFailure(write(QStringLiteral("v.gguf"), g.bytes())), "version");
        }
    }

    void ggufTruncatedAnywhere() {
        const QByteArray b = GgufBuilder::tinyLlama().bytes();
        for (qsizetype cut = 0; cut < b.size(); cut += (cut < 1200 ? 7 : 97)) {
            auto parsed = parseGguf(
                std::span(reinterpret_cast<const std::uint8_t*>(b.constData()), std::size_t(cut)));
            QVERIFY2(!parsed, qPrintable(QStringLiteral("cut at %1 parsed").arg(cut)));
            QVERIFY(!parsed.error().message.isEmpty());
        }
    }

    void ggufAbsurdCounts_data() {
        QTest::addColumn<int>("what");
        QTest::newRow("tensor count 2^60") << 0;
        QTest::newRow("metadata count 2^60") << 1;
        QTest::newRow("string length 2^60") << 2;
        QTest::newRow("array length 2^60") << 3;
        QTest::newRow("string array length 2^60") << 4;
    }
    void ggufAbsurdCounts() {
        QFETCH(int, what);
        GgufBuilder g = GgufBuilder::tinyLlama();
        const std::uint64_t huge = 1ull << 60;
        if (what == 0)
            g.tensorCount = huge;
        if (what == 1)
            g.metadataCount = huge;
        if (what == 2) {
            GgufBuilder::put<std::uint64_t>(g.metadata, huge); // a key whose length is absurd
            g.metadataCount += 1;
        }
        if (what == 3 || what == 4) {
            GgufBuilder::putString(g.metadata, "big.array");
            GgufBuilder::put<std::uint32_t>(g.metadata, 9);
            GgufBuilder::put<std::uint32_t>(g.metadata, what == 3 ? 6 : 8);
            GgufBuilder::put<std::uint64_t>(g.metadata, huge);
            g.metadataCount += 1;
        }
        expectOneLine(loadFailure(write(QStringLiteral("absurd.gguf"), g.bytes())), "limit");
    }

    void ggufBadTensors_data() {
        QTest::addColumn<int>("what");
        QTest::addColumn<QString>("reason");
        QTest::newRow("unknown tensor type") << 0 << "tensor type 99";
        QTest::newRow("offset outside the file") << 1 << "outside";
        QTest::newRow("five dimensions") << 2 << "dimensions";
        QTest::newRow("element count overflows") << 3 << "elements";
        QTest::newRow("misaligned offset") << 4 << "aligned";
        QTest::newRow("row not a whole block") << 5 << "block";
        QTest::newRow("unknown metadata type") << 6 << "value type";
        QTest::newRow("duplicate tensor") << 7 << "twice";
        QTest::newRow("shape disagrees with config") << 8 << "configuration implies";
        QTest::newRow("missing tensor") << 9 << "missing";
    }
    void ggufBadTensors() {
        QFETCH(int, what);
        QFETCH(QString, reason);
        GgufBuilder g = GgufBuilder::tinyLlama();
        auto tensorInfo = [](QByteArray& out, const QByteArray& name,
                             std::vector<std::uint64_t> dims, std::uint32_t type,
                             std::uint64_t offset) {
            GgufBuilder::putString(out, name);
            GgufBuilder::put<std::uint32_t>(out, std::uint32_t(dims.size()));
            for (auto d : dims)
                GgufBuilder::put(out, d);
            GgufBuilder::put(out, type);
            GgufBuilder::put(out, offset);
        };
        switch (what) {
        case 0:
            tensorInfo(g.infos, "extra", {32}, 99, 0);
            break;
        case 1:
            tensorInfo(g.infos, "extra", {32}, 0, 1ull << 40);
            break;
        case 2:
            tensorInfo(g.infos, "extra", {2, 2, 2, 2, 2}, 0, 0);
            break;
        case 3:
            tensorInfo(g.infos, "extra", {1ull << 32, 1ull << 32}, 0, 0);
            break;
        case 4:
            tensorInfo(g.infos, "extra", {8}, 0, 3);
            break;
        case 5:
            tensorInfo(g.infos, "extra", {40, 2}, 8, 0);
            break; // Q8_0 rows of 40
        case 6:
            GgufBuilder::putString(g.metadata, "odd.key");
            GgufBuilder::put<std::uint32_t>(g.metadata, 77);
            g.metadataCount += 1;
            break;
        case 7:
            tensorInfo(g.infos, "token_embd.weight", {8, 4}, 0, 0);
            break;
        case 8: {
            g = GgufBuilder();
            GgufBuilder t = GgufBuilder::tinyLlama();
            g.metadata = t.metadata;
            g.metadataCount = t.metadataCount;
            g.addTensor("token_embd.weight", {8, 5}); // the vocabulary has 4
            break;
        }
        case 9: {
            g = GgufBuilder();
            GgufBuilder t = GgufBuilder::tinyLlama();
            g.metadata = t.metadata;
            g.metadataCount = t.metadataCount;
            g.addTensor("token_embd.weight", {8, 4});
            break;
        }
        }
        if (what <= 7)
            g.tensorCount += 1;
        expectOneLine(loadFailure(write(QStringLiteral("bad.gguf"), g.bytes())),
                      qPrintable(reason));
    }

    void ggufBadMetadata_data() {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<int>("value");
        QTest::addColumn<QString>("reason");
        QTest::newRow("heads do not divide")
            << QByteArray("llama.attention.head_count") << 3 << "divide";
        QTest::newRow("zero blocks") << QByteArray("llama.block_count") << 0 << "out of range";
        QTest::newRow("alignment not a power of two")
            << QByteArray("general.alignment") << 24 << "power of two";
    }
    void ggufBadMetadata() {
        QFETCH(QByteArray, key);
        QFETCH(int, value);
        QFETCH(QString, reason);
        GgufBuilder g = GgufBuilder::tinyLlama();
        // Replace the value in place when the key exists, else add it.
        const qsizetype at = g.metadata.indexOf(key);
        if (at >= 0) {
            std::uint32_t v = std::uint32_t(value);
            std::memcpy(g.metadata.data() + at + key.size() + 4, &v, 4);
        } else {
            g.addU32(key, std::uint32_t(value));
        }
        expectOneLine(loadFailure(write(QStringLiteral("meta.gguf"), g.bytes())),
                      qPrintable(reason));
    }

    void ggufOtherArchitectureOrTokenizer() {
        QByteArray bytes = GgufBuilder::tinyLlama().bytes();
        const qsizetype at = bytes.indexOf("tokenizer.ggml.model");
        QVERIFY(at > 0);
        // After the key: its value type (4 bytes) and the string's length (8 bytes).
        bytes.replace(at + 20 + 4 + 8, 5, "gpt2!");
        expectOneLine(loadFailure(write(QStringLiteral("tok.gguf"), bytes)), "not supported");
    }

    void badTexts() {
        const QString empty = write(QStringLiteral("empty.txt"), {});
        auto r = readTextFile(empty);
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QLatin1String("empty")));

        const QString invalid = write(QStringLiteral("latin1.txt"), QByteArray("caf\xe9 au lait"));
        r = readTextFile(invalid);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("not valid UTF-8")) &&
                     r.error().message.contains(QLatin1String("offset 3")),
                 qPrintable(r.error().message));

        // Overlong, surrogate and beyond-U+10FFFF forms are not UTF-8 either.
        for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
            QVERIFY(firstInvalidUtf8(bad).has_value());
        QVERIFY(!firstInvalidUtf8("plain \xe2\x82\xac \xf0\x9f\x98\x80").has_value());
        QVERIFY(!readTextFile(m_dir.filePath(QStringLiteral("absent.txt"))));
    }

    void textsWithNothingToScore() {
        auto model = loadModel(cwbtest::stories260KBin());
        QVERIFY(model);
        EvalOptions o;
        o.split = SplitMode::Documents;
        auto plan = planEvaluation(**model, QByteArray("<|endoftext|>\n<|endoftext|>  "), o);
        QVERIFY(!plan);
        QVERIFY(plan.error().message.contains(QLatin1String("no document")));
        o.split = SplitMode::Chunks;
        plan = planEvaluation(**model, QByteArray("Too short for a chunk."), o);
        QVERIFY(!plan);
        QVERIFY(plan.error().message.contains(QLatin1String("one chunk")));
        QVERIFY(!planEvaluation(**model, QByteArray(), o));
    }
};

QTEST_GUILESS_MAIN(TestMalformedInput)
#include "tst_malformedinput.moc"
