// SPDX-License-Identifier: GPL-3.0-or-later
// The speed path (every matrix packed, as `cwb bench` runs a plan) computes what the accuracy
// path (dequantized weights on oneDNN's f32 matmul, exact) computes, within what the packed
// kernels' arithmetic allows; synthetic models build without their f32 weights.
#include "testassets.h"

#include "benchmark.h"
#include "engine.h"
#include "model.h"
#include "modelshapes.h"
#include "weightset.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>

using namespace cwb;

namespace {

std::vector<float> logitsOf(WeightSet weights, const std::vector<std::int32_t>& tokens,
                            bool tokenByToken) {
    auto engine = Engine::create(std::move(weights), EngineOptions{2});
    if (!engine)
        qFatal("%s", qPrintable(engine.error().message));
    KvCache cache((*engine)->config(), 512);
    std::vector<float> all, logits;
    if (!tokenByToken) {
        if (!(*engine)->forward(cache, tokens, 0, all))
            qFatal("forward failed");
        return all;
    }
    for (std::int32_t t : tokens) {
        if (!(*engine)->forward(cache, std::span(&t, 1), 0, logits))
            qFatal("forward failed");
        all.insert(all.end(), logits.begin(), logits.end());
    }
    return all;
}

} // namespace

class TestSpeedPath : public QObject {
    Q_OBJECT

    std::shared_ptr<const Model> m_model;
    std::vector<std::int32_t> m_tokens;

private slots:
    void initTestCase() {
        auto m = loadModel(cwbtest::stories260KBin());
        QVERIFY(m);
        m_model = m.value();
        m_tokens =
            m_model->tokenizer.encode("Once upon a time, there was a little girl named Lily. She "
                                      "loved to play outside in the park with her big red ball.",
                                      true);
    }

    void packedMatchesExact_data() {
        QTest::addColumn<int>("precision");
        QTest::addColumn<bool>("decode");
        QTest::addColumn<double>("tolerance");
        // Weight-only kernels differ from the exact path only in summation order.
        for (const PrecisionInfo& p : precisions()) {
            QTest::addRow("%s decode", p.name) << int(p.id) << true << 2e-3;
            QTest::addRow("%s prefill", p.name) << int(p.id) << false << 2e-3;
        }
    }
    void packedMatchesExact() {
        QFETCH(int, precision);
        QFETCH(bool, decode);
        QFETCH(double, tolerance);
        Plan plan;
        plan.defaultPrecision = PrecisionId(precision);
        const ResolvedPlan resolved = resolvePlan(plan, *m_model);
        // int8 prefill runs oneDNN's int8 matmul with activations quantized per token, for speed:
        // that is w8a8's arithmetic, so it is held to w8a8's exact logits.
        Plan reference = plan;
        if (plan.defaultPrecision == PrecisionId::Int8 && !decode)
            reference.defaultPrecision = PrecisionId::W8A8;
        auto exact =
            WeightSet::fromPlan(*m_model, resolvePlan(reference, *m_model), WeightMode::Accuracy);
        auto fast = WeightSet::fromPlan(*m_model, resolved, WeightMode::Speed);
        QVERIFY(exact && fast);
        QVERIFY(fast->tokenEmbd.packed && fast->tokenEmbd.values.empty()); // nothing kept in f32
        const auto a = logitsOf(std::move(exact.value()), m_tokens, decode);
        const auto b = logitsOf(std::move(fast.value()), m_tokens, decode);
        QCOMPARE(a.size(), b.size());
        double worst = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            worst = std::max(worst, double(std::abs(a[i] - b[i])));
        qInfo("largest logit difference %.3g", worst);
        QVERIFY2(worst <= tolerance, qPrintable(QString::number(worst)));
    }

