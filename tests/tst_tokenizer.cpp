// SPDX-License-Identifier: GPL-3.0-or-later
#include "testassets.h"

#include "llama2c.h"
#include "mappedfile.h"
#include "model.h"
#include "textfile.h"

#include <QTest>

#include <map>

using namespace cwb;

namespace {

Tokenizer loadTok(const QString& path, int vocab) {
    auto file = MappedFile::open(path);
    if (!file)
        qFatal("%s", qPrintable(file.error().message));
    auto tok = loadLlama2cTokenizer(file.value()->bytes(), vocab);
    if (!tok)
        qFatal("%s", qPrintable(tok.error().message));
    return std::move(tok.value());
}

bool isBytePiece(const std::string& p) {
    return p.size() == 6 && p.rfind("<0x", 0) == 0 && p[5] == '>';
}

// llama2.c's encode() as written there: look every character up, then repeatedly scan all
// adjacent pairs for the best-scoring merge (leftmost on ties). Quadratic, obviously right.
std::vector<std::int32_t> referenceEncode(const Tokenizer& t, const std::string& text) {
    std::map<std::string, std::int32_t> lookup;
    for (std::int32_t id = t.vocabSize() - 1; id >= 0; --id) // lowest id wins, as in ours
        if (t.kind(id) == TokenKind::Normal && id != t.bos() && id != t.eos() && id != t.unk() &&
            !isBytePiece(t.piece(id)) && !t.piece(id).empty())
            lookup[t.piece(id)] = id;
    std::map<int, std::int32_t> byteToken;
    for (std::int32_t id = t.vocabSize() - 1; id >= 0; --id)
        if (isBytePiece(t.piece(id)))
            byteToken[std::stoi(t.piece(id).substr(3, 2), nullptr, 16)] = id;

    std::vector<std::int32_t> ids{t.bos()};
    std::vector<std::string> texts{""};
    std::vector<bool> mergeable{false};
    const std::string s = " " + text;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 1;
        while (i + len < s.size() && len < 4 && (std::uint8_t(s[i + len]) & 0xc0) == 0x80)
            ++len;
        const std::string ch = s.substr(i, len);
        if (auto it = lookup.find(ch); it != lookup.end()) {
            ids.push_back(it->second);
            texts.push_back(ch);
            mergeable.push_back(true);
        } else if (!byteToken.empty()) {
            for (char b : ch) {
                ids.push_back(byteToken.at(std::uint8_t(b)));
                texts.push_back(std::string(1, b));
                mergeable.push_back(false);
            }
        } else {
            ids.push_back(t.unk());
            texts.push_back(ch);
            mergeable.push_back(false);
        }
        i += len;
    }
    for (;;) {
        float best = -1e10f;
        int bestIdx = -1;
        std::int32_t bestId = -1;
        for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
            if (!mergeable[i] || !mergeable[i + 1])
                continue;
            auto it = lookup.find(texts[i] + texts[i + 1]);
            if (it != lookup.end() && t.score(it->second) > best) {
                best = t.score(it->second);
                bestIdx = int(i);
                bestId = it->second;
            }
        }
        if (bestIdx < 0)
            break;
        ids[std::size_t(bestIdx)] = bestId;
        texts[std::size_t(bestIdx)] += texts[std::size_t(bestIdx) + 1];
        ids.erase(ids.begin() + bestIdx + 1);
        texts.erase(texts.begin() + bestIdx + 1);
        mergeable.erase(mergeable.begin() + bestIdx + 1);
    }
    return ids;
}

QList<std::string> validationStories(int count) {
    auto text = readTextFile(cwbtest::validationText());
    QList<std::string> stories;
    for (const QByteArray& part : text->split('<')) {
        const QByteArray story = part.trimmed();
        if (story.size() > 20)
            stories << story.toStdString();
        if (stories.size() == count)
            break;
    }
    return stories;
}

} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

