// SPDX-License-Identifier: GPL-3.0-or-later
// Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM) from tokenizer.json and from GGUF's gpt2
// vocabulary, on a small vocabulary written here: every expected id below is derived by hand from
// the merges, the pre-tokenizer split and the byte values.
#include "ggufbuilder.h"

#include "bytelevel.h"
#include "hftokenizer.h"
#include "model.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace cwb;
using Ids = std::vector<std::int32_t>;

namespace {

// GPT-2's printable stand-in for each byte, from its definition: the printable Latin-1 bytes
// ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, the others get U+0100, U+0101, ... in
// byte order. Written out here rather than taken from the code under test.
QString gpt2Char(int byte) {
    auto printable = [](int b) {
        return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    };
    if (printable(byte))
        return QString(QChar(char16_t(byte)));
    int n = 0;
    for (int b = 0; b < byte; ++b)
        n += printable(b) ? 0 : 1;
    return QString(QChar(char16_t(256 + n)));
}

QString gpt2(const QByteArray& bytes) {
    QString s;
    for (char b : bytes)
        s += gpt2Char(std::uint8_t(b));
    return s;
}

// Ids 0-255: the single bytes, id = byte value. Then the merges, in rank order:
//   rank 0: "Ġ" + "t"    -> 256 " t"
//   rank 1: "h" + "e"    -> 257 "he"
//   rank 2: " t" + "he"  -> 258 " the"
//   rank 3: "t" + "he"   -> 259 "the"
//   rank 4: "2" + "0"    -> 260 "20"
//   rank 5: F0 + 9F      -> 261 (the first two bytes of most emoji)
//   rank 6: C3 + A9      -> 262 "é"
//   rank 7: "l" + "l"    -> 263 "ll"
//   rank 8: "!" + "!"    -> 264 "!!"
// Added: 265 "<|endoftext|>" (special), 266 "<|begin_of_text|>" (special).
const QList<QPair<QByteArray, QByteArray>> kMerges{{" ", "t"},       {"h", "e"}, {" t", "he"},
                                                   {"t", "he"},      {"2", "0"}, {"\xf0", "\x9f"},
                                                   {"\xc3", "\xa9"}, {"l", "l"}, {"!", "!"}};

QByteArray byteLevelTokenizerJson(bool llama3) {
    QJsonObject vocab;
    for (int b = 0; b < 256; ++b)
        vocab[gpt2Char(b)] = b;
    QJsonArray merges;
    int id = 256;
    for (const auto& [left, right] : kMerges) {
        vocab[gpt2(left + right)] = id++;
        merges.append(gpt2(left) + QLatin1Char(' ') + gpt2(right));
    }
    vocab[QStringLiteral("<|endoftext|>")] = 265;
    vocab[QStringLiteral("<|begin_of_text|>")] = 266;
    auto added = [](int i, const char* content) {
        return QJsonObject{{QStringLiteral("id"), i},
                           {QStringLiteral("content"), QLatin1String(content)},
                           {QStringLiteral("special"), true}};
    };
    QJsonObject root{
        {QStringLiteral("added_tokens"),
         QJsonArray{added(265, "<|endoftext|>"), added(266, "<|begin_of_text|>")}},
        {QStringLiteral("normalizer"), QJsonValue::Null},
        {QStringLiteral("model"), QJsonObject{{QStringLiteral("type"), QStringLiteral("BPE")},
                                              {QStringLiteral("vocab"), vocab},
                                              {QStringLiteral("merges"), merges},
                                              {QStringLiteral("ignore_merges"), llama3}}}};
    const QJsonObject byteLevel{{QStringLiteral("type"), QStringLiteral("ByteLevel")},
                                {QStringLiteral("add_prefix_space"), false},
                                {QStringLiteral("use_regex"), !llama3}};
    if (!llama3) {
        root[QStringLiteral("pre_tokenizer")] = byteLevel;
    } else {
        // Llama 3's split: letters with one leading non-letter, digits in threes, ...
        const QString pattern =
            QStringLiteral("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
                           " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
        root[QStringLiteral("pre_tokenizer")] = QJsonObject{
            {QStringLiteral("type"), QStringLiteral("Sequence")},
            {QStringLiteral("pretokenizers"),
             QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("Split")},
                                    {QStringLiteral("pattern"),
                                     QJsonObject{{QStringLiteral("Regex"), pattern}}},
                                    {QStringLiteral("behavior"), QStringLiteral("Isolated")},
                                    {QStringLiteral("invert"), false}},
                        byteLevel}}};
        const QJsonObject bos{
            {QStringLiteral("SpecialToken"),
             QJsonObject{{QStringLiteral("id"), QStringLiteral("<|begin_of_text|>")}}}};
        root[QStringLiteral("post_processor")] = QJsonObject{
            {QStringLiteral("type"), QStringLiteral("Sequence")},
            {QStringLiteral("processors"),
             QJsonArray{
                 QJsonObject{{QStringLiteral("type"), QStringLiteral("ByteLevel")}},
                 QJsonObject{
                     {QStringLiteral("type"), QStringLiteral("TemplateProcessing")},
                     {QStringLiteral("single"),
                      QJsonArray{bos, QJsonObject{{QStringLiteral("Sequence"),
                                                   QJsonObject{{QStringLiteral("id"),
                                                                QStringLiteral("A")}}}}}},
                     {QStringLiteral("special_tokens"),
                      QJsonObject{{QStringLiteral("<|begin_of_text|>"),
                                   QJsonObject{{QStringLiteral("ids"), QJsonArray{266}}}}}}}}}};
    }
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