    void speedModeHoldsPackedBytesOnly() {
        Plan plan;
        plan.defaultPrecision = PrecisionId::Int4G32;
        const ResolvedPlan resolved = resolvePlan(plan, *m_model);
        auto fast = WeightSet::fromPlan(*m_model, resolved, WeightMode::Speed);
        QVERIFY(fast);
        QCOMPARE(fast->weightBytes(), sizeOf(*m_model, resolved).totalBytes);
    }

    void syntheticModelsBuildPacked() {
        const auto shape = modelShape(QStringLiteral("smollm-135m"));
        QVERIFY(shape);
        const auto model = syntheticModel(shape->config, QStringLiteral("smollm-135m"));
        Plan plan;
        plan.defaultPrecision = PrecisionId::Int4G32;
        const ResolvedPlan resolved = resolvePlan(plan, *model);
        auto ws = WeightSet::synthetic(*model, resolved, 7);
        QVERIFY(ws);
        QCOMPARE(ws->weightBytes(), sizeOf(*model, resolved).totalBytes);
        BenchOptions o;
        o.promptTokens = 8;
        o.generatedTokens = 2;
        o.threads = 2;
        o.measureBandwidth = false;
        auto r = runBenchmark(std::move(ws.value()), o);
        QVERIFY(r);
        QVERIFY(r->prefillTokensPerSecond > 0 && r->decodeTokensPerSecond > 0);
        QVERIFY(r->peakResidentBytes >= r->weightBytes);
    }

    void benchCommandContract() {
        QProcess p;
        p.start(cwbtest::cliPath(),
                {QStringLiteral("bench"), cwbtest::stories260KBin(), QStringLiteral("--precision"),
                 QStringLiteral("int8"), QStringLiteral("--prompt"), QStringLiteral("16"),
                 QStringLiteral("--gen"), QStringLiteral("4"), QStringLiteral("--json")});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().right(2000).constData());
        const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        for (const char* key : {"prefill_tok_s", "decode_tok_s", "peak_rss_bytes", "bandwidth_gb_s",
                                "size_bytes", "bpw"})
            QVERIFY2(o.value(QLatin1String(key)).toDouble() > 0, key);
        QCOMPARE(o.value(QStringLiteral("gen_tokens")).toInt(), 4);

        // A model of shapes only, in a packed precision, recorded as a run like any other.
        p.start(cwbtest::cliPath(),
                {QStringLiteral("bench"), QStringLiteral("--synthetic"),
                 QStringLiteral("smollm-135m"), QStringLiteral("--precision"),
                 QStringLiteral("int8"), QStringLiteral("--prompt"), QStringLiteral("4"),
                 QStringLiteral("--gen"), QStringLiteral("2"), QStringLiteral("--json")});
        QVERIFY(p.waitForFinished(300000));
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
                 p.readAllStandardError().right(2000).constData());
        QVERIFY(QJsonDocument::fromJson(p.readAllStandardOutput())
                    .object()
                    .value(QStringLiteral("run_id"))
                    .toInteger() > 0);

        // Neither a model nor --synthetic, or both: bad usage.
        for (const QStringList& args :
             {QStringList{QStringLiteral("bench")},
              QStringList{QStringLiteral("bench"), cwbtest::stories260KBin(),
                          QStringLiteral("--synthetic"), QStringLiteral("llama-7b")},
              QStringList{QStringLiteral("bench"), QStringLiteral("--synthetic"),
                          QStringLiteral("gpt-9")}}) {
            p.start(cwbtest::cliPath(), args);
            QVERIFY(p.waitForFinished(60000));
            QCOMPARE(p.exitCode(), 2);
        }
        // A plan that does not fit in memory is refused before anything is allocated.
        p.start(cwbtest::cliPath(), {QStringLiteral("bench"), QStringLiteral("--synthetic"),
                                     QStringLiteral("llama-70b")});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 1);
        QVERIFY(p.readAllStandardError().contains("of memory"));
    }
};

QTEST_GUILESS_MAIN(TestSpeedPath)
#include "tst_speedpath.moc"
