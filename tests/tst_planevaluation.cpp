// SPDX-License-Identifier: GPL-3.0-or-later
#include "testassets.h"

#include "evaluation.h"
#include "model.h"
#include "planevaluation.h"
#include "textfile.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace cwb;

namespace {

std::shared_ptr<const Model> demo() {
    auto m = loadModel(cwbtest::stories260KBin());
    if (!m)
        qFatal("%s", qPrintable(m.error().message));
    return m.value();
}

QByteArray validation() {
    return readTextFile(cwbtest::validationText()).value();
}

Plan uniform(PrecisionId id) {
    Plan p;
    p.defaultPrecision = id;
    return p;
}

PlanEvaluationOptions options(const QString& cacheDir, std::int64_t maxTokens) {
    PlanEvaluationOptions o;
    o.eval.split = SplitMode::Documents;
    o.eval.maxTokens = maxTokens;
    o.eval.threads = 2;
    o.cacheDir = cacheDir;
    return o;
}

PlanEvaluation mustEvaluate(const Model& m, const QByteArray& text, const Plan& plan,
                            const PlanEvaluationOptions& o) {
    auto r = evaluatePlan(m, text, plan, o);
    if (!r)
        qFatal("%s", qPrintable(r.error().message));
    return r.value();
}

} // namespace

class TestPlanEvaluation : public QObject {
    Q_OBJECT

    QTemporaryDir m_cache;

private slots:
    void fp32PlanIsTheBaselineExactly() {
        const auto model = demo();
        const auto e = mustEvaluate(*model, validation(), uniform(PrecisionId::Fp32),
                                    options(m_cache.path(), 5000));
        QCOMPARE(e.metrics.tokens, std::int64_t(5000));
        QCOMPARE(e.metrics.kldMean, 0.0);
        QCOMPARE(e.metrics.kldMax, 0.0);
        QCOMPARE(e.metrics.top1Agreement, 1.0);
        QCOMPARE(e.metrics.pplRatio, 1.0);
        QCOMPARE(e.metrics.ppl, e.metrics.basePpl);
        QCOMPARE(e.size.totalBytes, e.baselineSize.totalBytes);
        // The same PPL as the plain evaluation of the same tokens.
        EvalOptions plain = options({}, 5000).eval;
        auto p = evaluatePerplexity(*model, validation(), plain);
        QVERIFY(p);
        QVERIFY(std::abs(p->ppl / e.metrics.basePpl - 1) < 1e-12);
    }

    void int8LosesAlmostNothing() {
        const auto e = mustEvaluate(*demo(), validation(), uniform(PrecisionId::Int8),
                                    options(m_cache.path(), 50000));
        qInfo("int8: mean KLD %.6f, top-1 %.4f, PPL %.4f vs %.4f, %.2f bpw", e.metrics.kldMean,
              e.metrics.top1Agreement, e.metrics.ppl, e.metrics.basePpl, e.size.bitsPerWeight);
        QVERIFY(e.metrics.kldMean > 0);
        QVERIFY(e.metrics.kldMean < 0.002);
        QVERIFY(e.metrics.kldMedian <= e.metrics.kldP99 && e.metrics.kldP99 <= e.metrics.kldMax);
        QVERIFY(e.metrics.top1Agreement > 0.95);
        QVERIFY(e.size.totalBytes < e.baselineSize.totalBytes / 3);
    }

    void fewerBitsLoseMore() {
        const auto model = demo();
        double previousKld = 0;
        std::uint64_t previousSize = UINT64_MAX;
        for (PrecisionId id : {PrecisionId::Int8, PrecisionId::Int4G32, PrecisionId::Int2G16}) {
            const auto e =
                mustEvaluate(*model, validation(), uniform(id), options(m_cache.path(), 5000));
            qInfo("%s: mean KLD %.5f, PPL %.3f, %.2f bpw", precisionInfo(id).name,
                  e.metrics.kldMean, e.metrics.ppl, e.size.bitsPerWeight);
            QVERIFY(e.metrics.kldMean > previousKld);
            QVERIFY(e.size.totalBytes < previousSize);
            previousKld = e.metrics.kldMean;
            previousSize = e.size.totalBytes;
        }
    }

    void baselineIsCachedAndReused() {
        QTemporaryDir cache;
        const auto model = demo();
        const auto o = options(cache.path(), 3000);
        const auto cold = mustEvaluate(*model, validation(), uniform(PrecisionId::Int4G32), o);
        QVERIFY(!cold.baselineFromCache);
        QCOMPARE(QDir(cache.path()).entryList(QDir::Files).size(), 1);
        const auto warm = mustEvaluate(*model, validation(), uniform(PrecisionId::Int4G32), o);
        QVERIFY(warm.baselineFromCache);
        QCOMPARE(warm.metrics.kldMean, cold.metrics.kldMean); // bit for bit
        QCOMPARE(warm.metrics.basePpl, cold.metrics.basePpl);
        QCOMPARE(warm.metrics.ppl, cold.metrics.ppl);

        // Another text, another context or a truncated cache file: recomputed, never trusted.
        QByteArray other = validation();
        other.replace("Spot", "Spat");
        QVERIFY(!mustEvaluate(*model, other, uniform(PrecisionId::Int8), o).baselineFromCache);
        auto shorter = o;
        shorter.eval.ctx = 256;
        QVERIFY(!mustEvaluate(*model, validation(), uniform(PrecisionId::Int8), shorter)
                     .baselineFromCache);
        for (const QString& name : QDir(cache.path()).entryList(QDir::Files)) {
            QFile f(QDir(cache.path()).filePath(name));
            QVERIFY(f.resize(f.size() / 2));
        }
        const auto again = mustEvaluate(*model, validation(), uniform(PrecisionId::Int4G32), o);
        QVERIFY(!again.baselineFromCache);
        QCOMPARE(again.metrics.kldMean, cold.metrics.kldMean);
    }

    void unwritableCacheStillEvaluates() {
        const auto e = mustEvaluate(*demo(), validation(), uniform(PrecisionId::Int8),
                                    options(QStringLiteral("/proc/no-such-cache"), 1000));
        QVERIFY(!e.baselineFromCache);
        QVERIFY(e.metrics.kldMean > 0);
        QVERIFY(std::any_of(e.warnings.begin(), e.warnings.end(), [](const QString& w) {
            return w.contains(QLatin1String("kept in memory"));
        }));
    }

    void cancelStopsIt() {
        std::atomic<bool> cancel{true};
        Progress p;
        p.cancel = &cancel;
        auto r = evaluatePlan(*demo(), validation(), uniform(PrecisionId::Int8),
                              options(m_cache.path(), 1000), p);
        QVERIFY(!r);
        QVERIFY(r.error().cancelled());
    }
};

QTEST_GUILESS_MAIN(TestPlanEvaluation)
#include "tst_planevaluation.moc"
