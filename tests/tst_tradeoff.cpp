// SPDX-License-Identifier: GPL-3.0-or-later
// The trade-off explorer on runs recorded in a real SQLite store: the model's runs become points,
// the frontier is the brute-force Pareto set for every pair of axes, hover, click and double-click
// act on the run under the mouse, and the plot exports to PNG, SVG and PDF.
#include "mainwindow.h"
#include "precisionplanmodel.h"
#include "tradeoffexplorer.h"
#include "tradeoffplot.h"

#include "ggufexport.h"
#include "guitest.h"
#include "model.h"
#include "prune.h"
#include "resources.h"
#include "runrecorder.h"
#include "testassets.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>

#include <cmath>

using cwb::RunMetric;

namespace {

constexpr int kTimeoutMs = 60'000;

struct Metrics {
    double size, bpw, dppl, kld, top1;
};

// Runs of the demo model as plans would give them: smaller costs accuracy, with a few runs that
// a neighbour beats on both counts.
const Metrics kRuns[] = {
    {1'040'000, 32.0, 0.0, 0.0, 1.0},     // fp32
    {530'000, 16.0, 0.01, 0.0001, 0.999}, // fp16
    {290'000, 8.5, 0.4, 0.003, 0.985},    // int8
    {300'000, 8.5, 0.9, 0.006, 0.97},     // int8, worse and bigger: off every front
    {180'000, 4.5, 6.0, 0.05, 0.90},      // int4
    {170'000, 4.5, 9.5, 0.09, 0.86},      // int4 with int8 attention
    {110'000, 2.5, 48.0, 0.6, 0.55},      // int2
};

QJsonObject planJson(const QString& name, const QString& precision) {
    return QJsonObject{{QStringLiteral("name"), name},
                       {QStringLiteral("default"), precision},
                       {QStringLiteral("rules"), QJsonArray{}}};
}

std::map<QString, cwb::MetricValue> metricsOf(const Metrics& m) {
    return {{QStringLiteral("size_bytes"), {m.size, std::nullopt}},
            {QStringLiteral("bpw"), {m.bpw, std::nullopt}},
            {QStringLiteral("delta_ppl_percent"), {m.dppl, 0.1}},
            {QStringLiteral("kld_mean"), {m.kld, std::nullopt}},
            {QStringLiteral("top1_agreement"), {m.top1, 0.005}},
            {QStringLiteral("ppl"), {3.34 * (1 + m.dppl / 100), 0.05}},
            {QStringLiteral("base_ppl"), {3.34, 0.05}}};
}

std::vector<std::size_t> bruteForceFront(const QList<TradeoffPoint>& points, cwb::Better bx,
                                         cwb::Better by) {
    auto better = [](double a, double b, cwb::Better d) {
        return d == cwb::Better::Lower ? a < b : a > b;
    };
    std::vector<std::size_t> front;
    for (qsizetype i = 0; i < points.size(); ++i) {
        bool dominated = false;
        for (qsizetype j = 0; j < points.size() && !dominated; ++j) {
            const TradeoffPoint &p = points[i], &q = points[j];
            dominated = j != i && !better(p.x, q.x, bx) && !better(p.y, q.y, by) &&
                        (better(q.x, p.x, bx) || better(q.y, p.y, by));
        }
        if (!dominated)
            front.push_back(std::size_t(i));
    }
    return front;
}

} // namespace

class TestTradeoff : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_db;
    std::shared_ptr<const cwb::Model> m_model;
    QList<qint64> m_ids; // of kRuns, in order
    std::unique_ptr<TradeoffExplorer> m_shared;

    qint64 record(const cwb::Model& model, const QString& name, const QString& precision,
                  const std::map<QString, cwb::MetricValue>& metrics, bool finish = true) {
        auto store = cwb::RunStore::open(m_db);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        cwb::RunRecord r =
            cwb::newRunRecord(QStringLiteral("evaluation"), &model, QStringLiteral("tst_tradeoff"));
        r.name = name;
        r.plan = planJson(name, precision);
        auto recorder = cwb::RunRecorder::start(**store, r);
        if (!recorder)
            qFatal("%s", qPrintable(recorder.error().message));
        const qint64 id = recorder->id();
        if (finish && !recorder->finish(cwb::RunOutcome{metrics, {}, 0, {}}))
            qFatal("cannot finish run");
        return id; // an unfinished recorder marks its run failed
    }

    std::unique_ptr<TradeoffExplorer> openExplorer() {
        auto e = std::make_unique<TradeoffExplorer>();
        e->resize(900, 600);
        e->setDatabasePath(m_db);
        e->setModel(m_model);
        e->show();
        if (!QTest::qWaitForWindowExposed(e.get()))
            qFatal("not shown");
        QElapsedTimer waited;
        waited.start();
        while (e->isLoading() && waited.elapsed() < kTimeoutMs)
            QTest::qWait(10);
        if (e->isLoading())
            qFatal("the runs were not read");
        e->setLogScale(false, false);
        e->setAxes(RunMetric::Size, RunMetric::DeltaPplPercent, RunMetric::KldMean);
        return e;
    }

    QList<qint64> plottedIds(const TradeoffExplorer& e) const {
        QList<qint64> ids;
        for (const TradeoffPoint& p : e.plot()->points())
            ids << p.runId;
        std::sort(ids.begin(), ids.end());
        return ids;
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_tradeoff"));
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("runs.sqlite"));
        auto model = cwb::loadModel(cwb::resources::demoModelPath());
        QVERIFY(model);
        m_model = *model;
        const char* names[] = {"fp32", "fp16", "int8", "int8 bigger", "int4", "int4 attn8", "int2"};
        const char* precisions[] = {"fp32",     "fp16",     "int8",    "int8",
                                    "int4_g32", "int4_g32", "int2_g16"};
        for (std::size_t i = 0; i < std::size(kRuns); ++i)
            m_ids << record(*m_model, QLatin1String(names[i]), QLatin1String(precisions[i]),
                            metricsOf(kRuns[i]));
        // Not shown: a run that failed, one of another model, and a benchmark without accuracy.
        record(*m_model, QStringLiteral("failed"), QStringLiteral("int4_g32"), {}, false);
        auto other = cwb::loadModel(cwbtest::stories260KGguf());
        QVERIFY(other);
        record(**other, QStringLiteral("other model"), QStringLiteral("int8"), metricsOf(kRuns[2]));
        record(*m_model, QStringLiteral("bench"), QStringLiteral("int8"),
               {{QStringLiteral("size_bytes"), {290'000, std::nullopt}},
                {QStringLiteral("decode_tok_s"), {5000, std::nullopt}}});
    }

    void cleanupTestCase() { m_shared.reset(); }

    void pointsAreTheModelsFinishedRuns() {
        auto e = openExplorer();
        QCOMPARE(int(e->runs().size()), int(std::size(kRuns)) + 1); // with the benchmark
        QCOMPARE(plottedIds(*e), m_ids);
        QVERIFY2(e->statusText().contains(QLatin1String("1 not shown")),
                 qPrintable(e->statusText()));
        QVERIFY(e->plot()->message().isEmpty());
        // The int8 run that is bigger and worse than the other is off the front; the smallest and
        // the lossless runs are on it.
        const QList<qint64> front = e->plot()->frontier();
        QVERIFY(!front.contains(m_ids[3]));
        QVERIFY(front.contains(m_ids[0]) && front.contains(m_ids[6]));
        // Sizes shown in MB, the unit of the largest (1.04 MB): fp32's x.
        const auto fp32 =
            std::find_if(e->plot()->points().begin(), e->plot()->points().end(),
                         [this](const TradeoffPoint& p) { return p.runId == m_ids[0]; });
        QCOMPARE(fp32->x, 1.04);
        cwbtest::saveScreenshot(e.get(), QStringLiteral("tradeoff-explorer.png"));
    }

    void frontierIsTheBruteForceParetoSet_data() {
        QTest::addColumn<int>("x");
        QTest::addColumn<int>("y");
        for (const cwb::RunMetricInfo& a : cwb::runMetrics())
            for (const cwb::RunMetricInfo& b : cwb::runMetrics())
                if (a.id != b.id)
                    QTest::addRow("%s/%s", a.key, b.key) << int(a.id) << int(b.id);
    }
    void frontierIsTheBruteForceParetoSet() {
        QFETCH(int, x);
        QFETCH(int, y);
        if (!m_shared) // one for all rows: reading the store is the slow part
            m_shared = openExplorer();
        TradeoffExplorer* e = m_shared.get();
        e->setAxes(RunMetric(x), RunMetric(y), std::nullopt);
        const QList<TradeoffPoint>& points = e->plot()->points();
        QList<qint64> expected;
        for (std::size_t i : bruteForceFront(points, cwb::runMetricInfo(RunMetric(x)).better,
                                             cwb::runMetricInfo(RunMetric(y)).better))
            expected << points[qsizetype(i)].runId;
        QList<qint64> front = e->plot()->frontier();
        std::sort(expected.begin(), expected.end());
        std::sort(front.begin(), front.end());
        QCOMPARE(front, expected);
        const bool speed = RunMetric(x) == RunMetric::DecodeTokensPerSecond ||
                           RunMetric(y) == RunMetric::DecodeTokensPerSecond;
        // Only the benchmark measured speed, and it has no accuracy, only a size.
        const auto sized = [](RunMetric m) {
            return m == RunMetric::Size || m == RunMetric::DollarsPer1000Queries ||
                   m == RunMetric::SizeFractionOfOriginal;
        };
        if (speed && !sized(RunMetric(x)) && !sized(RunMetric(y)))
            QVERIFY(points.isEmpty() && !e->plot()->message().isEmpty());
        else
            QVERIFY(!points.isEmpty());
    }

    void logAxesLeaveOutWhatIsNotPositive() {
        auto e = openExplorer();
        e->setAxes(RunMetric::Bpw, RunMetric::KldMean, std::nullopt);
        e->setLogScale(false, true);
        // fp32's KL divergence is 0: no place on a log axis.
        QCOMPARE(int(e->plot()->points().size()), int(std::size(kRuns)) - 1);
        QVERIFY2(e->statusText().contains(QLatin1String("1 not shown, at zero or below")),
                 qPrintable(e->statusText()));
        QCOMPARE(e->plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
        QVERIFY(e->plot()->yAxis->range().lower > 0);
        QVERIFY(e->plot()->yAxis->label().contains(QLatin1String("log scale")));
        cwbtest::saveScreenshot(e.get(), QStringLiteral("tradeoff-log.png"));
        e->setLogScale(false, false);
        QCOMPARE(e->plot()->yAxis->scaleType(), QCPAxis::stLinear);
    }

    void hoverClickAndDoubleClickActOnTheRun() {
        auto e = openExplorer();
        TradeoffPlot* plot = e->plot();
        const qint64 id = m_ids[4];
        const auto at = plot->pixelOf(id);
        QVERIFY(at);
        const QString tip = plot->toolTipAt(*at);
        QVERIFY2(tip.contains(QStringLiteral("Run %1").arg(id)), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("ΔPPL: 6 % ± 0.1")), qPrintable(tip));
        // As the window system sends it: QTest::mouseMove() moves the cursor only.
        QMouseEvent move(QEvent::MouseMove, *at, plot->mapToGlobal(*at), Qt::NoButton, Qt::NoButton,
                         Qt::NoModifier);
        QCoreApplication::sendEvent(plot, &move);
        QTRY_VERIFY(QToolTip::text().contains(QStringLiteral("Run %1").arg(id)));
        // An axis explains its metric.
        const QRect inner = plot->axisRect()->rect();
        QVERIFY(plot->toolTipAt(QPointF(inner.center().x(), inner.bottom() + 12))
                    .contains(QLatin1String("size")));

        QSignalSpy selected(e.get(), &TradeoffExplorer::runSelected);
        QTest::mouseClick(plot, Qt::LeftButton, {}, at->toPoint());
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().first().toLongLong(), id);
        QCOMPARE(plot->selectedRun(), id);
        e->selectRun(m_ids[1]); // from a run list: no signal back
        QCOMPARE(selected.size(), 1);
        QCOMPARE(plot->selectedRun(), m_ids[1]);

        QSignalSpy requested(e.get(), &TradeoffExplorer::planRequested);
        QTest::mouseDClick(plot, Qt::LeftButton, {}, at->toPoint());
        QCOMPARE(requested.size(), 1);
        QCOMPARE(requested.first().at(0).toLongLong(), id);
        QCOMPARE(requested.first().at(1).toJsonObject().value(QStringLiteral("default")).toString(),
                 QStringLiteral("int4_g32"));
        QCOMPARE(requested.first().at(2).toString(), QStringLiteral("int4"));
    }

    void doubleClickOpensThePlanInTheWindow() {
        auto w = cwbtest::openDemoWindow();
        TradeoffExplorer* e = w->tradeoffExplorer();
        e->setDatabasePath(m_db);
        QTRY_VERIFY_WITH_TIMEOUT(!e->isLoading() && !e->runs().empty(), kTimeoutMs);
        e->setLogScale(false, false);
        e->setAxes(RunMetric::Size, RunMetric::DeltaPplPercent, std::nullopt);
        w->tradeoffDock()->show();
        w->tradeoffDock()->raise();
        QTest::qWait(50);
        PrecisionPlanModel* plan = w->planModel();
        const int row = plan->rowOf(QStringLiteral("blk.0.attn_q.weight"));
        QCOMPARE(plan->precision(row), cwb::PrecisionId::Fp32);
        const auto at = e->plot()->pixelOf(m_ids[6]);
        QVERIFY(at);
        QTest::mouseDClick(e->plot(), Qt::LeftButton, {}, at->toPoint());
        QCOMPARE(plan->precision(row), cwb::PrecisionId::Int2G16);
        QCOMPARE(plan->name(), QStringLiteral("int2"));
        plan->undoStack()->undo(); // one step
        QCOMPARE(plan->precision(row), cwb::PrecisionId::Fp32);
        cwbtest::saveScreenshot(w.get(), QStringLiteral("tradeoff-window.png"));
    }

    void refreshShowsNewRuns() {
        auto e = openExplorer();
        const int before = int(e->plot()->points().size());
        const qint64 id = record(*m_model, QStringLiteral("new"), QStringLiteral("int4_g32"),
                                 metricsOf({100'000, 2.0, 1.0, 0.01, 0.95}));
        QSignalSpy updated(e.get(), &TradeoffExplorer::updated);
        e->refresh();
        QVERIFY(updated.wait(kTimeoutMs));
        QCOMPARE(int(e->plot()->points().size()), before + 1);
        // Smallest and nearly lossless: it beats the int4 and int2 runs, so they leave the front.
        QVERIFY(e->plot()->frontier().contains(id));
        QVERIFY(!e->plot()->frontier().contains(m_ids[6]));
        auto store = cwb::RunStore::open(m_db);
        QVERIFY((*store)->remove(id));
        e->refresh();
        QVERIFY(updated.wait(kTimeoutMs));
        QCOMPARE(int(e->plot()->points().size()), before);
    }

    void costAxisUsesTheStoresProfiles() {
        auto e = openExplorer();
        e->setAxes(RunMetric::DollarsPer1000Queries, RunMetric::KldMean, RunMetric::Bpw);
        QCOMPARE(int(e->plot()->points().size()), int(std::size(kRuns)));
        auto store = cwb::RunStore::open(m_db);
        cwb::CostAssumptions cost;
        cost.profiles = *(*store)->hardwareProfiles();
        cost.efficiency = *cwb::efficiencyFromStore(**store, *(*store)->get(m_ids[0]));
        QCOMPARE(e->costAssumptions().profiles.size(), cost.profiles.size());
        for (const TradeoffPoint& p : e->plot()->points()) {
            const auto run = (*store)->get(p.runId);
            QCOMPARE(p.x, *cwb::runMetricValue(*run, RunMetric::DollarsPer1000Queries, cost));
            QVERIFY(p.colour);
        }
        // A workload of longer answers costs more per query.
        const double before = e->plot()->points().first().x;
        cwb::CostAssumptions longer = e->costAssumptions();
        longer.workload.outputTokens *= 4;
        e->setCostAssumptions(longer);
        QVERIFY(e->plot()->points().first().x > before);
    }

    void exportsPngSvgAndPdf() {
        auto e = openExplorer();
        QTemporaryDir out;
        const QString png = out.filePath(QStringLiteral("plot.png"));
        const QString svg = out.filePath(QStringLiteral("plot.svg"));
        const QString pdf = out.filePath(QStringLiteral("plot.pdf"));
        QVERIFY(e->exportPlot(png));
        QVERIFY(e->exportPlot(svg));
        QVERIFY(e->exportPlot(pdf));
        const QImage image(png);
        QVERIFY(image.width() >= 1000 && image.height() >= 600);
        QFile s(svg), p(pdf);
        QVERIFY(s.open(QIODevice::ReadOnly) && p.open(QIODevice::ReadOnly));
        const QByteArray svgText = s.readAll();
        QVERIFY(svgText.contains("<svg") && svgText.contains("Trade-off"));
        QVERIFY(p.readAll().startsWith("%PDF"));
        // Kept beside the screenshots, for a person to look at.
        const QDir shots(QDir::currentPath() + QStringLiteral("/screenshots"));
        shots.mkpath(QStringLiteral("."));
        for (const char* name :
             {"tradeoff-export.png", "tradeoff-export.svg", "tradeoff-export.pdf"})
            QVERIFY(e->exportPlot(shots.filePath(QLatin1String(name))));
        QString error;
        QVERIFY(!e->plot()->exportTo(out.filePath(QStringLiteral("plot.bmpx")), &error));
        QVERIFY(error.contains(QLatin1String(".svg")));
    }

    // Teacher → prune → distillation (writes the student) → an 8-bit evaluation of the student on
    // the teacher's evaluation text: the hybrid is a point of the teacher's plot, at its size as a
    // fraction of the teacher's FP32 size and the teacher's perplexity over its own.
    void hybridStudentIsPlacedAgainstItsTeacher() {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("runs.sqlite"));
        auto pruned = cwb::pruneModel(
            *m_model, *cwb::studentSpecPlan(QStringLiteral("blocks=0,2,4")), nullptr);
        QVERIFY(pruned);
        const QString studentPath = dir.filePath(QStringLiteral("student.gguf"));
        QVERIFY(cwb::exportGguf(*pruned->model, cwb::Plan{}, studentPath, {}));
        auto student = cwb::loadModel(studentPath);
        QVERIFY(student);
        auto store = cwb::RunStore::open(db);
        QVERIFY(store);
        const cwb::TextIdentity text{QStringLiteral("/data/valid.txt"),
                                     QString(64, QLatin1Char('a')), 0};
        const QJsonObject eval{{QStringLiteral("split"), QStringLiteral("chunks")},
                               {QStringLiteral("ctx"), 512}};
        const auto run = [&](const QString& kind, const cwb::Model& model,
                             std::map<QString, cwb::MetricValue> metrics,
                             const QJsonObject& update = {}) {
            cwb::RunRecord r = cwb::newRunRecord(kind, &model, QStringLiteral("tst_tradeoff"));
            r.name = kind;
            if (kind == QLatin1String("evaluation")) {
                r.evalText = text;
                r.settings = eval;
            }
            auto recorder = cwb::RunRecorder::start(**store, r);
            if (!recorder || !recorder->finish({metrics, {}, 0, update}))
                qFatal("cannot record");
            return recorder->id();
        };
        const double teacherFp32 = 4.0 * double(m_model->parameterCount());
        run(QStringLiteral("evaluation"), *m_model,
            {{QStringLiteral("ppl"), {3.4, {}}},
             {QStringLiteral("size_bytes"), {teacherFp32, {}}}});
        const qint64 distilled = run(QStringLiteral("distillation"), *m_model,
                                     {{QStringLiteral("ppl"), {4.0, {}}},
                                      {QStringLiteral("base_ppl"), {3.4, {}}},
                                      {QStringLiteral("size_bytes"), {690'000, {}}}},
                                     *cwb::modelOutputJson(studentPath));
        const qint64 hybrid = run(QStringLiteral("evaluation"), **student,
                                  {{QStringLiteral("ppl"), {4.25, {}}},
                                   {QStringLiteral("base_ppl"), {4.0, {}}},
                                   {QStringLiteral("kld_mean"), {0.001, {}}},
                                   {QStringLiteral("size_bytes"), {180'000, {}}}});
        auto recorded = (*store)->get(hybrid);
        QVERIFY(recorded);
        QCOMPARE(recorded->parentId.value_or(0), distilled); // found by the student's sha256

        TradeoffExplorer e;
        e.setDatabasePath(db);
        e.setModel(m_model);
        QTRY_VERIFY_WITH_TIMEOUT(!e.isLoading(), kTimeoutMs);
        e.setLogScale(false, false);
        e.setAxes(RunMetric::SizeFractionOfOriginal, RunMetric::RetainedQuality, std::nullopt);
        QCOMPARE(int(e.plot()->points().size()), 3); // teacher, distil-only, hybrid
        QVERIFY2(e.statusText().contains(QLatin1String("1 of models made from it")),
                 qPrintable(e.statusText()));
        const auto point = [&](qint64 id) {
            for (const TradeoffPoint& p : e.plot()->points())
                if (p.runId == id)
                    return p;
            qFatal("run %lld is not plotted", qlonglong(id));
        };
        QCOMPARE(point(hybrid).x, 100.0 * 180'000 / teacherFp32);
        QCOMPARE(point(hybrid).y, 100.0 * 3.4 / 4.25);
        QCOMPARE(point(distilled).y, 100.0 * 3.4 / 4.0);
        QVERIFY(point(hybrid).toolTip.contains(QLatin1String("student.gguf")));
    }

    void emptyStoreSaysWhatToDo() {
        QTemporaryDir empty;
        TradeoffExplorer e;
        e.setDatabasePath(empty.filePath(QStringLiteral("none.sqlite")));
        e.setModel(m_model);
        QTRY_VERIFY_WITH_TIMEOUT(!e.isLoading(), kTimeoutMs);
        QVERIFY2(e.plot()->message().contains(QLatin1String("No runs")),
                 qPrintable(e.plot()->message()));
        QVERIFY(e.plot()->points().isEmpty());
    }
};

QTEST_MAIN(TestTradeoff)
#include "tst_tradeoff.moc"
