// SPDX-License-Identifier: GPL-3.0-or-later
#include "testassets.h"

#include "model.h"
#include "plan.h"
#include "weightset.h"

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace cwb;

namespace {

std::shared_ptr<const Model> demo() {
    auto m = loadModel(cwbtest::stories260KBin());
    if (!m)
        qFatal("%s", qPrintable(m.error().message));
    return m.value();
}

} // namespace

class TestPlan : public QObject {
    Q_OBJECT

private slots:
    void parsesDesignExample() {
        auto plan = parsePlan(
            "{ \"name\": \"int4 with int8 attention\",\n"
            "            \"default\": \"int4_g32\",\n"
            "            \"rules\": [ { \"match\": \"blk\\\\.[0-9]+\\\\.attn_.*\", \"precision\": "
            "\"int8\" },\n"
            "                       { \"match\": \"output\\\\.weight\", \"precision\": \"fp16\" } "
            "],\n"
            "            \"calibration\": { \"smoothquant_alpha\": 0.5, \"method\": \"awq\" } }");
        QVERIFY2(plan, plan ? "" : qPrintable(plan.error().message));
        QCOMPARE(plan->name, QStringLiteral("int4 with int8 attention"));
        QCOMPARE(plan->defaultPrecision, PrecisionId::Int4G32);
        QCOMPARE(plan->rules.size(), std::size_t(2));
        QCOMPARE(plan->rules[0].precision, PrecisionId::Int8);
        QCOMPARE(plan->calibration.value(QStringLiteral("method")).toString(),
                 QStringLiteral("awq"));
        // What it writes, it reads back the same.
        auto again = parsePlan(QJsonDocument(plan->toJson()).toJson());
        QVERIFY(again);
        QVERIFY(*again == *plan);
    }

    void clearErrors_data() {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("reason");
        QTest::newRow("not JSON") << QByteArray("{ nope") << "not valid JSON";
        QTest::newRow("not an object") << QByteArray("[1, 2]") << "must be a JSON object";
        QTest::newRow("unknown precision")
            << QByteArray("{\"default\": \"int3\"}") << "unknown precision \"int3\"";
        QTest::newRow("unknown key")
            << QByteArray("{\"defualt\": \"int8\"}") << "unknown plan key \"defualt\"";
        QTest::newRow("rules not a list")
            << QByteArray("{\"rules\": {}}") << "\"rules\" must be a list";
        QTest::newRow("rule without match")
            << QByteArray("{\"rules\": [{\"precision\": \"int8\"}]}") << "rule 1: \"match\"";
        QTest::newRow("bad expression")
            << QByteArray("{\"rules\": [{\"match\": \"blk.(\", \"precision\": \"int8\"}]}")
            << "rule 1: \"blk.(\" is not a valid regular expression";
        QTest::newRow("bad precision in rule 2")
            << QByteArray("{\"rules\": [{\"match\": \"a\", \"precision\": \"int8\"}, {\"match\": "
                          "\"b\", \"precision\": 8}]}")
            << "rule 2: \"precision\" must be a precision name";
        QTest::newRow("empty file") << QByteArray() << "not valid JSON";
    }
    void clearErrors() {
        QFETCH(QByteArray, json);
        QFETCH(QString, reason);
        auto plan = parsePlan(json);
        QVERIFY(!plan);
        QVERIFY2(plan.error().message.contains(reason), qPrintable(plan.error().message));
        QVERIFY(!plan.error().message.contains(QLatin1Char('\n')));
    }

    void resolvesLastMatchingRuleAndKeepsNormsF32() {
        const auto model = demo();
        auto plan = parsePlan(
            "{\"default\": \"int4_g32\", \"rules\": [\n"
            "            {\"match\": \"blk\\\\.[0-9]+\\\\.attn_.*\", \"precision\": \"int8\"},\n"
            "            {\"match\": \"blk\\\\.0\\\\.attn_q\\\\.weight\", \"precision\": "
            "\"fp16\"},\n"
            "            {\"match\": \".*norm.*\", \"precision\": \"int2_g16\"},\n"
            "            {\"match\": \"output\\\\.weight\", \"precision\": \"fp16\"}]}");
        QVERIFY(plan);
        const ResolvedPlan r = resolvePlan(*plan, *model);
        QCOMPARE(r.tensors.size(), model->tensors.size());
        QCOMPARE(r.find(QStringLiteral("blk.0.attn_q.weight"))->precision, PrecisionId::Fp16);
        QCOMPARE(r.find(QStringLiteral("blk.0.attn_q.weight"))->rule, 1);
        QCOMPARE(r.find(QStringLiteral("blk.1.attn_q.weight"))->precision, PrecisionId::Int8);
        QCOMPARE(r.find(QStringLiteral("blk.1.ffn_up.weight"))->precision, PrecisionId::Int4G32);
        QCOMPARE(r.find(QStringLiteral("blk.1.ffn_up.weight"))->rule, -1);
        const TensorChoice* norm = r.find(QStringLiteral("blk.2.attn_norm.weight"));
        QVERIFY(!norm->quantizable);
        QCOMPARE(norm->precision, PrecisionId::Fp32); // a rule matched it, but norms stay f32
        // The tied model has no output.weight: that rule is flagged, the norm rule is not.
        QCOMPARE(r.warnings.size(), 1);
        QVERIFY(r.warnings.first().contains(QLatin1String("rule 4")));
    }

