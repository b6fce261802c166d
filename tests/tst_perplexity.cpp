// SPDX-License-Identifier: GPL-3.0-or-later
#include "golden.h"
#include "testassets.h"

#include "engine.h"
#include "evaluation.h"
#include "model.h"
#include "textfile.h"

#include <QTest>

#include <cmath>

using namespace cwb;

namespace {

std::shared_ptr<const Model> mustLoad(const QString& path) {
    auto m = loadModel(path);
    if (!m)
        qFatal("%s", qPrintable(m.error().message));
    return m.value();
}

QByteArray validation() {
    auto text = readTextFile(cwbtest::validationText());
    if (!text)
        qFatal("%s", qPrintable(text.error().message));
    return text.value();
}

PerplexityResult mustEvaluate(const Model& m, const QByteArray& text, const EvalOptions& o) {
    auto r = evaluatePerplexity(m, text, o);
    if (!r)
        qFatal("%s", qPrintable(r.error().message));
    return r.value();
}

EvalOptions documents(std::int64_t maxTokens) {
    EvalOptions o;
    o.split = SplitMode::Documents;
    o.ctx = 512;
    o.maxTokens = maxTokens;
    o.threads = 2;
    return o;
}

std::unique_ptr<Engine> engineFor(const Model& m) {
    auto w = WeightSet::fromModel(m);
    auto e = Engine::create(std::move(w.value()), EngineOptions{2});
    return std::move(e.value());
}

} // namespace

