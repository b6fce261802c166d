// SPDX-License-Identifier: GPL-3.0-or-later
#include "planpresets.h"
#include "precisionplanmodel.h"

#include "model.h"
#include "resources.h"
#include "testassets.h"

#include <QAbstractItemModelTester>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

namespace {

using cwb::PrecisionId;

std::shared_ptr<const cwb::Model> load(const QString& path) {
    auto model = cwb::loadModel(path);
    if (!model)
        qFatal("%s", qPrintable(model.error().message));
    return model.value();
}

std::vector<PrecisionId> precisionsOf(const PrecisionPlanModel& plan) {
    std::vector<PrecisionId> out;
    for (const cwb::TensorChoice& c : plan.choices())
        out.push_back(c.precision);
    return out;
}

QString nameOf(PrecisionId id) {
    return QLatin1String(cwb::precisionInfo(id).name);
}

PlanPreset preset(const QString& id) {
    for (const PlanPreset& p : planPresets())
        if (p.id == id)
            return p;
    qFatal("no preset %s", qPrintable(id));
}

} // namespace

class TestPrecisionPlanModel : public QObject {
    Q_OBJECT

private slots:
    void startsWithEveryTensorInF32() {
        const auto model = load(cwbtest::stories260KBin());
        PrecisionPlanModel plan;
        QAbstractItemModelTester tester(&plan,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy changed(&plan, &PrecisionPlanModel::choicesChanged);
        plan.setModel(model);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(plan.rowCount(), 47);
        QVERIFY(plan.isAllFp32());
        QVERIFY(plan.name().isEmpty());
        QCOMPARE(plan.undoStack()->count(), 0);

        const QModelIndex embedding = plan.index(plan.rowOf(QStringLiteral("token_embd.weight")));
        QCOMPARE(embedding.data().toString(), QStringLiteral("fp32"));
        QCOMPARE(embedding.data(PrecisionPlanModel::PrecisionRole).toInt(), int(PrecisionId::Fp32));
        QVERIFY(embedding.flags() & Qt::ItemIsEditable);
        QVERIFY2(embedding.data(Qt::ToolTipRole).toString().contains(QLatin1String("as trained")),
                 qPrintable(embedding.data(Qt::ToolTipRole).toString()));

        const QModelIndex norm = plan.index(plan.rowOf(QStringLiteral("blk.0.attn_norm.weight")));
        QVERIFY(!norm.data(PrecisionPlanModel::QuantizableRole).toBool());
        QVERIFY(!(norm.flags() & Qt::ItemIsEditable));
        QVERIFY(norm.data(Qt::ToolTipRole).toString().contains(QLatin1String("stay f32")));

        const cwb::SizeSummary size = plan.size();
        QCOMPARE(size.totalBytes, size.fp32Bytes);
        QCOMPARE(size.bitsPerWeight, 32.0);
        // The plan of an untouched model is the empty one: nothing to save but a name.
        QVERIFY(plan.plan().rules.empty());
        QCOMPARE(plan.plan().defaultPrecision, PrecisionId::Fp32);
    }

    void anEditIsOneUndoStep() {
        const auto model = load(cwb::resources::demoModelPath());
        PrecisionPlanModel plan;
        QAbstractItemModelTester tester(&plan,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        plan.setModel(model);
        const int q = plan.rowOf(QStringLiteral("blk.2.attn_q.weight"));
        const cwb::SizeSummary before = plan.size();
        QSignalSpy dataChanged(&plan, &QAbstractItemModel::dataChanged);

        QVERIFY(plan.setData(plan.index(q), QStringLiteral("int8")));
        QCOMPARE(plan.precision(q), PrecisionId::Int8);
        QCOMPARE(dataChanged.size(), 1);
        QCOMPARE(dataChanged.first().at(0).toModelIndex().row(), q);
        QCOMPARE(plan.undoStack()->count(), 1);
        QCOMPARE(plan.undoStack()->undoText(), QStringLiteral("Set blk.2.attn_q.weight to int8"));
        QVERIFY(plan.size().totalBytes < before.totalBytes);

        plan.undoStack()->undo();
        QCOMPARE(precisionsOf(plan), std::vector<PrecisionId>(47, PrecisionId::Fp32));
        QCOMPARE(plan.size().totalBytes, before.totalBytes);
        plan.undoStack()->redo();
        QCOMPARE(plan.precision(q), PrecisionId::Int8);

        // What cannot change pushes nothing: a norm, an unknown name, the same precision.
        const int norm = plan.rowOf(QStringLiteral("blk.2.ffn_norm.weight"));
        QVERIFY(!plan.setData(plan.index(norm), QStringLiteral("int8")));
        QCOMPARE(plan.precision(norm), PrecisionId::Fp32);
        QVERIFY(!plan.setData(plan.index(q), QStringLiteral("int9")));
        QVERIFY(!plan.setPrecision({q}, PrecisionId::Int8));
        QCOMPARE(plan.undoStack()->count(), 1);
        // The precision's id is accepted as well as its name.
        QVERIFY(plan.setData(plan.index(q), int(PrecisionId::Int4G128),
                             PrecisionPlanModel::PrecisionRole));
        QCOMPARE(plan.precision(q), PrecisionId::Int4G128);
    }

    void severalRowsAreOneUndoStep() {
        const auto model = load(cwbtest::stories260KBin());
        PrecisionPlanModel plan;
        QAbstractItemModelTester tester(&plan,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        plan.setModel(model);
        QList<int> rows;
        for (const char* name : {"blk.1.attn_q.weight", "blk.1.attn_norm.weight",
                                 "blk.3.ffn_down.weight", "token_embd.weight"})
            rows << plan.rowOf(QLatin1String(name));
        QVERIFY(plan.setPrecision(rows, PrecisionId::Int4G32));
        QCOMPARE(plan.undoStack()->count(), 1);
        QCOMPARE(plan.undoStack()->undoText(), QStringLiteral("Set 3 Tensors to int4_g32"));
        QCOMPARE(plan.precision(rows[0]), PrecisionId::Int4G32);
        QCOMPARE(plan.precision(rows[1]), PrecisionId::Fp32); // a norm stays f32
        QCOMPARE(plan.precision(rows[2]), PrecisionId::Int4G32);
        QCOMPARE(plan.precision(rows[3]), PrecisionId::Int4G32);
        plan.undoStack()->undo();
        QVERIFY(plan.isAllFp32());
    }

    void presetsGiveTheExpectedPrecisions_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QString>("matrices");    // every quantizable tensor not listed below
        QTest::addColumn<QStringList>("special"); // "name=precision"
        const QString bin = cwbtest::stories260KBin();
        const QString gguf = cwbtest::stories260KGguf();
        QTest::newRow("all int8") << bin << "all-int8"
                                  << "int8" << QStringList{};
        QTest::newRow("all int4_g32") << bin << "all-int4_g32"
                                      << "int4_g32" << QStringList{};
        QTest::newRow("all w8a8") << gguf << "all-w8a8"
                                  << "w8a8" << QStringList{};
        QTest::newRow("all fp32") << gguf << "all-fp32"
                                  << "fp32" << QStringList{};
        // Tied classifier: the embedding is the output too.
        QTest::newRow("8-bit ends, tied") << bin << "int4-8bit-ends"
                                          << "int4_g32" << QStringList{"token_embd.weight=int8"};
        QTest::newRow("8-bit ends, separate output")
            << gguf << "int4-8bit-ends"
            << "int4_g32" << QStringList{"token_embd.weight=int8", "output.weight=int8"};
    }
    void presetsGiveTheExpectedPrecisions() {
        QFETCH(QString, path);
        QFETCH(QString, preset);
        QFETCH(QString, matrices);
        QFETCH(QStringList, special);
        const auto model = load(path);
        PrecisionPlanModel plan;
        QAbstractItemModelTester tester(&plan,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        plan.setModel(model);
        // From a mixed start, so a preset is seen to set every tensor, not only some.
        plan.setPrecision({plan.rowOf(QStringLiteral("blk.0.ffn_up.weight"))},
                          PrecisionId::Int2G16);
        const int steps = plan.undoStack()->count();

        plan.applyPlan(::preset(preset).plan, QStringLiteral("preset"));
        QCOMPARE(plan.undoStack()->count(), steps + 1);
        QMap<QString, QString> expected;
        for (const QString& s : special)
            expected.insert(s.section(QLatin1Char('='), 0, 0), s.section(QLatin1Char('='), 1));
        for (const cwb::TensorChoice& c : plan.choices()) {
            const QString want =
                !c.quantizable ? QStringLiteral("fp32") : expected.value(c.name, matrices);
            QVERIFY2(nameOf(c.precision) == want,
                     qPrintable(
                         QStringLiteral("%1: %2, not %3").arg(c.name, nameOf(c.precision), want)));
        }
        plan.undoStack()->undo();
        QCOMPARE(plan.precision(plan.rowOf(QStringLiteral("blk.0.ffn_up.weight"))),
                 PrecisionId::Int2G16);
    }

    void aSavedPlanLoadsBackTheSame() {
        const auto model = load(cwbtest::stories260KGguf());
        PrecisionPlanModel plan;
        plan.setModel(model);
        plan.applyPlan(preset(QStringLiteral("int4-8bit-ends")).plan, QStringLiteral("preset"));
        plan.setPrecision({plan.rowOf(QStringLiteral("blk.4.attn_v.weight"))}, PrecisionId::Fp16);
        plan.setName(QStringLiteral("ends at 8 bits, one v at fp16"));

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("plan.json"));
        const cwb::Plan saved = plan.plan();
        // Minimal: the common precision is the default, each exception one exact-name rule.
        QCOMPARE(saved.defaultPrecision, PrecisionId::Int4G32);
        QCOMPARE(saved.rules.size(), std::size_t(3));
        QVERIFY(cwb::savePlanFile(saved, path).ok());

        auto read = cwb::loadPlanFile(path);
        QVERIFY2(read.ok(), read.ok() ? "" : qPrintable(read.error().message));
        PrecisionPlanModel again;
        QAbstractItemModelTester tester(&again,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        again.setModel(model);
        const cwb::ResolvedPlan resolved = again.loadPlan(*read, QStringLiteral("plan"));
        QVERIFY(resolved.warnings.isEmpty());
        QCOMPARE(precisionsOf(again), precisionsOf(plan));
        QCOMPARE(again.name(), QStringLiteral("ends at 8 bits, one v at fp16"));
        QCOMPARE(again.size().totalBytes, plan.size().totalBytes);
        QCOMPARE(again.undoStack()->count(), 1); // loading is an undoable step too
    }

    void aLoadedPlanKeepsItsRulesUntilEdited() {
        const auto model = load(cwbtest::stories260KBin());
        PrecisionPlanModel plan;
        plan.setModel(model);
        auto written = cwb::parsePlan(R"({"name": "int4, attention int8", "default": "int4_g32",
            "rules": [{"match": "blk\\.[0-9]+\\.attn_.*", "precision": "int8"}],
            "calibration": {"method": "awq"}})");
        QVERIFY(written.ok());
        plan.loadPlan(*written, QStringLiteral("file"));
        QCOMPARE(plan.name(), QStringLiteral("int4, attention int8"));
        // Saved as written: the expression, not twenty exact names.
        QCOMPARE(plan.plan(), *written);

        plan.setName(QStringLiteral("renamed"));
        QCOMPARE(plan.plan().rules.front().match, QStringLiteral("blk\\.[0-9]+\\.attn_.*"));
        QCOMPARE(plan.plan().name, QStringLiteral("renamed"));

        plan.setPrecision({plan.rowOf(QStringLiteral("blk.0.attn_q.weight"))}, PrecisionId::Fp16);
        // Now the smallest plan for the choices: 20 attention matrices at int8 outnumber the
        // 16 others at int4_g32, and every exception is one tensor's exact name.
        const cwb::Plan edited = plan.plan();
        QCOMPARE(edited.defaultPrecision, PrecisionId::Int8);
        QCOMPARE(edited.rules.size(), std::size_t(17));
        QSet<QString> exactNames;
        for (const cwb::TensorChoice& c : plan.choices())
            exactNames.insert(QRegularExpression::escape(c.name));
        for (const cwb::PlanRule& r : edited.rules)
            QVERIFY2(exactNames.contains(r.match), qPrintable(r.match));
        QCOMPARE(edited.calibration, written->calibration); // not the user's to lose
        plan.undoStack()->undo();
        QCOMPARE(plan.plan().rules.size(), std::size_t(1));
    }

    void rulesThatMatchNothingAreReported() {
        const auto model = load(cwbtest::stories260KBin());
        PrecisionPlanModel plan;
        plan.setModel(model);
        auto written = cwb::parsePlan(R"({"default": "int8", "rules": [
            {"match": "blk\\.9\\..*", "precision": "int4_g32"},
            {"match": "blk\\.0\\.ffn_.*", "precision": "int4_g32"}]})");
        QVERIFY(written.ok());
        const cwb::ResolvedPlan resolved = plan.loadPlan(*written, QStringLiteral("typo"));
        QCOMPARE(resolved.warnings.size(), 1);
        QVERIFY2(resolved.warnings.first().contains(QLatin1String("rule 1")),
                 qPrintable(resolved.warnings.first()));
        QCOMPARE(plan.name(), QStringLiteral("typo"));
        // The rules that do match are applied.
        QCOMPARE(plan.precision(plan.rowOf(QStringLiteral("blk.0.ffn_up.weight"))),
                 PrecisionId::Int4G32);
        QCOMPARE(plan.precision(plan.rowOf(QStringLiteral("blk.1.ffn_up.weight"))),
                 PrecisionId::Int8);
    }

    void aNewModelStartsANewPlan() {
        PrecisionPlanModel plan;
        QAbstractItemModelTester tester(&plan,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        plan.setModel(load(cwbtest::stories260KBin()));
        plan.applyPlan(preset(QStringLiteral("all-int8")).plan, QStringLiteral("preset"));
        plan.setName(QStringLiteral("int8"));
        plan.setModel(load(cwbtest::stories260KGguf()));
        QCOMPARE(plan.rowCount(), 48);
        QVERIFY(plan.isAllFp32());
        QVERIFY(plan.name().isEmpty());
        QCOMPARE(plan.undoStack()->count(), 0);
        plan.setModel(nullptr);
        QCOMPARE(plan.rowCount(), 0);
        QCOMPARE(plan.size().totalBytes, std::uint64_t(0));
    }
};

QTEST_MAIN(TestPrecisionPlanModel)
#include "tst_precisionplanmodel.moc"
