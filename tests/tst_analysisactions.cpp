// SPDX-License-Identifier: GPL-3.0-or-later
// Plan ▸ Run Sensitivity and Plan ▸ Search… in the real window on the demo model: the tensor
// table's Sensitivity column and the layer map hold core's measurement; a search applies a plan
// within its budget as one undo step, with its reasons, evaluated and recorded as a run; a sweep
// draws its frontier; a budget no plan reaches says why and changes nothing.
#include "analysisactions.h"
#include "layermap.h"
#include "layermapmodel.h"
#include "mainwindow.h"
#include "precisionplanmodel.h"
#include "runlibrary.h"
#include "runlistpanel.h"
#include "searchdialog.h"
#include "tensortablemodel.h"
#include "tensorview.h"
#include "tradeoffexplorer.h"
#include "tradeoffplot.h"

#include "guitest.h"
#include "model.h"
#include "planevaluation.h"
#include "resources.h"
#include "searchrecord.h"
#include "sensitivity.h"
#include "textfile.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonDocument>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <cmath>

namespace {

constexpr int kTimeoutMs = 280'000; // within Qt Test's watchdog of 300 s per function

// A short text: every candidate reruns a few hundred tokens.
cwb::EvalOptions quickOptions() {
    cwb::EvalOptions o;
    o.split = cwb::SplitMode::Chunks;
    o.ctx = 64;
    o.maxTokens = 256;
    return o;
}

std::vector<cwb::PrecisionId> precisionsOf(const PrecisionPlanModel& plan) {
    std::vector<cwb::PrecisionId> out;
    for (int row = 0; row < plan.rowCount(); ++row)
        out.push_back(plan.precision(row));
    return out;
}

std::vector<cwb::RunRecord> runsOfKind(MainWindow& w, const QString& kind) {
    cwb::RunFilter filter;
    filter.kind = kind;
    auto runs = w.runLibrary()->runs(filter);
    return runs ? runs.value() : std::vector<cwb::RunRecord>{};
}

SearchDialog* openSearchDialog(MainWindow& w) {
    cwbtest::findAction(&w, QStringLiteral("searchAction"))->trigger();
    auto* dialog = w.findChild<SearchDialog*>(QStringLiteral("searchDialog"));
    if (dialog && !QTest::qWaitForWindowExposed(dialog))
        return nullptr;
    return dialog;
}

void clickSearch(SearchDialog* dialog) {
    QTest::mouseClick(dialog->findChild<QPushButton*>(QStringLiteral("searchButton")),
                      Qt::LeftButton);
}

} // namespace

