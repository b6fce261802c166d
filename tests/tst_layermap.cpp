// SPDX-License-Identifier: GPL-3.0-or-later
// The layer map: layers × matrix kinds of the open model, coloured by the plan's precisions, the
// reference quantizer's relative weight error, or sensitivity; a click selects the tensor.
#include "layermap.h"
#include "layermapmodel.h"
#include "mainwindow.h"
#include "precisionplanmodel.h"
#include "precisionstyle.h"
#include "runlibrary.h"
#include "runlistpanel.h"
#include "tensorview.h"

#include "guitest.h"
#include "model.h"
#include "quanterror.h"
#include "resources.h"
#include "runrecorder.h"
#include "testassets.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDockWidget>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

namespace {

constexpr int kTimeoutMs = 120'000;

QPoint cellCentre(QTableView* view, const QModelIndex& index) {
    return view->visualRect(index).center();
}

} // namespace

class TestLayerMap : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_layermap"));
        QSettings().clear();
    }

    // A searched run records each tensor's measured loss; selecting it in the run list colours
    // the map by them.
    void selectedRunGivesItsSensitivity() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        qputenv("CWB_DB", dir.filePath(QStringLiteral("runs.sqlite")).toLocal8Bit());
        auto w = cwbtest::openDemoWindow();
        QVERIFY(!w->layerMap()->model()->hasSensitivity());
        cwb::RunRecord record =
            cwb::newRunRecord(QStringLiteral("search"), w->model().get(), QStringLiteral("cwb"));
        cwb::RunOutcome outcome;
        outcome.tensors = cwb::tensorResultsOf(*w->model(), cwb::ResolvedPlan{});
        for (std::size_t i = 0; i < outcome.tensors.size(); ++i)
            outcome.tensors[i].sensitivity = 0.001 * double(i + 1);
        auto started = cwb::RunRecorder::start(*w->runLibrary()->store(), record);
        QVERIFY(started);
        const qint64 id = started->id();
        QVERIFY(started->finish(outcome));
        w->runLibrary()->notifyRunsChanged();
        w->runList()->selectRun(id);
        QTRY_VERIFY(w->layerMap()->model()->hasSensitivity());
        qunsetenv("CWB_DB");
    }

    void gridOfLayersAndKinds() {
        auto model = cwb::loadModel(cwb::resources::demoModelPath());
        QVERIFY(model);
        LayerMapModel map;
        QAbstractItemModelTester tester(&map,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        map.setModel(*model);
        QCOMPARE(map.rowCount(), 5);
        QCOMPARE(map.columnCount(), 7);
        QCOMPARE(map.headerData(6, Qt::Horizontal).toString(), QStringLiteral("down"));
        QCOMPARE(map.headerData(3, Qt::Vertical).toString(), QStringLiteral("blk 3"));
        QCOMPARE(map.tensorAt(map.index(3, 3)), QStringLiteral("blk.3.attn_output.weight"));
        QCOMPARE(map.indexOf(QStringLiteral("blk.4.ffn_down.weight")), map.index(4, 6));
        map.setPrecisions({{QStringLiteral("blk.1.attn_k.weight"), cwb::PrecisionId::Int4G32}});
        const QModelIndex k1 = map.index(1, 1);
        QCOMPARE(k1.data().toString(), QStringLiteral("int4_g32"));
        QCOMPARE(k1.data(Qt::BackgroundRole).value<QColor>(),
                 precisionColor(cwb::PrecisionId::Int4G32));
        QCOMPARE(map.index(0, 0).data().toString(), QStringLiteral("fp32"));
        map.setMode(LayerMapModel::Mode::Sensitivity);
        map.setSensitivity({{QStringLiteral("blk.0.attn_q.weight"), 0.5},
                            {QStringLiteral("blk.0.attn_k.weight"), 0.05}});
        QCOMPARE(map.valueRange(), std::optional(std::pair(0.05, 0.5)));
        QCOMPARE(map.index(0, 0).data(Qt::BackgroundRole).value<QColor>(),
                 LayerMapModel::scaleColor(1.0));
        QCOMPARE(map.index(0, 1).data(Qt::BackgroundRole).value<QColor>(),
                 LayerMapModel::scaleColor(0.0));
        QVERIFY(!map.index(2, 2).data(Qt::BackgroundRole).isValid()); // no value: no colour
        map.setModel(nullptr);
        QCOMPARE(map.rowCount(), 0);
    }

    void clickingACellSelectsTheTensor() {
        auto w = cwbtest::openDemoWindow();
        w->layerMapDock()->show();
        w->layerMapDock()->raise();
        LayerMap* map = w->layerMap();
        QAbstractItemModelTester tester(map->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTest::qWait(50);
        const QModelIndex cell = map->model()->indexOf(QStringLiteral("blk.2.ffn_up.weight"));
        QVERIFY(cell.isValid());
        QSignalSpy activated(map, &LayerMap::tensorActivated);
        // A filter that hides the tensor is cleared, so that the selection shows.
        w->tensorView()->filterEdit()->setText(QStringLiteral("attn"));
        QTest::mouseClick(map->view()->viewport(), Qt::LeftButton, {},
                          cellCentre(map->view(), cell));
        QCOMPARE(activated.size(), 1);
        QCOMPARE(w->tensorView()->currentTensor(), QStringLiteral("blk.2.ffn_up.weight"));
        QVERIFY(w->tensorView()->filterEdit()->text().isEmpty());
        QCOMPARE(w->tensorView()->selectedRows().size(), 1);
        // And the other way: choosing a row in the table marks its cell.
        QVERIFY(w->tensorView()->selectTensor(QStringLiteral("blk.0.attn_v.weight")));
        QCOMPARE(map->view()->currentIndex(), map->model()->index(0, 2));
        QCOMPARE(activated.size(), 1);
        cwbtest::saveScreenshot(w.get(), QStringLiteral("layer-map.png"));
    }

    void followsThePlansPrecisions() {
        auto w = cwbtest::openDemoWindow();
        PrecisionPlanModel* plan = w->planModel();
        LayerMap* map = w->layerMap();
        const QString tensor = QStringLiteral("blk.4.ffn_gate.weight");
        QVERIFY(plan->setPrecision({plan->rowOf(tensor)}, cwb::PrecisionId::Int8));
        const QModelIndex cell = map->model()->indexOf(tensor);
        QCOMPARE(cell.data().toString(), QStringLiteral("int8"));
        plan->undoStack()->undo();
        QCOMPARE(cell.data().toString(), QStringLiteral("fp32"));
    }

    void quantizationErrorIsTheReferenceQuantizers() {
        auto w = cwbtest::openDemoWindow();
        PrecisionPlanModel* plan = w->planModel();
        LayerMap* map = w->layerMap();
        const QString q0 = QStringLiteral("blk.0.attn_q.weight");
        const QString q1 = QStringLiteral("blk.1.attn_q.weight");
        QVERIFY(plan->setPrecision({plan->rowOf(q0)}, cwb::PrecisionId::Int4G32));
        QVERIFY(plan->setPrecision({plan->rowOf(q1)}, cwb::PrecisionId::Int8));
        w->layerMapDock()->show();
        w->layerMapDock()->raise();
        QSignalSpy updated(map, &LayerMap::updated);
        map->modeCombo()->setCurrentIndex(1);
        emit map->modeCombo()->activated(1);
        QCOMPARE(map->mode(), LayerMapModel::Mode::QuantError);
        QVERIFY(map->isComputing());
        QTRY_VERIFY_WITH_TIMEOUT(!map->isComputing(), kTimeoutMs);
        const cwb::Model& model = *w->model();
        const double e0 = *cwb::relativeQuantError(*model.find(q0), cwb::PrecisionId::Int4G32);
        const double e1 = *cwb::relativeQuantError(*model.find(q1), cwb::PrecisionId::Int8);
        LayerMapModel* m = map->model();
        QCOMPARE(m->indexOf(q0).data(LayerMapModel::ValueRole).toDouble(), e0);
        QCOMPARE(m->indexOf(q1).data(LayerMapModel::ValueRole).toDouble(), e1);
        QVERIFY(e0 > e1 && e1 > 0);
        QCOMPARE(m->index(2, 2).data(LayerMapModel::ValueRole).toDouble(), 0.0); // fp32
        QVERIFY(m->indexOf(q0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("‖W")));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("layer-map-error.png"));

        // Only the changed tensor is computed again.
        QVERIFY(plan->setPrecision({plan->rowOf(q1)}, cwb::PrecisionId::Int2G16));
        QTRY_VERIFY_WITH_TIMEOUT(!map->isComputing(), kTimeoutMs);
        QVERIFY(m->indexOf(q1).data(LayerMapModel::ValueRole).toDouble() > e0);
        // The mode is remembered.
        QCOMPARE(QSettings().value(QStringLiteral("layerMap/mode")).toInt(),
                 int(LayerMapModel::Mode::QuantError));
        QSettings().remove(QStringLiteral("layerMap/mode"));
    }

    void sensitivityNeedsARunFirst() {
        auto w = cwbtest::openDemoWindow();
        LayerMap* map = w->layerMap();
        map->setMode(LayerMapModel::Mode::Sensitivity);
        QVERIFY2(map->message().contains(QLatin1String("Run sensitivity first")),
                 qPrintable(map->message()));
        QHash<QString, double> values;
        for (int layer = 0; layer < 5; ++layer)
            values.insert(cwb::blockTensorName(layer, "ffn_down"), 0.1 * (layer + 1));
        map->setSensitivity(values);
        QVERIFY(map->message().isEmpty());
        QCOMPARE(map->model()->index(4, 6).data(LayerMapModel::ValueRole).toDouble(), 0.5);
        // A new model has no sensitivities yet.
        QVERIFY(w->openModel(cwbtest::stories260KGguf()));
        QVERIFY(map->message().contains(QLatin1String("Run sensitivity first")));
        map->setMode(LayerMapModel::Mode::Precision);
    }
};

QTEST_MAIN(TestLayerMap)
#include "tst_layermap.moc"