Tokenizer parse(const QByteArray& json, const QByteArray& config = {}) {
    auto t = parseHfTokenizer(json, config);
    if (!t)
        qFatal("%s", qPrintable(t.error().message));
    return std::move(t->tokenizer);
}

} // namespace

class TestHfTokenizer : public QObject {
    Q_OBJECT

private slots:
    void byteMapRoundTrips() {
        std::string all;
        for (int b = 0; b < 256; ++b)
            all.push_back(char(b));
        const std::string text = byteLevelFromBytes(all);
        QCOMPARE(QString::fromStdString(text), gpt2(QByteArray(all.data(), 256)));
        QCOMPARE(bytesFromByteLevel(text), all);
        QCOMPARE(byteLevelFromBytes(" "), std::string("\xc4\xa0"));  // 'Ġ', U+0120
        QCOMPARE(byteLevelFromBytes("\n"), std::string("\xc4\x8a")); // 'Ċ', U+010A
    }

    void gpt2Examples_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<Ids>("expected");
        // "the" | " the": h+e (rank 1), then t+he (rank 3) -> 259; in " the" Ġ+t (rank 0) goes
        // first, then h+e, then " t"+"he" (rank 2) -> 258.
        QTest::newRow("words") << QByteArray("the the") << Ids{259, 258};
        // "x" | " 2024" | "!": GPT-2 keeps a space before digits; only 2+0 merges.
        QTest::newRow("digits") << QByteArray("x 2024!") << Ids{120, 32, 260, 50, 52, 33};
        // "2020" is one piece: 2+0 merges twice.
        QTest::newRow("digit run") << QByteArray("2020") << Ids{260, 260};
        // "hi" | " 👋" (F0 9F 91 8B): the emoji is a symbol, kept with its space; F0+9F merge.
        QTest::newRow("emoji") << QByteArray("hi \xf0\x9f\x91\x8b")
                               << Ids{104, 105, 32, 261, 145, 139};
        // "café" | " naïve": é (C3 A9) merges, ï (C3 AF) stays two bytes.
        QTest::newRow("non-ASCII") << QByteArray("caf\xc3\xa9 na\xc3\xafve")
                                   << Ids{99, 97, 102, 262, 32, 110, 97, 195, 175, 118, 101};
        // "Hello" | "," | " " | " world" | "!!": of two spaces the first stands alone (\s+(?!\S)).
        QTest::newRow("punctuation and spaces")
            << QByteArray("Hello,  world!!")
            << Ids{72, 101, 263, 111, 44, 32, 32, 119, 111, 114, 108, 100, 264};
        QTest::newRow("contraction") << QByteArray("it's") << Ids{105, 116, 39, 115};
        QTest::newRow("newlines") << QByteArray("a\n\nb") << Ids{97, 10, 10, 98};
        // The special token is cut out first; " the" after it is a piece of its own.
        QTest::newRow("added token") << QByteArray("a<|endoftext|> the") << Ids{97, 265, 258};
        // Invalid UTF-8 is kept byte for byte.
        QTest::newRow("invalid UTF-8") << QByteArray("\xff\xc3") << Ids{255, 195};
        QTest::newRow("empty") << QByteArray() << Ids{};
    }
    void gpt2Examples() {
        QFETCH(QByteArray, text);
        QFETCH(Ids, expected);
        const Tokenizer t = parse(byteLevelTokenizerJson(false));
        QCOMPARE(t.kindId(), QStringLiteral("byte-level-bpe"));
        QVERIFY(!t.addsBos());
        QCOMPARE(t.encode(text.toStdString(), true), expected);
        if (!text.contains("<|"))
            QCOMPARE(t.decode(expected), text.toStdString());
    }

    void llama3Examples_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<Ids>("expected");
        // BOS 266 from the post-processor's template. Digits go in threes: "202" | "0".
        QTest::newRow("digit run") << QByteArray("2020") << Ids{266, 260, 50, 48};
        // "x" | " " | "202" | "4" | "!": no space joins the digits.
        QTest::newRow("digits") << QByteArray("x 2024!") << Ids{266, 120, 32, 260, 50, 52, 33};
        QTest::newRow("words") << QByteArray("the the") << Ids{266, 259, 258};
        QTest::newRow("punctuation and spaces")
            << QByteArray("Hello,  world!!")
            << Ids{266, 72, 101, 263, 111, 44, 32, 32, 119, 111, 114, 108, 100, 264};
        // "It" | "'S": the contractions ignore case.
        QTest::newRow("contraction") << QByteArray("It'S") << Ids{266, 73, 116, 39, 83};
        // "a" | "\n\n" | "b": newlines go together.
        QTest::newRow("newlines") << QByteArray("a\n\nb") << Ids{266, 97, 10, 10, 98};
    }
    void llama3Examples() {
        QFETCH(QByteArray, text);
        QFETCH(Ids, expected);
        const Tokenizer t = parse(byteLevelTokenizerJson(true));
        QVERIFY(t.addsBos());
        QCOMPARE(t.bos(), 266);
        QCOMPARE(t.encode(text.toStdString(), true), expected);
    }

    void tokenizerConfigDecidesBos() {
        const Tokenizer t =
            parse(byteLevelTokenizerJson(true),
                  "{\"add_bos_token\": false, \"bos_token\": \"<|begin_of_text|>\"}");
        QVERIFY(!t.addsBos());
        QCOMPARE(t.encode("2020", true), (Ids{260, 50, 48}));
    }

    // GGUF's gpt2 vocabulary type goes through the same encoder.
    void ggufGpt2Vocabulary() {
        QTemporaryDir dir;
        cwbtest::GgufBuilder b;
        b.addString("general.architecture", "llama");
        b.addU32("llama.embedding_length", 8);
        b.addU32("llama.feed_forward_length", 16);
        b.addU32("llama.block_count", 1);
        b.addU32("llama.attention.head_count", 2);
        b.addU32("llama.context_length", 32);
        b.addString("tokenizer.ggml.model", "gpt2");
        b.addString("tokenizer.ggml.pre", "gpt2");
        QList<QByteArray> tokens;
        std::vector<std::int32_t> types;
        for (int i = 0; i < 256; ++i)
            tokens << gpt2Char(i).toUtf8();
        QList<QByteArray> merges;
        for (const auto& [left, right] : kMerges) {
            tokens << gpt2(left + right).toUtf8();
            merges << gpt2(left).toUtf8() + ' ' + gpt2(right).toUtf8();
        }
        tokens << "<|endoftext|>"
               << "<|begin_of_text|>";
        types.assign(std::size_t(tokens.size()), 1);
        types[265] = 4; // user-defined: llama.cpp finds those in any text
        types[266] = 3;
        b.addStringArray("tokenizer.ggml.tokens", tokens);
        b.addI32Array("tokenizer.ggml.token_type", types);
        b.addStringArray("tokenizer.ggml.merges", merges);
        b.addU32("tokenizer.ggml.eos_token_id", 265);
        const std::uint64_t vocab = std::uint64_t(tokens.size());
        b.addTensor("token_embd.weight", {8, vocab});
        b.addTensor("output_norm.weight", {8});
        b.addTensor("output.weight", {8, vocab});
        for (const char* norm : {"blk.0.attn_norm.weight", "blk.0.ffn_norm.weight"})
            b.addTensor(norm, {8});
        for (const char* m : {"blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
                              "blk.0.attn_output.weight"})
            b.addTensor(m, {8, 8});
        b.addTensor("blk.0.ffn_gate.weight", {8, 16});
        b.addTensor("blk.0.ffn_up.weight", {8, 16});
        b.addTensor("blk.0.ffn_down.weight", {16, 8});
        QFile f(dir.filePath(QStringLiteral("gpt2vocab.gguf")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(b.bytes());
        f.close();

        auto model = loadModel(f.fileName());
        QVERIFY2(model, model ? "" : qPrintable(model.error().message));
        const Tokenizer& gguf = (*model)->tokenizer;
        QCOMPARE(gguf.kindName(), QStringLiteral("byte-level BPE"));
        const Tokenizer json = parse(byteLevelTokenizerJson(false));
        for (const char* text :
             {"the the", "x 2024!", "2020", "hi \xf0\x9f\x91\x8b", "caf\xc3\xa9 na\xc3\xafve",
              "Hello,  world!!", "it's", "a\n\nb", "a<|endoftext|> the"})
            QCOMPARE(gguf.encode(text, true), json.encode(text, true));
    }

    void refusesWhatItCannotRun_data() {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unigram") << QByteArray(
                                        "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}")
                                 << "model.type = Unigram is not supported";
        QTest::newRow("wordpiece prefix")
            << QByteArray(
                   "{\"pre_tokenizer\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", "
                   "\"vocab\": {\"a\": 0}, \"merges\": [], \"continuing_subword_prefix\": \"##\"}}")
            << "continuing_subword_prefix is not supported";
        QTest::newRow("unknown normalizer")
            << QByteArray("{\"normalizer\": {\"type\": \"NFKC\"}, \"pre_tokenizer\": {\"type\": "
                          "\"ByteLevel\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, "
                          "\"merges\": []}}")
            << "normalizer step NFKC is not supported";
        QTest::newRow("whitespace BPE")
            << QByteArray("{\"pre_tokenizer\": {\"type\": \"Whitespace\"}, \"model\": {\"type\": "
                          "\"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}")
            << "pre_tokenizer step Whitespace is not supported";
        QTest::newRow("merge outside the vocabulary")
            << QByteArray("{\"pre_tokenizer\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": "
                          "\"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}")
            << "merge 1 (\"a\" + \"b\") joins pieces that are not in the vocabulary";
        QTest::newRow("bad regex")
            << QByteArray("{\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": "
                          "[{\"type\": \"Split\", \"pattern\": {\"Regex\": \"([\"}, "
                          "\"behavior\": \"Isolated\"}, {\"type\": \"ByteLevel\"}]}, "
                          "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}")
            << "is not a valid regular expression";
        QTest::newRow("not JSON") << QByteArray("{") << "not valid JSON";
        QTest::newRow("negative id")
            << QByteArray("{\"pre_tokenizer\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": "
                          "\"BPE\", \"vocab\": {\"a\": -4}, \"merges\": []}}")
            << "is not a whole number";
    }
    void refusesWhatItCannotRun() {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        auto t = parseHfTokenizer(json);
        QVERIFY(!t);
        QVERIFY2(t.error().message.contains(expected), qPrintable(t.error().message));
    }
};

QTEST_GUILESS_MAIN(TestHfTokenizer)
#include "tst_hftokenizer.moc"
