// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationpanel.h"
#include "costpanel.h"
#include "costprofilemodel.h"
#include "evaluationpanel.h"
#include "evaluationresultview.h"
#include "mainwindow.h"
#include "metricformat.h"
#include "precisionplanmodel.h"
#include "rundatabasedialog.h"
#include "rundatabaselocation.h"
#include "rundiffmetricsmodel.h"
#include "rundifftensorsmodel.h"
#include "rundiffview.h"
#include "runlibrary.h"
#include "runlistmodel.h"
#include "runlistpanel.h"
#include "runlistproxy.h"
#include "warningstrip.h"

#include "guitest.h"
#include "report.h"
#include "runrecorder.h"
#include "store/runstore.h"
#include "store/sqlitedb.h"
#include "testassets.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QDockWidget>
#include <QFile>
#include <QHeaderView>
#include <QLineEdit>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace {

constexpr int kEvaluationTimeoutMs = 300'000; // sanitizer builds run the model ~10× slower

QString sha(char c) {
    return QString(64, QLatin1Char(c));
}

// A finished evaluation run written straight to the store, as another process would.
qint64 seedRun(const QString& db, const cwb::ModelIdentity& model, const QString& name,
               const cwb::Plan& plan, std::map<QString, cwb::MetricValue> metrics,
               std::vector<cwb::TensorResult> tensors = {}) {
    auto store = cwb::RunStore::open(db);
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    cwb::RunRecord r = cwb::newRunRecord(QStringLiteral("evaluation"), nullptr,
                                         QStringLiteral("cwb eval (seeded by the test)"));
    r.model = model;
    r.name = name;
    r.plan = plan.toJson();
    auto id = (*store)->begin(r);
    if (!id)
        qFatal("%s", qPrintable(id.error().message));
    if (auto ok = (*store)->finish(*id, cwb::RunStatus::Finished, {metrics, tensors, 0, {}}); !ok)
        qFatal("%s", qPrintable(ok.error().message));
    return *id;
}

cwb::Plan planOf(cwb::PrecisionId precision, const QString& name) {
    cwb::Plan p;
    p.name = name;
    p.defaultPrecision = precision;
    return p;
}

QByteArray fileBytes(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QModelIndex proxyIndexOf(const RunListPanel& list, qint64 id, int column = 0) {
    const int row = list.model()->rowOf(id);
    return list.proxy()->mapFromSource(list.model()->index(row, column));
}

QList<qint64> shownIds(const RunListPanel& list) {
    QList<qint64> ids;
    for (int r = 0; r < list.proxy()->rowCount(); ++r)
        ids << list.proxy()->index(r, 0).data(RunListModel::RunIdRole).toLongLong();
    return ids;
}

} // namespace