    void sizesAreTheSumOfLayouts() {
        const auto model = demo();
        for (const PrecisionInfo& p : precisions()) {
            Plan plan;
            plan.defaultPrecision = p.id;
            const ResolvedPlan r = resolvePlan(plan, *model);
            const SizeSummary s = sizeOf(*model, r);
            // By hand: every matrix packed row by row, every vector in f32.
            std::uint64_t expected = 0, matrices = 0;
            std::int64_t params = 0;
            for (const Tensor& t : model->tensors) {
                if (t.isMatrix()) {
                    const std::uint64_t b =
                        std::uint64_t(t.rows()) * packedRowBytes(p.id, t.rowLength());
                    expected += b;
                    matrices += b;
                    params += t.elements();
                } else {
                    expected += std::uint64_t(t.elements()) * 4;
                }
            }
            QCOMPARE(s.totalBytes, expected);
            QCOMPARE(s.fp32Bytes, std::uint64_t(model->parameterCount()) * 4);
            QCOMPARE(s.bitsPerWeight, 8.0 * double(matrices) / double(params));
            // And it is what quantizing really produces.
            std::uint64_t produced = 0;
            for (const Tensor& t : model->tensors) {
                if (!t.isMatrix()) {
                    produced += t.data.size();
                    continue;
                }
                auto q = quantizeMatrix(p.id,
                                        std::span(reinterpret_cast<const float*>(t.data.data()),
                                                  std::size_t(t.elements())),
                                        t.rowLength(), t.name);
                QVERIFY(q);
                produced += q->data.size();
            }
            QCOMPARE(produced, s.totalBytes);
        }
        Plan fp32;
        QCOMPARE(sizeOf(*model, resolvePlan(fp32, *model)).bitsPerWeight, 32.0);
    }

    void choicesRoundTripThroughAPlanFile() {
        const auto model = demo();
        auto plan = parsePlan("{\"default\": \"int8\", \"rules\": [{\"match\": "
                              "\"blk\\\\.[34]\\\\..*\", \"precision\": \"int4_g32\"},\n"
                              "                                                               "
                              "{\"match\": \"token_embd\\\\.weight\", \"precision\": \"fp16\"}]}");
        const ResolvedPlan r = resolvePlan(*plan, *model);
        const Plan rebuilt = planFromChoices(QStringLiteral("edited"), r.tensors);
        QCOMPARE(rebuilt.defaultPrecision,
                 PrecisionId::Int8); // 3 blocks of 7 matrices, the most common
        QCOMPARE(rebuilt.rules.size(), std::size_t(2 * 7 + 1));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("plan.json"));
        QVERIFY(savePlanFile(rebuilt, path));
        auto loaded = loadPlanFile(path);
        QVERIFY(loaded);
        const ResolvedPlan again = resolvePlan(*loaded, *model);
        for (std::size_t i = 0; i < r.tensors.size(); ++i)
            QCOMPARE(again.tensors[i].precision, r.tensors[i].precision);
        QVERIFY(again.warnings.isEmpty());
        QVERIFY(!savePlanFile(rebuilt, QStringLiteral("/nonexistent-dir/plan.json")));
        QVERIFY(!QFile::exists(QStringLiteral("/nonexistent-dir/plan.json")));
    }

    void choicesKeepTheDefaultMethod() {
        const auto model = demo();
        auto plan =
            parsePlan("{\"default\": \"int4_g32\", \"calibration\": {\"method\": \"gptq\"}, "
                      "\"rules\": [{\"match\": \"blk\\\\.0\\\\..*\", \"precision\": \"int8\", "
                      "\"method\": \"rtn\"}]}");
        QVERIFY2(plan, plan ? "" : qPrintable(plan.error().message));
        const ResolvedPlan r = resolvePlan(*plan, *model);
        QCOMPARE(r.find(QStringLiteral("blk.0.attn_q.weight"))->method, QuantMethod::Rtn);
        QCOMPARE(r.find(QStringLiteral("blk.1.attn_q.weight"))->method, QuantMethod::Gptq);
        const Plan rebuilt = planFromChoices(QStringLiteral("x"), r.tensors, plan->calibration);
        const ResolvedPlan again = resolvePlan(rebuilt, *model);
        for (std::size_t i = 0; i < r.tensors.size(); ++i) {
            QCOMPARE(again.tensors[i].precision, r.tensors[i].precision);
            QCOMPARE(again.tensors[i].method, r.tensors[i].method);
        }
        QCOMPARE(rebuilt.rules.size(), std::size_t(7)); // block 0's matrices, int8 by rtn
    }

    void weightSetQuantizesAndReportsNonFinite() {
        const auto model = demo();
        Plan plan;
        plan.defaultPrecision = PrecisionId::Int4G32;
        auto ws = WeightSet::fromPlan(*model, resolvePlan(plan, *model));
        QVERIFY(ws);
        // The classifier (tied) is the embedding dequantized from int4_g32.
        const Tensor* embd = model->find(QStringLiteral("token_embd.weight"));
        const auto f32 = std::span(reinterpret_cast<const float*>(embd->data.data()),
                                   std::size_t(embd->elements()));
        auto q = quantizeMatrix(PrecisionId::Int4G32, f32, 64, embd->name);
        const auto expected = dequantizeMatrix(*q);
        QVERIFY(std::equal(expected.begin(), expected.end(), ws->output.values.begin()));
        QVERIFY(std::equal(expected.begin(), expected.end(), ws->tokenEmbd.values.begin()));
        QVERIFY(!ws->output.packed); // weight-only: the engine runs the dequantized values
    }
};

QTEST_GUILESS_MAIN(TestPlan)
#include "tst_plan.moc"
