// SPDX-License-Identifier: GPL-3.0-or-later
// The workbench window as a whole: its docks and their layout kept across windows, shortcuts
// that leave text fields alone, metric tooltips, the jobs panel during an evaluation, closing
// while a job runs, the event loop's latency during an evaluation, and --screenshot.
#include "evaluationpanel.h"
#include "evaluationresultview.h"
#include "joblistmodel.h"
#include "jobrunner.h"
#include "jobspanel.h"
#include "layermap.h"
#include "mainwindow.h"
#include "precisionplanmodel.h"
#include "tensorview.h"
#include "tradeoffexplorer.h"
#include "tradeoffplot.h"

#include "guitest.h"
#include "testassets.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QImage>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>
#include <QUndoStack>

namespace {

constexpr int kTimeoutMs = 300'000; // sanitizer builds run the model ~10× slower

// Answers the question closing asks while a job runs, once it is shown.
void answerCloseQuestion(QWidget* window, bool closeAnyway) {
    QTimer::singleShot(0, window, [window, closeAnyway] {
        auto* box = window->findChild<QMessageBox*>(QStringLiteral("closeWhileRunningDialog"));
        if (!box) {
            answerCloseQuestion(window, closeAnyway); // not shown yet: look again
            return;
        }
        for (QAbstractButton* b : box->buttons())
            if ((box->buttonRole(b) == QMessageBox::AcceptRole) == closeAnyway) {
                b->click();
                return;
            }
    });
}

} // namespace

