// SPDX-License-Identifier: GPL-3.0-or-later
#include "channelplot.h"
#include "histogramplot.h"
#include "precisionplanmodel.h"
#include "tensordetail.h"
#include "tensordetailview.h"

#include "calibration.h"
#include "guitest.h"
#include "model.h"
#include "resources.h"
#include "testassets.h"

#include <QDir>
#include <QTest>

#include <cmath>

namespace {

std::shared_ptr<const cwb::Model> load(const QString& path) {
    auto model = cwb::loadModel(path);
    if (!model)
        qFatal("%s", qPrintable(model.error().message));
    return model.value();
}

} // namespace

class TestTensorDetailView : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<const cwb::Model> m_model;
    std::shared_ptr<const cwb::CalibrationStats> m_stats;

private slots:
    void initTestCase() {
        m_model = load(cwb::resources::demoModelPath());
        auto text = cwb::readCalibrationText(cwb::resources::demoCalibrationText());
        QVERIFY(text.ok());
        cwb::CalibrationOptions o;
        o.sequences = 4;
        o.sequenceLength = 128;
        o.hessians = false;
        auto stats = cwb::calibrate(*m_model, *text, o);
        QVERIFY(stats.ok());
        m_stats = std::make_shared<const cwb::CalibrationStats>(std::move(stats.value()));
    }

    void drawsThePrecisionsGrid_data() {
        QTest::addColumn<QString>("precision");
        QTest::addColumn<int>("gridPoints"); // 0: a float, no grid
        QTest::addColumn<QString>("group");  // where the note says the grid's group is
        QTest::newRow("int4_g32") << "int4_g32" << 16 << "columns";
        QTest::newRow("int4_g32_asym") << "int4_g32_asym" << 16 << "columns";
        QTest::newRow("int2_g16") << "int2_g16" << 4 << "columns";
        QTest::newRow("int8 per channel") << "int8" << 255 << "row";
        QTest::newRow("int8_g32") << "int8_g32" << 255 << "columns";
        QTest::newRow("fp32") << "fp32" << 0 << "";
        QTest::newRow("fp16") << "fp16" << 0 << "";
    }
    void drawsThePrecisionsGrid() {
        QFETCH(QString, precision);
        QFETCH(int, gridPoints);
        QFETCH(QString, group);
        PrecisionPlanModel plan;
        plan.setModel(m_model);
        TensorDetailView view;
        view.resize(420, 820);
        view.setModel(m_model);
        view.setPlanModel(&plan);
        view.show();
        const QString tensor = QStringLiteral("blk.2.ffn_up.weight");
        plan.setPrecision({plan.rowOf(tensor)}, *cwb::precisionByName(precision));
        view.showTensor(tensor);
        QTRY_VERIFY(!view.isComputing() && view.weightPlot()->nonEmptyBins() > 0);

        HistogramPlot* weights = view.weightPlot();
        QCOMPARE(weights->gridPoints(), gridPoints);
        const QString note = view.weightNote();
        if (gridPoints == 0) {
            QCOMPARE(note, QStringLiteral("%1: float, no grid").arg(precision));
        } else {
            QVERIFY2(note.startsWith(QStringLiteral("%1 grid of row ").arg(precision)),
                     qPrintable(note));
            QVERIFY2(note.contains(group), qPrintable(note));
            QVERIFY2(note.contains(QStringLiteral("%1 levels").arg(gridPoints)), qPrintable(note));
        }
        // The group drawn holds the tensor's largest weight, and its grid reaches it.
        const cwb::Tensor* t = m_model->find(tensor);
        const WeightDetail d = weightDetail(*t, *cwb::precisionByName(precision));
        QCOMPARE(d.count, t->elements());
        if (d.grid) {
            const QList<double> values = gridValues(*d.grid);
            QVERIFY(values.first() <= double(d.largest) + 1e-3 * std::abs(d.largest));
            QVERIFY(values.last() >= double(d.largest) - 1e-3 * std::abs(d.largest));
        }
        if (precision == QLatin1String("int4_g32"))
            cwbtest::saveScreenshot(&view, QStringLiteral("tensor-detail-int4_g32.png"));
    }

    void followsThePlansEdits() {
        PrecisionPlanModel plan;
        plan.setModel(m_model);
        TensorDetailView view;
        view.setModel(m_model);
        view.setPlanModel(&plan);
        const QString tensor = QStringLiteral("blk.0.attn_output.weight");
        view.showTensor(tensor);
        QTRY_VERIFY(!view.isComputing() && view.weightPlot()->nonEmptyBins() > 0);
        QCOMPARE(view.weightNote(), QStringLiteral("fp32: float, no grid"));
        plan.setPrecision({plan.rowOf(tensor)}, cwb::PrecisionId::Int4G32);
        QTRY_COMPARE(view.weightPlot()->gridPoints(), 16);
        QVERIFY2(view.headerText().contains(QLatin1String("int4_g32, rtn")),
                 qPrintable(view.headerText()));
        plan.setMethod({plan.rowOf(tensor)}, cwb::QuantMethod::Gptq);
        QVERIFY2(view.headerText().contains(QLatin1String("int4_g32, gptq")),
                 qPrintable(view.headerText()));
        plan.undoStack()->undo();
        plan.undoStack()->undo();
        QTRY_COMPARE(view.weightNote(), QStringLiteral("fp32: float, no grid"));
    }

    void showsActivationsAndW8a8sTokenGrid() {
        PrecisionPlanModel plan;
        plan.setModel(m_model);
        TensorDetailView view;
        view.resize(420, 820);
        view.setModel(m_model);
        view.setPlanModel(&plan);
        view.show();
        const QString tensor = QStringLiteral("blk.1.ffn_down.weight");
        view.showTensor(tensor);
        QCOMPARE(view.activationPlot()->message(),
                 QStringLiteral("Calibrate to see activation statistics"));
        view.setStatistics(m_stats);
        QVERIFY(view.activationPlot()->message().isEmpty());
        QVERIFY(view.activationPlot()->nonEmptyBins() > 10);
        QCOMPARE(view.channelPlot()->channels(), m_model->config.hiddenDim);
        QCOMPARE(view.activationPlot()->gridPoints(), 0);

        plan.setPrecision({plan.rowOf(tensor)}, cwb::PrecisionId::W8A8);
        QTRY_COMPARE(view.activationPlot()->gridPoints(), 255);
        QTRY_COMPARE(view.weightPlot()->gridPoints(), 255); // w8a8's weights: int8 per row
        const QString note = view.activationNote();
        QVERIFY2(note.contains(QLatin1String("int8 grid of a typical token")), qPrintable(note));
        // 4 × 128 tokens seen, the first 256 kept as samples.
        QVERIFY2(note.contains(QLatin1String("of 256 sampled tokens")), qPrintable(note));
        // The token grid is what w8a8's per-token quantizer uses: absmax / 127 steps.
        const auto token = typicalTokenGrid(m_stats->sites.at(QStringLiteral("blk.1.ffn_down_in")));
        QVERIFY(token.has_value());
        QCOMPARE(token->grid.qmax, 127);
        QCOMPARE(token->grid.qmin, -127);
        QVERIFY(token->grid.scale > 0);
        cwbtest::saveScreenshot(&view, QStringLiteral("tensor-detail-w8a8.png"));
    }

    void saysWhyThereIsNothingToShow() {
        PrecisionPlanModel plan;
        plan.setModel(m_model);
        TensorDetailView view;
        view.setModel(m_model);
        view.setPlanModel(&plan);
        view.setStatistics(m_stats);
        QCOMPARE(view.channelPlot()->message(), QStringLiteral("Select a tensor"));
        view.showTensor(QStringLiteral("blk.0.attn_norm.weight"));
        QVERIFY2(view.channelPlot()->message().contains(QLatin1String("1-D tensor")),
                 qPrintable(view.channelPlot()->message()));
        QTRY_VERIFY(!view.isComputing() && view.weightPlot()->nonEmptyBins() > 0);
        QVERIFY2(view.headerText().contains(QLatin1String("stays f32")),
                 qPrintable(view.headerText()));

        // A separate embedding is looked up, never multiplied.
        const auto gguf = load(cwbtest::stories260KGguf());
        PrecisionPlanModel ggufPlan;
        ggufPlan.setModel(gguf);
        TensorDetailView other;
        other.setModel(gguf);
        other.setPlanModel(&ggufPlan);
        other.showTensor(QStringLiteral("token_embd.weight"));
        QVERIFY2(other.activationPlot()->message().contains(QLatin1String("embedding lookup")),
                 qPrintable(other.activationPlot()->message()));
        QTRY_VERIFY(!other.isComputing());
    }
};

QTEST_MAIN(TestTensorDetailView)
#include "tst_tensordetailview.moc"