private slots:
    void goldenPromptIds() {
        const Tokenizer t = loadTok(cwbtest::asset("stories260K/tok512.bin"), 512);
        const auto ids = t.encode("Once upon a time", true);
        QCOMPARE(ids, (std::vector<std::int32_t>{1, 403, 407, 261, 378}));
    }

    void goldenGreedyTextDecodes() {
        const Tokenizer t = loadTok(cwbtest::asset("stories260K/tok512.bin"), 512);
        const std::vector<std::int32_t> ids = {
            432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
            410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394};
        QCOMPARE(QString::fromStdString(t.decode(ids)),
                 QStringLiteral(", there was a little girl named Lily. She loved to play outside "
                                "in the park. One day, she saw"));
    }

    void priorityQueueMergeEqualsLlama2cScan_data() {
        QTest::addColumn<QString>("tokenizer");
        QTest::addColumn<int>("vocab");
        QTest::newRow("tok512, byte fallback") << QStringLiteral("stories260K/tok512.bin") << 512;
        QTest::newRow("tok105, no byte tokens")
            << QStringLiteral("babyllama-tok105/tok105.bin") << 105;
    }
    void priorityQueueMergeEqualsLlama2cScan() {
        QFETCH(QString, tokenizer);
        QFETCH(int, vocab);
        const Tokenizer t = loadTok(cwbtest::asset(tokenizer), vocab);
        auto stories = validationStories(150);
        stories << "caf\xc3\xa9 na\xc3\xafve \xe2\x98\x83 \xf0\x9f\x98\x80 \"quoted\" \t tabs\r\n"
                << "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                << "  leading spaces"
                << "x";
        for (const std::string& s : stories)
            QCOMPARE(t.encode(s, true), referenceEncode(t, s));
    }

    void roundTripThroughBytes() {
        const Tokenizer t = loadTok(cwbtest::asset("stories260K/tok512.bin"), 512);
        const std::string texts[] = {
            "Plain text. With \"quotes\", numbers 1234 and\nnew lines.",
            "Wiki @-@ style \xe2\x80\x93 dashes, caf\xc3\xa9, \xe6\x97\xa5\xe6\x9c\xac, "
            "\xf0\x9f\x98\x80\r\n",
        };
        for (const std::string& s : texts)
            QCOMPARE(t.decode(t.encode(s, true)), s);
    }

    void invalidUtf8IsEncodedBytewiseNotReadPast() {
        const Tokenizer t = loadTok(cwbtest::asset("stories260K/tok512.bin"), 512);
        const std::string bad("ab\xff\xc3", 4); // a stray byte, then a cut-off character
        const auto ids = t.encode(bad, false);
        QVERIFY(!ids.empty());
        QCOMPARE(t.decode(ids), std::string(" ") + bad); // the dummy space stays without BOS
    }

    void unknownCharactersWithoutByteTokensBecomeUnk() {
        const Tokenizer t = loadTok(cwbtest::asset("babyllama-tok105/tok105.bin"), 105);
        QVERIFY(!t.hasByteFallback());
        const auto ids = t.encode("a \xe2\x98\x83 b \xf0\x9f\x98\x80", true);
        QCOMPARE(std::count(ids.begin(), ids.end(), t.unk()), 2);
        for (auto id : ids)
            QVERIFY(id >= 0 && id < t.vocabSize());
    }

    void ggufVocabularyEncodesLikeTokenizerBin() {
        auto model = loadModel(cwbtest::stories260KGguf());
        QVERIFY2(model.ok(), qPrintable(model ? QString() : model.error().message));
        const Tokenizer bin = loadTok(cwbtest::asset("stories260K/tok512.bin"), 512);
        const Tokenizer& gguf = (*model)->tokenizer;
        for (const std::string& s : validationStories(40))
            QCOMPARE(gguf.encode(s, true), bin.encode(s, true));
        QCOMPARE(gguf.bos(), 1);
        QCOMPARE(gguf.eos(), 2);
        QVERIFY(gguf.hasByteFallback());
    }

    void emptyTextGivesOnlyBos() {
        const Tokenizer t = loadTok(cwbtest::asset("stories260K/tok512.bin"), 512);
        QCOMPARE(t.encode("", true), std::vector<std::int32_t>{1});
        QVERIFY(t.encode("", false).empty());
    }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