class TestWorkbench : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_workbench"));
        QSettings().clear();
    }

    void everyPanelIsADock() {
        auto w = cwbtest::openDemoWindow();
        const QList<QDockWidget*> docks = w->findChildren<QDockWidget*>();
        QStringList names;
        for (QDockWidget* d : docks) {
            names << d->objectName();
            QVERIFY2(!d->objectName().isEmpty(), qPrintable(d->windowTitle())); // for saveState
            QVERIFY(d->features().testFlag(QDockWidget::DockWidgetMovable));
            QVERIFY(d->features().testFlag(QDockWidget::DockWidgetFloatable));
            QVERIFY(d->features().testFlag(QDockWidget::DockWidgetClosable));
        }
        for (const char* name :
             {"jobsDock", "tradeoffDock", "layerMapDock", "tensorDetailDock", "architectureDock"})
            QVERIFY2(names.contains(QLatin1String(name)), name);
        QVERIFY(w->jobsDock()->isVisible());
        cwbtest::saveScreenshot(w.get(), QStringLiteral("workbench.png"));
    }

    void dockLayoutPersistsAcrossWindows() {
        QSettings().clear();
        QRect floatingGeometry;
        QSize size;
        {
            auto w = cwbtest::openDemoWindow();
            w->resize(1500, 940);
            w->layerMapDock()->setFloating(true);
            w->layerMapDock()->move(200, 150);
            w->jobsDock()->hide();
            w->removeDockWidget(w->tradeoffDock());
            w->addDockWidget(Qt::LeftDockWidgetArea, w->tradeoffDock());
            w->tradeoffDock()->show();
            QTest::qWait(50);
            floatingGeometry = w->layerMapDock()->geometry();
            size = w->size(); // the docks' least widths may have widened it
            QVERIFY(w->close());
        }
        auto w = cwbtest::openDemoWindow();
        QVERIFY(w->layerMapDock()->isFloating());
        QVERIFY(w->jobsDock()->isHidden());
        QCOMPARE(w->dockWidgetArea(w->tradeoffDock()), Qt::LeftDockWidgetArea);
        QVERIFY(w->tradeoffDock()->isVisible());
        QCOMPARE(w->size(), size);
        QCOMPARE(w->layerMapDock()->geometry().size(), floatingGeometry.size());
        w->close();
        QSettings().clear();
    }

    void shortcutsAreUniqueAndLeaveTextFieldsAlone() {
        auto w = cwbtest::openDemoWindow();
        QMap<QString, QString> owner;
        for (const QAction* a : w->findChildren<QAction*>())
            for (const QKeySequence& key : a->shortcuts()) {
                const QString k = key.toString();
                QVERIFY2(!owner.contains(k) || owner[k] == a->text(),
                         qPrintable(QStringLiteral("%1: %2 and %3").arg(k, owner[k], a->text())));
                owner[k] = a->text();
            }
        for (const char* key : {"Ctrl+O", "Ctrl+E", "Ctrl+Shift+K", "Ctrl+.", "Ctrl+Z",
                                "Ctrl+Shift+Z", "Ctrl+Shift+E", "Ctrl+T", "Ctrl+L", "Ctrl+J", "F5"})
            QVERIFY2(owner.contains(QLatin1String(key)), key);

        // With a plan edit to undo, Ctrl+Z in the filter undoes the typing, not the plan.
        PrecisionPlanModel* plan = w->planModel();
        QVERIFY(plan->setPrecision({plan->rowOf(QStringLiteral("blk.0.ffn_up.weight"))},
                                   cwb::PrecisionId::Int8));
        const int undoIndex = plan->undoStack()->index();
        QLineEdit* filter = w->tensorView()->filterEdit();
        filter->setFocus();
        QTRY_VERIFY(filter->hasFocus());
        QTest::keyClicks(filter, QStringLiteral("ffn"));
        QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY2(filter->text() != QLatin1String("ffn"), qPrintable(filter->text()));
        QCOMPARE(plan->undoStack()->index(), undoIndex);
        // Outside a text field, Ctrl+Z undoes the plan.
        w->tensorView()->tableView()->setFocus();
        QTest::keyClick(w->tensorView()->tableView(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(plan->undoStack()->index(), undoIndex - 1);
        // Ctrl+L shows the layer map.
        w->layerMapDock()->hide();
        QTest::keyClick(w->tensorView()->tableView(), Qt::Key_L, Qt::ControlModifier);
        QVERIFY(w->layerMapDock()->isVisible());
    }

    void everyMetricHasATooltip() {
        auto w = cwbtest::openDemoWindow();
        int combos = 0;
        for (QComboBox* combo : w->tradeoffExplorer()->findChildren<QComboBox*>()) {
            ++combos;
            for (int i = 0; i < combo->count(); ++i) {
                if (combo->itemData(i).toInt() < 0)
                    continue; // "none"
                const QString tip = combo->itemData(i, Qt::ToolTipRole).toString();
                QVERIFY2(tip.size() > 30 && tip.count(QLatin1Char('.')) >= 1,
                         qPrintable(combo->itemText(i)));
            }
        }
        QCOMPARE(combos, 3);
        QComboBox* mode = w->layerMap()->modeCombo();
        for (int i = 0; i < mode->count(); ++i)
            QVERIFY(!mode->itemData(i, Qt::ToolTipRole).toString().isEmpty());
    }

    void jobsPanelShowsTheEvaluationAndCancelsIt() {
        auto w = cwbtest::openDemoWindow();
        JobsPanel* jobs = w->jobsPanel();
        QAbstractItemModelTester tester(jobs->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        EvaluationPanel* panel = w->evaluationPanel();
        panel->setOptions(cwb::EvalOptions{}); // the whole text: long enough to watch
        panel->evaluate();
        QCOMPARE(jobs->model()->rowCount(), 1);
        QCOMPARE(jobs->model()->index(0, JobListModel::Name).data().toString(),
                 QStringLiteral("Evaluation"));
        QTRY_VERIFY_WITH_TIMEOUT(jobs->model()
                                         ->index(0, JobListModel::Progress)
                                         .data(JobListModel::FractionRole)
                                         .toDouble() > 0,
                                 kTimeoutMs);
        QVERIFY(!jobs->model()->index(0, JobListModel::Stage).data().toString().isEmpty());
        cwbtest::saveScreenshot(w.get(), QStringLiteral("jobs-panel.png"));
        QTest::mouseClick(jobs->cancelButton(0), Qt::LeftButton);
        QCOMPARE(jobs->model()->rowCount(), 0);
        QVERIFY(!panel->isRunning());
        QCOMPARE(panel->resultView()->statusText(), QStringLiteral("Cancelled"));
    }

    void anEvaluationBecomesAPointOnTheTradeoffPlot() {
        auto w = cwbtest::openDemoWindow();
        TradeoffExplorer* tradeoff = w->tradeoffExplorer();
        QTRY_VERIFY_WITH_TIMEOUT(!tradeoff->isLoading(), kTimeoutMs);
        tradeoff->setLogScale(false, false);
        tradeoff->setAxes(cwb::RunMetric::Size, cwb::RunMetric::KldMean, std::nullopt);
        const int before = int(tradeoff->plot()->points().size());
        PrecisionPlanModel* plan = w->planModel();
        QList<int> rows;
        for (int r = 0; r < plan->rowCount(); ++r)
            rows << r;
        QVERIFY(plan->setPrecision(rows, cwb::PrecisionId::Int8));
        EvaluationPanel* panel = w->evaluationPanel();
        cwb::EvalOptions quick;
        quick.split = cwb::SplitMode::Chunks;
        quick.ctx = 128;
        quick.maxTokens = 1000;
        panel->setOptions(quick);
        panel->evaluate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kTimeoutMs);
        // The window records the run; the explorer reads it and draws it.
        QTRY_COMPARE_WITH_TIMEOUT(int(tradeoff->plot()->points().size()), before + 1, kTimeoutMs);
        const qint64 newest = tradeoff->runs().back().id;
        QVERIFY(tradeoff->plot()->pixelOf(newest).has_value());
    }

    void eventLoopStaysResponsiveDuringAnEvaluation() {
        auto w = cwbtest::openDemoWindow();
        // Every view that could draw while the job runs is on screen.
        w->layerMapDock()->show();
        w->tradeoffDock()->show();
        EvaluationPanel* panel = w->evaluationPanel();
        panel->setOptions(cwb::EvalOptions{});
        panel->evaluate();
        QTRY_VERIFY_WITH_TIMEOUT(w->jobRunner()->jobs().value(0).state == JobRunner::State::Running,
                                 kTimeoutMs);
        // A timer that should fire every 10 ms measures how late it is.
        constexpr int intervalMs = 10;
        QElapsedTimer sinceTick, total;
        qint64 worst = 0;
        int ticks = 0;
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer, &QTimer::timeout, [&] {
            if (sinceTick.isValid())
                worst = std::max(worst, sinceTick.elapsed() - intervalMs);
            sinceTick.start();
            ++ticks;
        });
        timer.start(intervalMs);
        total.start();
        QTRY_VERIFY_WITH_TIMEOUT(total.elapsed() > 3000 || !panel->isRunning(), 30'000);
        timer.stop();
        const bool stillRunning = panel->isRunning();
        panel->cancel();
        qInfo("event loop: %d ticks in %lld ms, worst lateness %lld ms (evaluation %s)", ticks,
              static_cast<long long>(total.elapsed()), static_cast<long long>(worst),
              stillRunning ? "running throughout" : "finished early");
        QVERIFY(ticks > 20);
        QVERIFY2(worst < 100, qPrintable(QStringLiteral("%1 ms late").arg(worst)));
    }

    void closingWhileAJobRunsAsksCancelsAndWaits() {
        auto w = cwbtest::openDemoWindow();
        EvaluationPanel* panel = w->evaluationPanel();
        panel->setOptions(cwb::EvalOptions{});
        panel->evaluate();
        QVERIFY(w->jobRunner()->hasJobs());

        answerCloseQuestion(w.get(), false);
        QVERIFY(!w->close()); // kept running
        QVERIFY(w->isVisible());
        QVERIFY(panel->isRunning());

        answerCloseQuestion(w.get(), true);
        QVERIFY(w->close());
        QVERIFY(!panel->isRunning());
        QVERIFY(!w->jobRunner()->hasJobs());
        QVERIFY(w->jobRunner()->workerThread()->isFinished()); // waited for it
    }

    void screenshotOptionSavesTheWindow_data() {
        QTest::addColumn<QString>("view");
        QTest::newRow("default") << QString();
        QTest::newRow("layermap-error") << QStringLiteral("layermap-error");
    }
    void screenshotOptionSavesTheWindow() {
        QFETCH(QString, view);
        const QString file = m_dir.filePath(QStringLiteral("shot-%1.png").arg(view));
        QProcess gui;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("CWB_DB"), m_dir.filePath(QStringLiteral("runs.sqlite")));
        gui.setProcessEnvironment(env);
        QStringList args = {QStringLiteral("--screenshot"), file};
        if (!view.isEmpty())
            args << QStringLiteral("--view") << view;
        gui.start(QStringLiteral(CWB_GUI_PATH), args);
        QVERIFY(gui.waitForFinished(kTimeoutMs));
        const QString err = QString::fromUtf8(gui.readAllStandardError());
        QCOMPARE(gui.exitCode(), 0);
        const QRegularExpressionMatch ready =
            QRegularExpression(QStringLiteral("window ready in (\\d+) ms")).match(err);
        QVERIFY2(ready.hasMatch(), qPrintable(err));
        const int readyMs = ready.captured(1).toInt();
        qInfo("window ready on the demo model in %d ms", readyMs);
#ifndef __SANITIZE_ADDRESS__ // sanitizers make everything several times slower
        QVERIFY2(readyMs < 2000, qPrintable(err));
#endif
        const QImage image(file);
        QCOMPARE(image.size(), QSize(1600, 1000));
    }

    void screenshotOfAMissingModelFailsWithAReason() {
        QProcess gui;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("CWB_DB"), m_dir.filePath(QStringLiteral("runs.sqlite")));
        gui.setProcessEnvironment(env);
        const QString file = m_dir.filePath(QStringLiteral("never.png"));
        gui.start(QStringLiteral(CWB_GUI_PATH), {QStringLiteral("--screenshot"), file,
                                                 m_dir.filePath(QStringLiteral("no.gguf"))});
        QVERIFY(gui.waitForFinished(kTimeoutMs));
        QCOMPARE(gui.exitCode(), 1);
        // One line of ours (Qt may add its own about the environment).
        const QStringList lines =
            QString::fromUtf8(gui.readAllStandardError())
                .split(QLatin1Char('\n'), Qt::SkipEmptyParts)
                .filter(QRegularExpression(QStringLiteral("^compression-workbench: ")));
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.first().contains(QLatin1String("no.gguf")), qPrintable(lines.first()));
        QVERIFY(!QFile::exists(file));
    }
};

QTEST_MAIN(TestWorkbench)
#include "tst_workbench.moc"
