// SPDX-License-Identifier: GPL-3.0-or-later
#include "golden.h"
#include "testassets.h"

#include "engine.h"
#include "model.h"

#include <QTest>

#include <algorithm>
#include <cmath>

using namespace cwb;

namespace {

std::unique_ptr<Engine> engineFor(const QString& path, int threads = 2) {
    auto model = loadModel(path);
    if (!model)
        qFatal("%s", qPrintable(model.error().message));
    auto weights = WeightSet::fromModel(**model);
    if (!weights)
        qFatal("%s", qPrintable(weights.error().message));
    auto engine = Engine::create(std::move(weights.value()), EngineOptions{threads});
    if (!engine)
        qFatal("%s", qPrintable(engine.error().message));
    return std::move(engine.value());
}

std::vector<float> prefill(Engine& e, const std::vector<std::int32_t>& tokens) {
    KvCache cache(e.config(), 512);
    std::vector<float> logits;
    auto r = e.forward(cache, tokens, 0, logits);
    if (!r)
        qFatal("%s", qPrintable(r.error().message));
    return logits;
}

std::vector<float> decodeOneByOne(Engine& e, const std::vector<std::int32_t>& tokens) {
    KvCache cache(e.config(), 512);
    std::vector<float> all, logits;
    for (std::int32_t t : tokens) {
        auto r = e.forward(cache, std::span(&t, 1), 0, logits);
        if (!r)
            qFatal("%s", qPrintable(r.error().message));
        all.insert(all.end(), logits.begin(), logits.end());
    }
    return all;
}

float maxAbsDifference(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size())
        return INFINITY;
    float worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(a[i] - b[i]));
    return worst;
}

std::vector<std::int32_t> someTokens(int n) {
    auto model = loadModel(cwbtest::stories260KBin());
    const std::string text = "Once upon a time, there was a little girl named Lily. She loved to "
                             "play outside in the park with her friends. One day, she saw a big "
                             "red ball under a tree and she ran to get it. Her mom smiled.";
    auto ids = (*model)->tokenizer.encode(text, true);
    while (int(ids.size()) < n)
        ids.insert(ids.end(), ids.begin() + 1, ids.end());
    ids.resize(std::size_t(n));
    return ids;
}

} // namespace

class TestForward : public QObject {
    Q_OBJECT

private slots:
    void logitsMatchRunC_data() {
        QTest::addColumn<QString>("path");
        QTest::newRow("llama2.c checkpoint") << cwbtest::stories260KBin();
        QTest::newRow("GGUF") << cwbtest::stories260KGguf();
    }
    void logitsMatchRunC() {
        QFETCH(QString, path);
        const cwbtest::Golden g = cwbtest::readGolden();
        QCOMPARE(g.logits.size(), std::size_t(4));
        auto engine = engineFor(path);
        const std::vector<std::int32_t> inputs(g.promptIds.begin(), g.promptIds.begin() + 4);
        const auto logits = prefill(*engine, inputs);
        float worst = 0;
        for (std::size_t p = 0; p < 4; ++p)
            for (std::size_t i = 0; i < 512; ++i)
                worst = std::max(worst, std::abs(logits[p * 512 + i] - g.logits[p][i]));
        qInfo("largest |logit - run.c| at positions 0-3: %.3g", double(worst));
        QVERIFY(worst < 1e-4f);
    }

    void greedyContinuationMatchesRunC() {
        const cwbtest::Golden g = cwbtest::readGolden();
        auto engine = engineFor(cwbtest::stories260KBin());
        KvCache cache(engine->config(), 512);
        std::vector<float> logits;
        QVERIFY(engine->forward(cache, g.promptIds, int(g.promptIds.size()) - 1, logits));
        std::vector<std::int32_t> generated;
        for (int step = 0; step < 32; ++step) {
            const auto next =
                std::int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
            generated.push_back(next);
            QVERIFY(engine->forward(cache, std::span(&next, 1), 0, logits));
        }
        QCOMPARE(generated, g.greedyIds);
    }

    void prefillEqualsTokenByTokenDecode() {
        auto engine = engineFor(cwbtest::stories260KBin());
        const auto tokens = someTokens(300);
        const float diff =
            maxAbsDifference(prefill(*engine, tokens), decodeOneByOne(*engine, tokens));
        qInfo("largest |prefill - decode| over 300 positions: %.3g", double(diff));
        QVERIFY(diff < 1e-4f);
    }

    void prefillInPiecesEqualsOnePrefill() {
        auto engine = engineFor(cwbtest::stories260KBin());
        const auto tokens = someTokens(200);
        KvCache cache(engine->config(), 512);
        std::vector<float> first, second;
        QVERIFY(engine->forward(cache, std::span(tokens).first(120), 0, first));
        QVERIFY(engine->forward(cache, std::span(tokens).subspan(120), 0, second));
        QCOMPARE(cache.length(), 200);
        first.insert(first.end(), second.begin(), second.end());
        QVERIFY(maxAbsDifference(first, prefill(*engine, tokens)) < 1e-4f);
    }

    void logitsFromSkipsEarlierRows() {
        auto engine = engineFor(cwbtest::stories260KBin());
        const auto tokens = someTokens(64);
        const auto all = prefill(*engine, tokens);
        KvCache cache(engine->config(), 512);
        std::vector<float> tail;
        QVERIFY(engine->forward(cache, tokens, 32, tail));
        QCOMPARE(tail.size(), std::size_t(32 * 512));
        QVERIFY(std::equal(tail.begin(), tail.end(), all.begin() + 32 * 512));
    }

    void deterministicForTheSameThreads() {
        auto a = engineFor(cwbtest::stories260KBin(), 2);
        auto b = engineFor(cwbtest::stories260KBin(), 2);
        const auto tokens = someTokens(256);
        QVERIFY(prefill(*a, tokens) == prefill(*b, tokens));
        QVERIFY(prefill(*a, tokens) == prefill(*a, tokens));
        auto single = engineFor(cwbtest::stories260KBin(), 1);
        QVERIFY(maxAbsDifference(prefill(*single, tokens), prefill(*a, tokens)) < 1e-4f);
    }

    void rejectsBadCalls() {
        auto engine = engineFor(cwbtest::stories260KBin());
        KvCache cache(engine->config(), 8);
        std::vector<float> logits;
        const std::vector<std::int32_t> outside{1, 512};
        auto r = engine->forward(cache, outside, 0, logits);
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QLatin1String("outside the vocabulary")));
        QCOMPARE(cache.length(), 0);
        const std::vector<std::int32_t> nine(9, 1);
        r = engine->forward(cache, nine, 0, logits);
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QLatin1String("exceed the context")));
        QVERIFY(!engine->forward(cache, {}, 0, logits));
    }
};

QTEST_GUILESS_MAIN(TestForward)
#include "tst_forward.moc"