class TestPerplexity : public QObject {
    Q_OBJECT

private slots:
    void documentsMatchRunC_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<qint64>("tokens");
        const cwbtest::Golden g = cwbtest::readGolden();
        QVERIFY(g.pplAfterTokens.count(10000));
        for (qint64 n : {qint64(1000), qint64(10000)}) {
            QTest::addRow("llama2.c, %lld tokens", n) << cwbtest::stories260KBin() << n;
            QTest::addRow("GGUF, %lld tokens", n) << cwbtest::stories260KGguf() << n;
        }
    }
    void documentsMatchRunC() {
        QFETCH(QString, path);
        QFETCH(qint64, tokens);
        const double expected = cwbtest::readGolden().pplAfterTokens.at(tokens);
        const auto r = mustEvaluate(*mustLoad(path), validation(), documents(tokens));
        QCOMPARE(r.tokensScored, tokens);
        qInfo("PPL %.6f (run.c %.6f), relative error %.2g", r.ppl, expected,
              std::abs(r.ppl / expected - 1));
        QVERIFY(std::abs(r.ppl / expected - 1) < 1e-5);
        QVERIFY(r.pplStderr > 0 && r.pplStderr < r.ppl);
    }

    void chunksCountLikeLlamaCpp() {
        const auto m = mustLoad(cwbtest::stories260KBin());
        EvalOptions o;
        o.ctx = 128;
        o.maxChunks = 10;
        o.threads = 2;
        auto plan = planEvaluation(*m, validation(), o);
        QVERIFY(plan);
        QCOMPARE(plan->sequences.size(), std::size_t(10));
        const auto all = m->tokenizer.encode(validation().toStdString(), true);
        for (std::size_t i = 0; i < plan->sequences.size(); ++i) {
            const EvalSequence& s = plan->sequences[i];
            QCOMPARE(s.tokens.size(), std::size_t(128));
            QCOMPARE(s.tokens[0], m->tokenizer.bos()); // the first token of every chunk is BOS
            QVERIFY(std::equal(s.tokens.begin() + 1, s.tokens.end(),
                               all.begin() + std::ptrdiff_t(i * 128 + 1)));
            QCOMPARE(s.scoreFrom, 64);
            QCOMPARE(s.scoreTo, 127); // 127 - 64 = 63 predictions: N - 1 - N/2
        }
        const auto r = mustEvaluate(*m, validation(), o);
        QCOMPARE(r.tokensScored, std::int64_t(10 * 63));
        QVERIFY(std::isfinite(r.ppl) && r.ppl > 1);
    }

    void chunksDocumentsPrefillAndDecodeAgree() {
        // The same tokens run as a llama.cpp chunk, as a document, and token by token give the
        // same logits at every position the chunk scores.
        const auto m = mustLoad(cwbtest::stories260KBin());
        EvalOptions o;
        o.ctx = 256;
        o.maxChunks = 1;
        auto chunkPlan = planEvaluation(*m, validation(), o);
        QVERIFY(chunkPlan);
        const EvalSequence chunk = chunkPlan->sequences.front();

        EvalPlan documentPlan;
        documentPlan.ctx = 256;
        documentPlan.sequences.push_back({chunk.tokens, 0, int(chunk.tokens.size()) - 1});
        documentPlan.scoredTokens = 255;

        auto engine = engineFor(*m);
        std::vector<std::vector<float>> fromChunk, fromDocument;
        std::vector<std::int32_t> chunkTargets;
        QVERIFY(runPlan(*engine, *chunkPlan, {}, [&](std::span<const float> l, std::int32_t next) {
            fromChunk.emplace_back(l.begin(), l.end());
            chunkTargets.push_back(next);
        }));
        QVERIFY(runPlan(*engine, documentPlan, {}, [&](std::span<const float> l, std::int32_t) {
            fromDocument.emplace_back(l.begin(), l.end());
        }));
        QCOMPARE(fromChunk.size(), std::size_t(127));
        QCOMPARE(fromDocument.size(), std::size_t(255));

        KvCache cache(engine->config(), 256);
        std::vector<std::vector<float>> decoded;
        std::vector<float> logits;
        for (std::int32_t t : chunk.tokens) {
            QVERIFY(engine->forward(cache, std::span(&t, 1), 0, logits));
            decoded.push_back(logits);
        }
        float worst = 0;
        for (std::size_t i = 0; i < fromChunk.size(); ++i) {
            const std::size_t position = 128 + i;
            QCOMPARE(chunkTargets[i], chunk.tokens[position + 1]);
            for (std::size_t v = 0; v < 512; ++v) {
                worst = std::max(worst, std::abs(fromChunk[i][v] - fromDocument[position][v]));
                worst = std::max(worst, std::abs(fromChunk[i][v] - decoded[position][v]));
            }
        }
        qInfo("largest logit difference between chunk, document and decode paths: %.3g",
              double(worst));
        QVERIFY(worst < 1e-4f);
    }

    void deterministic() {
        const auto m = mustLoad(cwbtest::stories260KBin());
        EvalOptions o;
        o.ctx = 128;
        o.maxChunks = 20;
        o.threads = 2;
        const auto a = mustEvaluate(*m, validation(), o);
        const auto b = mustEvaluate(*m, validation(), o);
        QCOMPARE(a.ppl, b.ppl); // bit for bit
        QCOMPARE(a.pplStderr, b.pplStderr);
        QCOMPARE(a.nllMean, b.nllMean);
    }

    void progressAndCancel() {
        const auto m = mustLoad(cwbtest::stories260KBin());
        std::atomic<bool> cancel{false};
        QList<double> fractions;
        Progress p;
        p.cancel = &cancel;
        p.report = [&](double f, const QString&) {
            fractions << f;
            if (f > 0.3)
                cancel = true;
        };
        auto r = evaluatePerplexity(*m, validation(), documents(20000), p);
        QVERIFY(!r);
        QVERIFY(r.error().cancelled());
        QVERIFY(fractions.last() < 0.5);
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));

        fractions.clear();
        cancel = false;
        p.report = [&](double f, const QString&) { fractions << f; };
        QVERIFY(evaluatePerplexity(*m, validation(), documents(2000), p));
        QCOMPARE(fractions.last(), 1.0);
    }

    void warnsWhenContextExceedsTheModels() {
        const auto m =
            mustLoad(cwbtest::asset(QStringLiteral("stories260K-llamacpp/stories260K.f32.gguf")));
        EvalOptions o;
        o.ctx = 256; // the file says 128
        o.maxChunks = 1;
        const auto r = mustEvaluate(*m, validation(), o);
        QCOMPARE(r.warnings.size(), 1);
        QVERIFY(r.warnings.first().contains(QLatin1String("128")));
    }

    void wholeValidationText() {
        // All 1000 stories: ASSETS.md's second reference number.
        const cwbtest::Golden g = cwbtest::readGolden();
        const auto r =
            mustEvaluate(*mustLoad(cwbtest::stories260KBin()), validation(), documents(0));
        QCOMPARE(double(r.tokensScored), g.pplAfterTokens.at(-2));
        qInfo("PPL %.6f over %lld tokens (run.c %.6f), %.0f tokens/s", r.ppl,
              static_cast<long long>(r.tokensScored), g.pplAfterTokens.at(-1), r.tokensPerSecond);
        QVERIFY(std::abs(r.ppl / g.pplAfterTokens.at(-1) - 1) < 1e-5);
    }
};

QTEST_GUILESS_MAIN(TestPerplexity)
#include "tst_perplexity.moc"