class TestAnalysisActions : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;

    // The window every test shares: the sensitivity measured by the first is read back from the
    // cache by the searches.
    MainWindow& window() {
        if (!m_window) {
            m_window = cwbtest::openDemoWindow();
            m_window->resize(1600, 1000); // as `compression-workbench --screenshot` shows it
            m_window->evaluationPanel()->setOptions(quickOptions());
        }
        return *m_window;
    }

    // What core measures for the same model, text and options, in a cache of its own.
    cwb::SensitivityResult coreSensitivity() {
        auto model = cwb::loadModel(cwb::resources::demoModelPath());
        auto text = cwb::readTextFile(cwb::resources::demoEvaluationText());
        if (!model || !text)
            qFatal("the demo model or text did not load");
        cwb::SensitivityOptions o;
        o.eval = quickOptions();
        o.cacheDir = m_dir.filePath(QStringLiteral("core-cache"));
        o.reuseCached = false;
        auto r = cwb::measureSensitivity(**model, *text, o);
        if (!r)
            qFatal("%s", qPrintable(r.error().message));
        return r.value();
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_analysisactions"));
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        qputenv("CWB_DB", m_dir.filePath(QStringLiteral("runs.sqlite")).toLocal8Bit());
        qputenv("CWB_CACHE_DIR", m_dir.filePath(QStringLiteral("cache")).toLocal8Bit());
    }

    void cleanupTestCase() { m_window.reset(); }

    void actionsNeedAModel() {
        MainWindow w;
        QVERIFY(!cwbtest::findAction(&w, QStringLiteral("runSensitivityAction"))->isEnabled());
        QVERIFY(!cwbtest::findAction(&w, QStringLiteral("searchAction"))->isEnabled());
        QVERIFY(!w.analysisActions()->runSensitivity());
    }

    void sensitivityFillsTheColumnAndTheMap() {
        MainWindow& w = window();
        TensorTableModel* table = w.tensorView()->sourceModel();
        QVERIFY(!table->sensitivity());
        QSignalSpy shown(w.analysisActions(), &AnalysisActions::sensitivityShown);
        cwbtest::findAction(&w, QStringLiteral("runSensitivityAction"))->trigger();
        QVERIFY(w.analysisActions()->isRunning());
        QVERIFY(cwbtest::findAction(&w, QStringLiteral("cancelAction"))->isEnabled());
        QVERIFY(shown.wait(kTimeoutMs));
        QVERIFY(!w.analysisActions()->isRunning());
        QVERIFY(!cwbtest::errorBox(&w));

        const cwb::SensitivityResult core = coreSensitivity();
        QCOMPARE(cwb::referencePrecision(core), cwb::PrecisionId::Int4G32);
        LayerMapModel* map = w.layerMap()->model();
        QCOMPARE(map->mode(), LayerMapModel::Mode::Sensitivity);
        int matrices = 0;
        double least = INFINITY, most = 0;
        for (int row = 0; row < table->rowCount(); ++row) {
            const QString name = table->rows().at(row).name;
            const cwb::TensorSensitivity* t = core.find(name);
            const QModelIndex cell = table->index(row, TensorTableModel::Sensitivity);
            if (!t) {
                QCOMPARE(cell.data(TensorTableModel::SortRole).toDouble(), -1.0);
                QVERIFY(cell.data().toString().isEmpty());
                continue;
            }
            ++matrices;
            const double expected = t->at(cwb::PrecisionId::Int4G32)->kldMean;
            const double shownValue = cell.data(TensorTableModel::SortRole).toDouble();
            QVERIFY2(
                std::abs(shownValue - expected) <= 1e-9 * std::abs(expected) + 1e-15,
                qPrintable(
                    QStringLiteral("%1: %2 vs core %3").arg(name).arg(shownValue).arg(expected)));
            QVERIFY(!cell.data().toString().isEmpty());
            const QString tip = cell.data(Qt::ToolTipRole).toString();
            for (cwb::PrecisionId id : core.precisions)
                QVERIFY2(tip.contains(QLatin1String(cwb::precisionInfo(id).name)), qPrintable(tip));
            least = std::min(least, expected);
            most = std::max(most, expected);
            const QModelIndex mapCell = map->indexOf(name);
            if (mapCell.isValid())
                QCOMPARE(mapCell.data(LayerMapModel::ValueRole).toDouble(), shownValue);
        }
        QCOMPARE(matrices, int(core.tensors.size()));
        QVERIFY(matrices >= 35); // 5 blocks × 7 matrices, and the embedding
        QVERIFY(least > 0);
        QVERIFY(most > 2 * least); // tensors differ: not one number everywhere
        QVERIFY(map->valueRange());

        // Recorded as `cwb sensitivity` records it.
        const auto runs = runsOfKind(w, QStringLiteral("sensitivity"));
        QCOMPARE(int(runs.size()), 1);
        auto run = w.runLibrary()->run(runs.front().id);
        QVERIFY(run);
        for (const cwb::TensorResult& r : run->tensors) {
            const cwb::TensorSensitivity* t = core.find(r.tensor);
            QVERIFY(t);
            QVERIFY(r.sensitivity);
            QVERIFY(std::abs(*r.sensitivity - t->at(cwb::PrecisionId::Int4G32)->kldMean) <=
                    1e-9 * *r.sensitivity);
        }
        w.tensorView()->tableView()->scrollTo(
            w.tensorView()->proxyModel()->index(10, TensorTableModel::Sensitivity));
        cwbtest::saveScreenshot(&w, QStringLiteral("analysis-sensitivity.png"));
    }

    void searchAppliesAPlanWithinTheBudget() {
        MainWindow& w = window();
        PrecisionPlanModel* plan = w.planModel();
        QVERIFY(plan->isAllFp32());
        const int steps = plan->undoStack()->count();
        const auto before = runsOfKind(w, QStringLiteral("search")).size();

        SearchDialog* dialog = openSearchDialog(w);
        QVERIFY(dialog);
        dialog->setBudget(cwb::BudgetKind::BitsPerWeight, 4.5);
        cwbtest::saveScreenshot(dialog, QStringLiteral("analysis-search-dialog.png"));
        QSignalSpy applied(w.analysisActions(), &AnalysisActions::searchApplied);
        clickSearch(dialog);
        QVERIFY(applied.wait(kTimeoutMs));
        QVERIFY(!cwbtest::errorBox(&w));

        // The plan applied, within the budget, as one undo step.
        const SearchOutcome& outcome = *w.analysisActions()->lastSearch();
        QVERIFY(!plan->isAllFp32());
        QVERIFY2(plan->size().bitsPerWeight <= 4.5,
                 qPrintable(QString::number(plan->size().bitsPerWeight)));
        QVERIFY(plan->size().bitsPerWeight > 3.0); // it spends the budget, not just int2
        QCOMPARE(plan->size().totalBytes, outcome.search.size.totalBytes);
        QCOMPARE(plan->undoStack()->count(), steps + 1);
        for (const cwb::TensorDecision& d : outcome.search.tensors)
            QCOMPARE(plan->precision(plan->rowOf(d.name)), d.precision);

        // Each matrix says why, in the table.
        TensorTableModel* table = w.tensorView()->sourceModel();
        for (const cwb::TensorDecision& d : outcome.search.tensors) {
            const int row = plan->rowOf(d.name);
            QVERIFY(!d.reason.isEmpty());
            QCOMPARE(table->index(row, TensorTableModel::Name)
                         .data(TensorTableModel::ReasonRole)
                         .toString(),
                     d.reason);
            const QString tip =
                table->index(row, TensorTableModel::Precision).data(Qt::ToolTipRole).toString();
            QVERIFY2(tip.contains(d.reason.toHtmlEscaped()), qPrintable(tip));
        }

        // Evaluated for real and recorded with its plan.
        const auto runs = runsOfKind(w, QStringLiteral("search"));
        QCOMPARE(runs.size(), before + 1);
        QVERIFY(outcome.runId > 0);
        auto run = w.runLibrary()->run(outcome.runId);
        QVERIFY(run);
        QCOMPARE(run->status, cwb::RunStatus::Finished);
        QCOMPARE(run->plan, outcome.search.plan.toJson());
        QVERIFY(run->metrics.count(QStringLiteral("kld_predicted")));
        QCOMPARE(run->metrics.at(QStringLiteral("kld_predicted")).value,
                 outcome.search.predictedKld);
        auto model = w.model();
        auto text = cwb::readTextFile(cwb::resources::demoEvaluationText());
        QVERIFY(text);
        auto measured = cwb::evaluatePlan(*model, *text, outcome.search.plan,
                                          cwb::PlanEvaluationOptions{quickOptions(), {}, nullptr});
        QVERIFY(measured);
        QVERIFY(measured->metrics.kldMean > 0);
        QCOMPARE(run->metrics.at(QStringLiteral("kld_mean")).value, measured->metrics.kldMean);
        QCOMPARE(w.runList()->currentRun(), outcome.runId);
        cwbtest::saveScreenshot(&w, QStringLiteral("analysis-search.png"));

        // One step back: every tensor as it was.
        plan->undoStack()->undo();
        QVERIFY(plan->isAllFp32());
        plan->undoStack()->redo();
        QVERIFY(!plan->isAllFp32());
    }

    void impossibleBudgetSaysWhyAndChangesNothing() {
        MainWindow& w = window();
        PrecisionPlanModel* plan = w.planModel();
        const auto precisions = precisionsOf(*plan);
        const int steps = plan->undoStack()->count();
        const auto before = runsOfKind(w, QStringLiteral("search")).size();

        SearchDialog* dialog = openSearchDialog(w);
        QVERIFY(dialog);
        dialog->setBudget(cwb::BudgetKind::BitsPerWeight, 1.0); // int2_g16 alone is more
        clickSearch(dialog);
        QTRY_VERIFY_WITH_TIMEOUT(cwbtest::errorBox(&w), kTimeoutMs);
        QMessageBox* box = cwbtest::errorBox(&w);
        QVERIFY2(box->text().contains(QLatin1String("no plan fits a budget of 1.000 bpw")),
                 qPrintable(box->text()));
        QVERIFY2(box->text().contains(QLatin1String("the smallest")), qPrintable(box->text()));
        cwbtest::saveScreenshot(box, QStringLiteral("analysis-impossible-budget.png"));
        box->close();
        QVERIFY(!w.analysisActions()->isRunning());
        QVERIFY(precisionsOf(*plan) == precisions);
        QCOMPARE(plan->undoStack()->count(), steps);
        QCOMPARE(runsOfKind(w, QStringLiteral("search")).size(), before);
    }

    void sweepDrawsTheFrontier() {
        MainWindow& w = window();
        SearchDialog* dialog = openSearchDialog(w);
        QVERIFY(dialog);
        dialog->setBudget(cwb::BudgetKind::BitsPerWeight, 6);
        dialog->setSweep(std::array<double, 3>{2, 8, 1}); // 2 bpw: no plan reaches it
        QCOMPARE(dialog->sweep(), (std::vector<double>{2, 3, 4, 5, 6, 7, 8}));
        QSignalSpy applied(w.analysisActions(), &AnalysisActions::searchApplied);
        clickSearch(dialog);
        QVERIFY(applied.wait(kTimeoutMs));
        const SearchOutcome& outcome = *w.analysisActions()->lastSearch();
        // The budgets below the smallest plan are left out with core's reason, the rest recorded.
        QVERIFY(!outcome.skipped.isEmpty());
        for (const QString& reason : outcome.skipped)
            QVERIFY2(reason.contains(QLatin1String("no plan fits")), qPrintable(reason));
        QVERIFY2(outcome.skipped.front().contains(QLatin1String("2.000 bpw")),
                 qPrintable(outcome.skipped.front()));
        QCOMPARE(int(outcome.skipped.size() + outcome.frontierRuns.size()), 7);
        QVERIFY(outcome.frontierRuns.size() >= 4);
        for (qint64 id : outcome.frontierRuns) {
            auto run = w.runLibrary()->run(id);
            QVERIFY(run);
            QCOMPARE(run->kind, QStringLiteral("search"));
            QCOMPARE(run->parentId.value_or(0), outcome.runId);
            QVERIFY(run->metrics.count(QStringLiteral("kld_mean")));
        }

        // The explorer reads them back; its frontier runs through the sweep's plans.
        TradeoffExplorer* explorer = w.tradeoffExplorer();
        QTRY_VERIFY_WITH_TIMEOUT(!explorer->isLoading() &&
                                     std::any_of(explorer->runs().begin(), explorer->runs().end(),
                                                 [&](const cwb::RunRecord& r) {
                                                     return r.id == outcome.frontierRuns.back();
                                                 }),
                                 kTimeoutMs);
        const QList<qint64> frontier = explorer->plot()->frontier();
        int fromSweep = 0;
        for (qint64 id : frontier)
            fromSweep += std::count(outcome.frontierRuns.begin(), outcome.frontierRuns.end(), id);
        QVERIFY2(fromSweep >= 3, qPrintable(QString::number(fromSweep)));
        QVERIFY(w.tradeoffDock()->isVisible());
        cwbtest::saveScreenshot(explorer, QStringLiteral("analysis-sweep-frontier.png"));
    }

    void dialogRefusesWhatCannotBeSearched() {
        MainWindow& w = window();
        SearchDialog* dialog = openSearchDialog(w);
        QVERIFY(dialog);
        auto* search = dialog->findChild<QPushButton*>(QStringLiteral("searchButton"));
        dialog->setBudget(cwb::BudgetKind::BitsPerWeight, 4);
        dialog->setSweep(std::array<double, 3>{8, 3, 1});
        QVERIFY(!search->isEnabled());
        QVERIFY(!dialog->problem().isEmpty());
        dialog->setSweep(std::nullopt);
        QVERIFY(search->isEnabled());
        // A $ budget is priced on a profile of the store's shipped list.
        dialog->setBudget(cwb::BudgetKind::DollarsPer1000Queries, 0.01);
        QVERIFY(dialog->profile());
        auto request = w.analysisActions()->requestOf(*dialog);
        QVERIFY(request);
        QVERIFY(request->options.budget.pricing);
        QCOMPARE(request->options.budget.pricing->profile.name, dialog->profile()->name);
        dialog->reject();
    }

    void cancelLeavesNothingBehind() {
        auto w = cwbtest::openDemoWindow();
        cwb::EvalOptions whole = quickOptions();
        whole.maxTokens = 0; // the whole text: long enough to cancel midway
        w->evaluationPanel()->setOptions(whole);
        QSignalSpy progressed(w->analysisActions()->analysis(), &SensitivityAnalysis::progressed);
        QVERIFY(w->analysisActions()->runSensitivity());
        QVERIFY(progressed.wait(kTimeoutMs));
        cwbtest::findAction(w.get(), QStringLiteral("cancelAction"))->trigger();
        QVERIFY(!w->analysisActions()->isRunning());
        QVERIFY(cwbtest::findAction(w.get(), QStringLiteral("runSensitivityAction"))->isEnabled());
        // The worker is serial: once a later job is delivered, the cancelled one has returned.
        QSignalSpy finished(w->jobRunner(), &JobRunner::finished);
        w->jobRunner()->enqueue(
            w.get(), [](const cwb::Progress&) { return JobRunner::Delivery([] {}); },
            QStringLiteral("probe"));
        QVERIFY(finished.wait(kTimeoutMs));
        QVERIFY(!w->tensorView()->sourceModel()->sensitivity());
        QVERIFY(!cwbtest::errorBox(w.get()));
    }
};

QTEST_MAIN(TestAnalysisActions)
#include "tst_analysisactions.moc"
