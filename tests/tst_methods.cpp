// SPDX-License-Identifier: GPL-3.0-or-later
// Calibrated methods on stories260K, calibrated on the TinyStories training sample and evaluated
// on the validation text, as the calibration issue states its criteria.
#include "testassets.h"

#include "calibration.h"
#include "model.h"
#include "planevaluation.h"
#include "textfile.h"

#include <QTemporaryDir>
#include <QTest>

using namespace cwb;

class TestMethods : public QObject {
    Q_OBJECT

    QTemporaryDir m_cache;
    std::shared_ptr<const Model> m_model;
    QByteArray m_validation;
    std::optional<CalibrationStats> m_stats;
    double m_gptqKld = -1;

    PlanEvaluation evaluate(const QByteArray& planJson, const CalibrationStats* stats) {
        auto plan = parsePlan(planJson);
        if (!plan)
            qFatal("%s", qPrintable(plan.error().message));
        PlanEvaluationOptions o;
        o.eval.split = SplitMode::Documents;
        o.eval.maxTokens = 10000;
        o.eval.threads = 2;
        o.cacheDir = m_cache.path();
        o.stats = stats;
        auto r = evaluatePlan(*m_model, m_validation, *plan, o);
        if (!r)
            qFatal("%s", qPrintable(r.error().message));
        return r.value();
    }

    static CalibrationStats calibrateOn(const Model& model, const QString& asset,
                                        int sequences = 128, bool hessians = true) {
        auto text = readCalibrationText(cwbtest::asset(asset));
        CalibrationOptions o;
        o.threads = 2;
        o.sequences = sequences;
        o.hessians = hessians;
        auto stats = calibrate(model, text.value(), o);
        if (!stats)
            qFatal("%s", qPrintable(stats.error().message));
        return std::move(stats.value());
    }

private slots:
    void initTestCase() {
        m_model = loadModel(cwbtest::stories260KBin()).value();
        m_validation = readTextFile(cwbtest::validationText()).value();
        m_stats = calibrateOn(
            *m_model, QStringLiteral("tinystories-train-2MiB/tinystories_train_first2MiB.txt"));
    }

    void gptqAndAwqBeatRoundToNearest() {
        const auto rtn = evaluate("{\"default\": \"int4_g32\"}", nullptr);
        const auto gptq = evaluate(
            "{\"default\": \"int4_g32\", \"calibration\": {\"method\": \"gptq\"}}", &*m_stats);
        const auto awq = evaluate(
            "{\"default\": \"int4_g32\", \"calibration\": {\"method\": \"awq\"}}", &*m_stats);
        qInfo("int4_g32 mean KLD: rtn %.5f, gptq %.5f (%.3fx), awq %.5f (%.3fx)",
              rtn.metrics.kldMean, gptq.metrics.kldMean, gptq.metrics.kldMean / rtn.metrics.kldMean,
              awq.metrics.kldMean, awq.metrics.kldMean / rtn.metrics.kldMean);
        QCOMPARE(gptq.size.totalBytes, rtn.size.totalBytes); // same size
        m_gptqKld = gptq.metrics.kldMean;
        QVERIFY(gptq.metrics.kldMean <= 0.6 * rtn.metrics.kldMean);
        QVERIFY(awq.metrics.kldMean < rtn.metrics.kldMean);
        QVERIFY(!awq.methodReports.empty());
    }

    void smoothQuantHelpsW8A8AndReportsItsAlphas() {
        const auto plain = evaluate("{\"default\": \"w8a8\"}", nullptr);
        const auto smooth = evaluate("{\"default\": \"w8a8\", \"calibration\": {\"method\": "
                                     "\"smoothquant\", \"smoothquant_alpha\": \"search\"}}",
                                     &*m_stats);
        qInfo("w8a8 mean KLD: plain %.6f, smoothquant %.6f", plain.metrics.kldMean,
              smooth.metrics.kldMean);
        QVERIFY(smooth.metrics.kldMean <= plain.metrics.kldMean);
        // One searched α per block input (the tied classifier cannot be scaled).
        QCOMPARE(smooth.methodReports.size(), std::size_t(5 * 4));
        for (const MethodReport& r : smooth.methodReports) {
            QVERIFY(r.searched);
            QVERIFY(r.alpha >= 0 && r.alpha <= 1);
            QVERIFY(r.errorMethod <= r.errorRtn);
        }
        const auto fixed = evaluate("{\"default\": \"w8a8\", \"calibration\": {\"method\": "
                                    "\"smoothquant\", \"smoothquant_alpha\": 0.5}}",
                                    &*m_stats);
        for (const MethodReport& r : fixed.methodReports) {
            QVERIFY(!r.searched);
            QCOMPARE(r.alpha, 0.5);
        }
    }

    void mismatchedCalibrationTextIsFlagged() {
        const char* plan = "{\"default\": \"int8\", \"calibration\": {\"method\": \"awq\"}}";
        const auto same = evaluate(plan, &*m_stats);
        QVERIFY(same.mismatch && !same.mismatch->mismatched);
        const CalibrationStats kjv =
            calibrateOn(*m_model, QStringLiteral("kjv-bible/kjv.txt"), 32, false);
        const auto other = evaluate(plan, &kjv);
        qInfo("Jensen-Shannon: TinyStories %.3f bits, KJV %.3f bits (threshold %.2f)",
              same.mismatch->divergenceBits, other.mismatch->divergenceBits,
              other.mismatch->thresholdBits);
        QVERIFY(other.mismatch && other.mismatch->mismatched);
        QVERIFY(std::any_of(other.warnings.begin(), other.warnings.end(), [](const QString& w) {
            return w.contains(QLatin1String("unlike the evaluation text"));
        }));
    }

    void methodsNeedMatchingStatistics() {
        auto plan =
            parsePlan("{\"default\": \"int4_g32\", \"calibration\": {\"method\": \"gptq\"}}")
                .value();
        PlanEvaluationOptions o;
        o.eval.maxTokens = 500;
        o.cacheDir = m_cache.path();
        auto none = evaluatePlan(*m_model, m_validation, plan, o);
        QVERIFY(!none);
        QVERIFY2(none.error().message.contains(QLatin1String("calibrate first")),
                 qPrintable(none.error().message));
        CalibrationStats other = *m_stats;
        other.modelSha256 = QStringLiteral("0123456789abcdef");
        o.stats = &other;
        auto wrong = evaluatePlan(*m_model, m_validation, plan, o);
        QVERIFY(!wrong);
        QVERIFY(wrong.error().message.contains(QLatin1String("another model")));
    }

    void deterministic() {
        // The same statistics and plan give bit-identical metrics (the first run is the one above).
        const char* plan = "{\"default\": \"int4_g32\", \"calibration\": {\"method\": \"gptq\"}}";
        QCOMPARE(evaluate(plan, &*m_stats).metrics.kldMean, m_gptqKld);
    }
};

QTEST_GUILESS_MAIN(TestMethods)
#include "tst_methods.moc"