class TestRunList : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_db;

    // Short evaluations: a thousand tokens of a small text.
    static cwb::EvalOptions quickOptions() {
        cwb::EvalOptions o;
        o.ctx = 128;
        o.maxTokens = 1000;
        return o;
    }

    // Shorter still, for tests that only need the window to keep working.
    static cwb::EvalOptions briefOptions() {
        cwb::EvalOptions o;
        o.ctx = 64;
        o.maxTokens = 128;
        return o;
    }

    QString smallText() const {
        const QString path = m_dir->filePath(QStringLiteral("stories.txt"));
        if (!QFile::exists(path)) {
            QFile out(path);
            if (!out.open(QIODevice::WriteOnly))
                qFatal("cannot write %s", qPrintable(path));
            out.write(fileBytes(cwbtest::validationText()).left(24'000));
        }
        return path;
    }

    static void evaluate(MainWindow& w) {
        EvaluationPanel* panel = w.evaluationPanel();
        QSignalSpy recorded(w.runLibrary(), &RunLibrary::runRecorded);
        panel->evaluate();
        QVERIFY(panel->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QVERIFY2(panel->resultView()->statusText().startsWith(QLatin1String("Finished")),
                 qPrintable(panel->resultView()->statusText()));
        // The run is recorded before the result is delivered.
        QVERIFY(recorded.count() == 1 || recorded.wait(5000));
    }

    std::vector<cwb::RunRecord> storedRuns() const {
        auto store = cwb::RunStore::open(m_db);
        if (!store)
            return {};
        auto runs = (*store)->list();
        return runs ? std::move(runs.value()) : std::vector<cwb::RunRecord>{};
    }

    cwb::RunRecord storedRun(qint64 id) const {
        auto store = cwb::RunStore::open(m_db);
        auto run = store ? (*store)->get(id) : cwb::Result<cwb::RunRecord>(store.error());
        return run ? run.value() : cwb::RunRecord{};
    }

    // The record `cwb eval` writes for the same work, in the same database.
    cwb::RunRecord cliRun(const QStringList& args) const {
        QProcess cwb;
        cwb.start(cwbtest::cliPath(),
                  QStringList{QStringLiteral("eval")} + args +
                      QStringList{QStringLiteral("--db"), m_db, QStringLiteral("--json")});
        if (!cwb.waitForFinished(kEvaluationTimeoutMs) || cwb.exitCode() != 0)
            qFatal("cwb eval failed: %s", cwb.readAllStandardError().constData());
        return storedRuns().back();
    }

    static void compareRecords(const cwb::RunRecord& gui, const cwb::RunRecord& cli) {
        QCOMPARE(gui.kind, cli.kind);
        QCOMPARE(gui.status, cli.status);
        QVERIFY(gui.model && cli.model);
        QCOMPARE(gui.model->sha256, cli.model->sha256);
        QCOMPARE(gui.model->path, cli.model->path);
        QCOMPARE(gui.model->config, cli.model->config);
        QCOMPARE(gui.evalText.path, cli.evalText.path);
        QCOMPARE(gui.evalText.sha256, cli.evalText.sha256);
        QCOMPARE(gui.evalText.tokens, cli.evalText.tokens);
        QCOMPARE(gui.settings, cli.settings);
        QCOMPARE(gui.threads, cli.threads);
        QCOMPARE(gui.cpu, cli.cpu);
        QCOMPARE(gui.toolVersion, cli.toolVersion);
        QCOMPARE(gui.onednnVersion, cli.onednnVersion);
        QVERIFY2(gui.command.startsWith(QLatin1String("cwb eval ")), qPrintable(gui.command));
        // Every metric, and every deterministic one to the bit.
        QCOMPARE(gui.metrics.size(), cli.metrics.size());
        for (const char* name : {"ppl", "nll_mean", "tokens_scored", "kld_mean", "kld_p99",
                                 "top1_agreement", "size_bytes", "bpw"}) {
            const auto g = gui.metrics.find(QLatin1String(name));
            const auto c = cli.metrics.find(QLatin1String(name));
            QCOMPARE(g == gui.metrics.end(), c == cli.metrics.end());
            if (g == gui.metrics.end())
                continue;
            QCOMPARE(g->second.value, c->second.value);
            QCOMPARE(g->second.uncertainty, c->second.uncertainty);
        }
        QCOMPARE(gui.tensors.size(), cli.tensors.size());
        for (std::size_t i = 0; i < gui.tensors.size(); ++i) {
            QCOMPARE(gui.tensors[i].tensor, cli.tensors[i].tensor);
            QCOMPARE(gui.tensors[i].precision, cli.tensors[i].precision);
            QCOMPARE(gui.tensors[i].method, cli.tensors[i].method);
            QCOMPARE(gui.tensors[i].bytes, cli.tensors[i].bytes);
        }
    }

    std::unique_ptr<MainWindow> windowOnModelFile() const {
        auto w = cwbtest::openDemoWindow();
        if (!w->openModel(cwbtest::stories260KBin()))
            qFatal("stories260K.bin did not open");
        w->evaluationPanel()->setTextPath(smallText());
        w->evaluationPanel()->setOptions(quickOptions());
        return w;
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // QSettings go to a test location
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_runlist"));
    }

    // Every test its own database, named by $CWB_DB as CTest does, and fresh settings.
    void init() {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_db = m_dir->filePath(QStringLiteral("runs.sqlite"));
        qputenv("CWB_DB", m_db.toLocal8Bit());
        QSettings().clear();
    }

    void cleanup() { m_dir.reset(); }

    // Runs ▸ Export Report… on a selected run writes the same report `cwb report` does.
    void exportsTheReportOfASelectedRun() {
        auto w = windowOnModelFile();
        evaluate(*w);
        const std::vector<cwb::RunRecord> runs = storedRuns();
        QCOMPARE(runs.size(), std::size_t(1));
        const qint64 id = runs.front().id;
        RunListPanel* list = w->runList();
        list->selectRun(id);
        QVERIFY(list->exportReportAction()->isEnabled());
        QSignalSpy asked(list, &RunListPanel::reportRequested);
        // Answered by a file dialog in the window: only the request is checked here.
        QObject::disconnect(list, &RunListPanel::reportRequested, w.get(), nullptr);
        list->exportReportAction()->trigger();
        QCOMPARE(asked.count(), 1);
        QCOMPARE(asked.first().at(0).toLongLong(), id);
        QCOMPARE(asked.first().at(1).toLongLong(), 0);

        const QString json = m_dir->filePath(QStringLiteral("report.json"));
        QVERIFY(w->exportReport(id, 0, json));
        auto report = cwb::readReportFile(json); // digest checked
        QVERIFY2(report, report ? "" : qPrintable(report.error().message));
        QCOMPARE(report->value(QStringLiteral("run_id")).toInteger(), id);
        const QString html = m_dir->filePath(QStringLiteral("report.html"));
        QVERIFY(w->exportReport(id, 0, html));
        QVERIFY(fileBytes(html).contains(
            QStringLiteral("Compression report: run %1").arg(id).toUtf8()));
        // A folder that does not exist: a dialog, no file.
        QVERIFY(!w->exportReport(id, 0, m_dir->filePath(QStringLiteral("no/such/r.pdf"))));
        QTRY_VERIFY(cwbtest::errorBox(w.get()));
    }

    // Differences are shown to the precision their uncertainty allows, in the metric's unit.
    void formatsDifferences_data() {
        QTest::addColumn<QString>("metric");
        QTest::addColumn<double>("delta");
        QTest::addColumn<double>("uncertainty");
        QTest::addColumn<QString>("shown");
        QTest::newRow("ppl") << "ppl" << 0.03196 << 0.4791 << "+0.03 ± 0.48";
        QTest::newRow("ratio") << "ppl_ratio" << 0.0070612 << 0.00342 << "+0.0071 ± 0.0034";
        QTest::newRow("percent") << "delta_ppl_percent" << 0.7061 << 0.342 << "+0.71% ± 0.34%";
        QTest::newRow("fraction") << "top1_agreement" << -0.0125 << 0.006 << "−1.25% ± 0.60%";
        QTest::newRow("bytes") << "size_bytes" << -131072.0 << 0.0 << "−131 kB";
        QTest::newRow("exact") << "kld_mean" << 0.0 << 0.002 << "+0.0000 ± 0.0020";
    }
    void formatsDifferences() {
        QFETCH(QString, metric);
        QFETCH(double, delta);
        QFETCH(double, uncertainty);
        QFETCH(QString, shown);
        QCOMPARE(formatMetricDelta(metric, delta,
                                   uncertainty > 0 ? std::optional(uncertainty) : std::nullopt),
                 shown);
    }

    // An evaluation in the window is a run in the list, recorded as `cwb eval` records it.
    void evaluationIsRecordedLikeTheCli() {
        auto w = windowOnModelFile();
        RunListPanel* list = w->runList();
        QAbstractItemModelTester modelTester(list->model());
        QAbstractItemModelTester proxyTester(list->proxy());
        QCOMPARE(w->runLibrary()->path(), m_db);
        QCOMPARE(list->model()->rowCount(), 0);

        evaluate(*w);
        QTRY_COMPARE(list->model()->rowCount(), 1);
        const auto runs = storedRuns();
        QCOMPARE(runs.size(), std::size_t(1));
        const cwb::RunRecord gui = storedRun(runs[0].id);
        QCOMPARE(gui.status, cwb::RunStatus::Finished);
        QCOMPARE(gui.name, QStringLiteral("fp32"));
        QCOMPARE(gui.tensors.size(), std::size_t(47));

        // Listed with its perplexity, current (the cost panel follows it), of this model.
        const QModelIndex ppl = proxyIndexOf(*list, gui.id, RunListModel::Ppl);
        QVERIFY(ppl.isValid());
        QCOMPARE(ppl.data().toString(),
                 formatMetric(QStringLiteral("ppl"), gui.metrics.at(QStringLiteral("ppl")).value));
        QCOMPARE(proxyIndexOf(*list, gui.id, RunListModel::Status).data().toString(),
                 QStringLiteral("finished"));
        QCOMPARE(list->currentRun(), gui.id);
        QCOMPARE(w->costPanel()->run(), gui.id);
        QVERIFY(list->thisModelOnlyBox()->isChecked());
        QCOMPARE(list->proxy()->rowCount(), 1);

        const cwb::RunRecord cli =
            cliRun({cwbtest::stories260KBin(), QStringLiteral("--text"), smallText(),
                    QStringLiteral("--ctx"), QStringLiteral("128"), QStringLiteral("--max-tokens"),
                    QStringLiteral("1000")});
        QVERIFY(cli.id != gui.id);
        compareRecords(gui, storedRun(cli.id));
        // Recorded by another process: in the list once anything asks it to read again.
        w->runLibrary()->notifyRunsChanged();
        QCOMPARE(list->model()->rowCount(), 2);
        w->runListDock()->raise();
        cwbtest::saveScreenshot(w.get(), QStringLiteral("runs-after-evaluation.png"));
    }

    // Two plan evaluations that differ in one tensor: the list sorts and filters them, Compare
    // shows that tensor, and Open Plan gives the tensors the first plan back.
    void planRunsAreComparedAndReopened() {
        auto w = windowOnModelFile();
        RunListPanel* list = w->runList();
        PrecisionPlanModel* plan = w->planModel();
        QAbstractItemModelTester proxyTester(list->proxy());

        plan->applyPlan(planOf(cwb::PrecisionId::Int8, {}), QStringLiteral("all int8"));
        plan->setName(QStringLiteral("all int8"));
        evaluate(*w);
        const int down = plan->rowOf(QStringLiteral("blk.1.ffn_down.weight"));
        QVERIFY(down >= 0);
        QVERIFY(plan->setPrecision({down}, cwb::PrecisionId::Int4G32));
        plan->setName(QStringLiteral("int8, ffn_down.1 int4"));
        evaluate(*w);
        QTRY_COMPARE(list->model()->rowCount(), 2);
        const auto runs = storedRuns();
        const qint64 a = runs[0].id, b = runs[1].id;
        QCOMPARE(runs[0].name, QStringLiteral("all int8"));

        // The same record as `cwb eval --plan` writes.
        const QString planFile = m_dir->filePath(QStringLiteral("plan-b.json"));
        QVERIFY(w->savePlan(planFile));
        const cwb::RunRecord cli =
            cliRun({cwbtest::stories260KBin(), QStringLiteral("--text"), smallText(),
                    QStringLiteral("--ctx"), QStringLiteral("128"), QStringLiteral("--max-tokens"),
                    QStringLiteral("1000"), QStringLiteral("--plan"), planFile});
        compareRecords(storedRun(b), storedRun(cli.id));
        w->runLibrary()->notifyRunsChanged();
        QCOMPARE(list->model()->rowCount(), 3);

        // The cost of the new run under the result, as the cost panel prices it.
        QCOMPARE(list->currentRun(), b);
        const QString note = w->evaluationPanel()->runNote();
        QVERIFY2(note.contains(QStringLiteral("run %1").arg(b)), qPrintable(note));
        QTRY_COMPARE(w->costPanel()->run(), b);
        const auto cheapest = w->costPanel()->model()->cheapestRow();
        QVERIFY(cheapest);
        QVERIFY2(note.contains(w->costPanel()
                                   ->model()
                                   ->index(*cheapest, CostProfileModel::PerThousand)
                                   .data()
                                   .toString()),
                 qPrintable(note));

        // Sorted by mean KLD by a click on its header: the larger plan's first.
        QHeaderView* header = list->view()->horizontalHeader();
        const int x = header->sectionViewportPosition(RunListModel::KldMean) + 5;
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
        const Qt::SortOrder order = header->sortIndicatorOrder();
        const double kldA = storedRun(a).metrics.at(QStringLiteral("kld_mean")).value;
        const double kldB = storedRun(b).metrics.at(QStringLiteral("kld_mean")).value;
        QVERIFY(kldA < kldB);
        QList<qint64> sorted = shownIds(*list);
        QCOMPARE(sorted.indexOf(a) < sorted.indexOf(b), order == Qt::AscendingOrder);
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
        sorted = shownIds(*list);
        QCOMPARE(sorted.indexOf(a) < sorted.indexOf(b), order != Qt::AscendingOrder);

        // Filtered by the plan's name.
        QTest::keyClicks(list->filterEdit(), QStringLiteral("ffn_down"));
        QCOMPARE(shownIds(*list).size(), 2); // the window's run B and the CLI's
        QVERIFY(!shownIds(*list).contains(a));
        list->filterEdit()->clear();
        QCOMPARE(shownIds(*list).size(), 3);

        // Compare: the one tensor that differs, with the metric changes.
        list->selectRuns({a, b});
        QCOMPARE(list->selectedRuns().size(), 2);
        QVERIFY(list->compareAction()->isEnabled());
        list->compareAction()->trigger();
        RunDiffView* diff = w->runDiffView();
        QAbstractItemModelTester metricsTester(diff->metricsModel());
        QAbstractItemModelTester tensorsTester(diff->tensorsModel());
        QCOMPARE(diff->runA(), a);
        QCOMPARE(diff->runB(), b);
        QVERIFY(w->runDiffDock()->isVisible());
        QCOMPARE(diff->tensorsModel()->rowCount(), 1);
        const QModelIndex tensor = diff->tensorsModel()->index(0, RunDiffTensorsModel::Tensor);
        QCOMPARE(tensor.data().toString(), QStringLiteral("blk.1.ffn_down.weight"));
        const auto cell = [&](int column, int role) {
            return diff->tensorsModel()->index(0, column).data(role).toString();
        };
        QCOMPARE(cell(RunDiffTensorsModel::A, RunDiffTensorsModel::PrecisionRole),
                 QStringLiteral("int8"));
        QCOMPARE(cell(RunDiffTensorsModel::B, RunDiffTensorsModel::PrecisionRole),
                 QStringLiteral("int4_g32"));
        QCOMPARE(cell(RunDiffTensorsModel::B, Qt::DisplayRole), QStringLiteral("int4_g32"));
        QCOMPARE(cell(RunDiffTensorsModel::B, RunDiffTensorsModel::MethodRole),
                 QStringLiteral("rtn"));
        const int kld = diff->metricsModel()->rowOf(QStringLiteral("kld_mean"));
        QVERIFY(kld >= 0);
        QCOMPARE(diff->metricsModel()
                     ->index(kld, RunDiffMetricsModel::Delta)
                     .data(RunDiffMetricsModel::DeltaRole)
                     .toDouble(),
                 kldB - kldA);
        QVERIFY(diff->notes().isEmpty());
        cwbtest::saveScreenshot(w.get(), QStringLiteral("run-diff-window.png"));
        cwbtest::saveScreenshot(w->runDiffDock(), QStringLiteral("run-diff.png"));

        // Open Plan on run A: every tensor back to int8, as one undo step.
        QVERIFY(w->selectRun(a));
        w->runListDock()->raise();
        list->openPlanAction()->trigger();
        QVERIFY(!cwbtest::errorBox(w.get()));
        QCOMPARE(plan->precision(down), cwb::PrecisionId::Int8);
        QCOMPARE(plan->name(), QStringLiteral("all int8"));
        plan->undoStack()->undo();
        QCOMPARE(plan->precision(down), cwb::PrecisionId::Int4G32);
    }

    // A cancelled evaluation is kept, as cancelled.
    void cancelledEvaluationIsKept() {
        auto w = cwbtest::openDemoWindow();
        QSignalSpy recorded(w->runLibrary(), &RunLibrary::runRecorded);
        cwbtest::evaluateThenCancel(*w, QStringLiteral("runs-cancelled.png"), kEvaluationTimeoutMs);
        QTRY_COMPARE(recorded.count(), 1);
        const qint64 id = recorded.at(0).at(0).toLongLong();
        const cwb::RunRecord run = storedRun(id);
        QCOMPARE(run.status, cwb::RunStatus::Cancelled);
        QCOMPARE(run.error, QStringLiteral("cancelled"));
        QCOMPARE(proxyIndexOf(*w->runList(), id, RunListModel::Status).data().toString(),
                 QStringLiteral("cancelled"));
        // Not made current: only a finished evaluation is.
        QCOMPARE(w->runList()->currentRun(), 0);
    }

    // Missing metrics sort last either way; the filter and "This model only" narrow the list.
    void listSortsAndFilters() {
        auto w = cwbtest::openDemoWindow();
        const cwb::ModelIdentity demo = cwb::modelIdentity(*w->model());
        cwb::ModelIdentity other = demo;
        other.path = QStringLiteral("/models/other.gguf");
        other.sha256 = sha('e');
        const auto ppl = [](double v) {
            return std::map<QString, cwb::MetricValue>{{QStringLiteral("ppl"), {v, 0.1}}};
        };
        const qint64 high =
            seedRun(m_db, demo, QStringLiteral("int4"),
                    planOf(cwb::PrecisionId::Int4G32, QStringLiteral("int4")), ppl(9.5));
        const qint64 none =
            seedRun(m_db, demo, QStringLiteral("calib"), planOf(cwb::PrecisionId::Fp32, {}), {});
        const qint64 low =
            seedRun(m_db, demo, QStringLiteral("int8"),
                    planOf(cwb::PrecisionId::Int8, QStringLiteral("int8")), ppl(3.3));
        const qint64 foreign = seedRun(m_db, other, QStringLiteral("int8 elsewhere"),
                                       planOf(cwb::PrecisionId::Int8, {}), ppl(5.0));
        w->runLibrary()->notifyRunsChanged();
        RunListPanel* list = w->runList();
        QAbstractItemModelTester modelTester(list->model());
        QAbstractItemModelTester proxyTester(list->proxy());
        QCOMPARE(list->model()->rowCount(), 4);
        // The demo model's fingerprint is known once its background hash is done.
        QTRY_COMPARE(shownIds(*list).size(), 3);
        QVERIFY(!shownIds(*list).contains(foreign));
        list->thisModelOnlyBox()->setChecked(false);
        QCOMPARE(shownIds(*list).size(), 4);

        list->view()->sortByColumn(RunListModel::Ppl, Qt::AscendingOrder);
        QCOMPARE(shownIds(*list), (QList<qint64>{low, foreign, high, none}));
        list->view()->sortByColumn(RunListModel::Ppl, Qt::DescendingOrder);
        QCOMPARE(shownIds(*list), (QList<qint64>{high, foreign, low, none}));
        QCOMPARE(proxyIndexOf(*list, none, RunListModel::Ppl).data().toString(),
                 QStringLiteral("–"));

        QTest::keyClicks(list->filterEdit(), QStringLiteral("INT8"));
        QCOMPARE(shownIds(*list), (QList<qint64>{foreign, low}));
        list->thisModelOnlyBox()->setChecked(true);
        QCOMPARE(shownIds(*list), (QList<qint64>{low}));
        QCOMPARE(list->statusText(), QStringLiteral("1 of 4 runs in runs.sqlite"));
        // A run asked for by id is shown, the filters giving way.
        QVERIFY(w->selectRun(foreign));
        QCOMPARE(list->currentRun(), foreign);
        QVERIFY(list->filterEdit()->text().isEmpty());
        QVERIFY(!list->thisModelOnlyBox()->isChecked());
        QVERIFY(!w->selectRun(9999));
        w->runListDock()->raise();
        cwbtest::saveScreenshot(w->runListDock(), QStringLiteral("run-list.png"));
    }

    // Double-click opens a run's plan; a run of another model is refused with its reason.
    void openPlanOnlyForTheSameModel() {
        auto w = cwbtest::openDemoWindow();
        const cwb::ModelIdentity demo = cwb::modelIdentity(*w->model());
        cwb::ModelIdentity other = demo;
        other.path = QStringLiteral("/models/other.gguf");
        other.sha256 = sha('d');
        cwb::Plan plan = planOf(cwb::PrecisionId::Int8, QStringLiteral("attention at int4"));
        cwb::PlanRule attention;
        attention.match = QStringLiteral("blk\\.[0-9]+\\.attn_.*");
        attention.precision = cwb::PrecisionId::Int4G32;
        plan.rules.push_back(attention);
        const qint64 mine = seedRun(m_db, demo, plan.name, plan, {});
        const qint64 theirs = seedRun(m_db, other, QStringLiteral("all int2"),
                                      planOf(cwb::PrecisionId::Int2G16, {}), {});
        w->runLibrary()->notifyRunsChanged();
        RunListPanel* list = w->runList();
        list->thisModelOnlyBox()->setChecked(false);
        PrecisionPlanModel* model = w->planModel();
        const int q = model->rowOf(QStringLiteral("blk.0.attn_q.weight"));
        const int up = model->rowOf(QStringLiteral("blk.0.ffn_up.weight"));

        const QModelIndex index = proxyIndexOf(*list, mine, RunListModel::Name);
        const QRect rect = list->view()->visualRect(index);
        // As a user does it: the first click selects, the second makes the double-click.
        QTest::mouseClick(list->view()->viewport(), Qt::LeftButton, {}, rect.center());
        QSignalSpy asked(list, &RunListPanel::planRequested);
        QTest::mouseDClick(list->view()->viewport(), Qt::LeftButton, {}, rect.center());
        QCOMPARE(asked.count(), 1);
        QVERIFY(!cwbtest::errorBox(w.get()));
        QCOMPARE(model->precision(q), cwb::PrecisionId::Int4G32);
        QCOMPARE(model->precision(up), cwb::PrecisionId::Int8);
        QCOMPARE(model->name(), QStringLiteral("attention at int4"));

        QVERIFY(!w->openPlanOfRun(theirs));
        QMessageBox* box = cwbtest::errorBox(w.get());
        QVERIFY(box);
        QVERIFY2(box->text().contains(QLatin1String("other.gguf")) &&
                     box->text().contains(QLatin1String("not with the open model")),
                 qPrintable(box->text()));
        cwbtest::saveScreenshot(box, QStringLiteral("run-plan-other-model.png"));
        box->close();
        QCOMPARE(model->precision(up), cwb::PrecisionId::Int8);
    }

    // Delete asks first; Cancel keeps the run, Delete removes it from the file.
    void deleteAsksFirst() {
        auto w = cwbtest::openDemoWindow();
        const cwb::ModelIdentity demo = cwb::modelIdentity(*w->model());
        const qint64 keep =
            seedRun(m_db, demo, QStringLiteral("keep"), planOf(cwb::PrecisionId::Int8, {}), {});
        const qint64 gone =
            seedRun(m_db, demo, QStringLiteral("gone"), planOf(cwb::PrecisionId::Int8, {}), {});
        w->runLibrary()->notifyRunsChanged();
        RunListPanel* list = w->runList();
        QAbstractItemModelTester modelTester(list->model());
        QVERIFY(w->selectRun(gone));
        QSignalSpy changed(w->runLibrary(), &RunLibrary::runsChanged);

        list->deleteAction()->trigger();
        QMessageBox* box = list->deleteConfirmation();
        QVERIFY(box);
        QVERIFY2(box->text().contains(QStringLiteral("run %1").arg(gone)), qPrintable(box->text()));
        cwbtest::saveScreenshot(box, QStringLiteral("delete-run.png"));
        QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
        QCOMPARE(storedRuns().size(), std::size_t(2));
        QCOMPARE(changed.count(), 0);

        list->deleteAction()->trigger();
        box = list->deleteConfirmation();
        QVERIFY(box);
        QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
        const auto runs = storedRuns();
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(runs[0].id, keep);
        QCOMPARE(list->model()->rowCount(), 1);
        QCOMPARE(list->model()->rowOf(gone), -1);
    }

    // A calibration in the window is a calibration run, as `cwb calibrate` records it.
    void calibrationIsRecorded() {
        auto w = cwbtest::openDemoWindow();
        CalibrationPanel* panel = w->calibrationPanel();
        panel->setCacheDir(m_dir->filePath(QStringLiteral("cache")));
        cwb::CalibrationOptions o;
        o.sequences = 4;
        o.sequenceLength = 64;
        o.hessians = false;
        panel->setOptions(o);
        QSignalSpy recorded(w->runLibrary(), &RunLibrary::runRecorded);
        panel->calibrate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QVERIFY(panel->statistics());
        QVERIFY(recorded.count() == 1 || recorded.wait(5000));

        const auto runs = storedRuns();
        QCOMPARE(runs.size(), std::size_t(1));
        const cwb::RunRecord run = storedRun(runs[0].id);
        QCOMPARE(run.kind, QStringLiteral("calibration"));
        QCOMPARE(run.status, cwb::RunStatus::Finished);
        QCOMPARE(run.calibText.sha256, panel->statistics()->textSha256);
        QCOMPARE(run.model->sha256, panel->statistics()->modelSha256);
        QCOMPARE(run.metrics.at(QStringLiteral("calib_tokens")).value,
                 double(panel->statistics()->tokens));
        QCOMPARE(run.settings.value(QStringLiteral("sequences")).toInt(), 4);
        QCOMPARE(run.settings.value(QStringLiteral("sequence_length")).toInt(), 64);
        QCOMPARE(run.settings.value(QStringLiteral("hessians")).toBool(), false);
        QCOMPARE(run.settings.value(QStringLiteral("from_cache")).toBool(), false);
        QVERIFY(QFile::exists(run.settings.value(QStringLiteral("out")).toString()));
        QVERIFY2(run.command.startsWith(QLatin1String("cwb calibrate ")), qPrintable(run.command));
        QVERIFY(run.command.contains(QLatin1String("--no-hessians")));
        QTRY_COMPARE(w->runList()->model()->rowCount(), 1);
        // A calibration has no plan to open.
        QVERIFY(w->selectRun(run.id));
        QVERIFY(!w->runList()->openPlanAction()->isEnabled());
        QVERIFY(!w->openPlanOfRun(run.id));
        QMessageBox* box = cwbtest::errorBox(w.get());
        QVERIFY(box && box->text().contains(QLatin1String("has no plan")));
        box->close();
    }

    // A file that is not a run database: one line says so, the window works on, and neither
    // opening it nor evaluating changes a byte of it.
    void corruptDatabaseIsLeftAlone() {
        QByteArray garbage;
        for (int i = 0; i < 200; ++i)
            garbage += "this is not an SQLite database, whatever its name says\n";
        {
            QFile f(m_db);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(garbage);
        }
        auto w = cwbtest::openDemoWindow();
        RunListPanel* list = w->runList();
        QVERIFY(!w->runLibrary()->isOpen());
        const QString problem = w->runLibrary()->problem();
        QVERIFY2(problem.startsWith(QLatin1String("Runs are not kept: ")) &&
                     problem.contains(QLatin1String("not a run database")) &&
                     !problem.contains(QLatin1Char('\n')),
                 qPrintable(problem));
        auto* strip = list->findChild<WarningStrip*>();
        QVERIFY(strip && strip->isVisible());
        QCOMPARE(strip->text(), problem);
        QCOMPARE(list->model()->rowCount(), 0);
        QCOMPARE(list->statusText(), QStringLiteral("No runs are kept"));
        QVERIFY(!list->deleteAction()->isEnabled());
        QVERIFY(!cwbtest::errorBox(w.get()));
        w->runListDock()->raise();
        cwbtest::saveScreenshot(w.get(), QStringLiteral("runs-corrupt-database.png"));

        EvaluationPanel* panel = w->evaluationPanel();
        panel->setOptions(briefOptions());
        panel->evaluate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QVERIFY2(panel->resultView()->statusText().startsWith(QLatin1String("Finished")),
                 qPrintable(panel->resultView()->statusText()));
        w.reset();
        QCOMPARE(fileBytes(m_db), garbage);
        QVERIFY(!QFile::exists(m_db + QStringLiteral("-wal")));
        QVERIFY(!QFile::exists(m_db + QStringLiteral("-journal")));
    }

    // A database of a newer version: its runs are listed, nothing is written to it.
    void newerDatabaseIsReadOnly() {
        const cwb::ModelIdentity someModel{
            QStringLiteral("/models/m.gguf"), 1, sha('c'), QStringLiteral("GGUF v3"),
            QStringLiteral("llama"),          1, {}};
        const qint64 id =
            seedRun(m_db, someModel, QStringLiteral("old"), planOf(cwb::PrecisionId::Int8, {}),
                    {{QStringLiteral("ppl"), {4.0, 0.1}}});
        {
            auto store = cwb::RunStore::open(m_db);
            QVERIFY(store);
            QVERIFY((*store)->database().exec(QStringLiteral("PRAGMA user_version = 99")));
        }
        auto w = cwbtest::openDemoWindow();
        RunLibrary* library = w->runLibrary();
        QVERIFY(library->isOpen());
        QVERIFY(!library->canRecord());
        QVERIFY2(library->problem().contains(QLatin1String("newer")),
                 qPrintable(library->problem()));
        RunListPanel* list = w->runList();
        list->thisModelOnlyBox()->setChecked(false);
        QCOMPARE(list->model()->rowCount(), 1);
        QVERIFY(w->selectRun(id));
        QVERIFY(!list->deleteAction()->isEnabled());
        QVERIFY(list->findChild<WarningStrip*>()->isVisible());

        EvaluationPanel* panel = w->evaluationPanel();
        panel->setOptions(briefOptions());
        panel->evaluate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QVERIFY2(panel->resultView()->statusText().startsWith(QLatin1String("Finished")),
                 qPrintable(panel->resultView()->statusText()));
        QCOMPARE(list->model()->rowCount(), 1);
    }

    // $CWB_DB, else the chosen file, else the CLI's default; File ▸ Run Database… chooses.
    void databaseSettingChoosesTheFile() {
        const QString chosen = m_dir->filePath(QStringLiteral("chosen.sqlite"));
        qunsetenv("CWB_DB");
        QCOMPARE(RunDatabaseLocation::path(), cwb::RunStore::defaultPath());
        RunDatabaseLocation::setChosenPath(chosen);
        QCOMPARE(RunDatabaseLocation::path(), chosen);
        qputenv("CWB_DB", m_db.toLocal8Bit());
        QCOMPARE(RunDatabaseLocation::path(), m_db);
        qunsetenv("CWB_DB");

        auto w = cwbtest::openDemoWindow();
        QCOMPARE(w->runLibrary()->path(), chosen);
        QVERIFY(QFile::exists(chosen));

        // The dialog, as a user works it.
        const QString other = m_dir->filePath(QStringLiteral("other.sqlite"));
        QSignalSpy changed(w->runLibrary(), &RunLibrary::databaseChanged);
        cwbtest::findAction(w.get(), QStringLiteral("runDatabaseAction"))->trigger();
        auto* dialog = w->findChild<RunDatabaseDialog*>();
        QVERIFY(dialog && dialog->isVisible());
        QCOMPARE(dialog->pathEdit()->text(), chosen);
        dialog->pathEdit()->clear();
        QTest::keyClicks(dialog->pathEdit(), other);
        cwbtest::saveScreenshot(dialog, QStringLiteral("run-database-dialog.png"));
        dialog->accept();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(w->runLibrary()->path(), other);
        QCOMPARE(QSettings().value(QStringLiteral("runs/database")).toString(), other);
        QVERIFY(w->runLibrary()->canRecord());
        w.reset();
        qputenv("CWB_DB", m_db.toLocal8Bit());
    }
};

QTEST_MAIN(TestRunList)
#include "tst_runlist.moc"
