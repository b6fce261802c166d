// SPDX-License-Identifier: GPL-3.0-or-later
// The job runner's queue and the jobs panel that shows it: queued and running jobs with their
// stage, progress and elapsed time, and Cancel per job.
#include "joblistmodel.h"
#include "jobrunner.h"
#include "jobspanel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QToolButton>

#include <atomic>

namespace {

// A job that reports a stage, then waits until `gate` opens or it is cancelled.
JobRunner::Job gated(std::atomic<bool>& gate, std::atomic<int>& started, bool& delivered) {
    return [&gate, &started, &delivered](const cwb::Progress& progress) -> JobRunner::Delivery {
        ++started;
        progress(0.25, QStringLiteral("reading layer 1"));
        while (!gate.load() && !progress.cancelled())
            QThread::msleep(1);
        return [&delivered] { delivered = true; };
    };
}

} // namespace

class TestJobsPanel : public QObject {
    Q_OBJECT

private slots:
    void queuedJobsWaitTheirTurnAndShow() {
        JobRunner runner;
        JobsPanel panel(&runner);
        QAbstractItemModelTester tester(panel.model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        std::atomic<bool> gate{false};
        std::atomic<int> started{0};
        bool first = false, second = false, third = false;
        const quint64 a = runner.enqueue(this, gated(gate, started, first), QStringLiteral("A"));
        const quint64 b = runner.enqueue(this, gated(gate, started, second), QStringLiteral("B"));
        const quint64 c = runner.enqueue(this, gated(gate, started, third), QStringLiteral("C"));
        QVERIFY(a && b && c);
        QCOMPARE(panel.model()->rowCount(), 3);
        QTRY_COMPARE(runner.jobs().first().state, JobRunner::State::Running);
        QTRY_COMPARE(panel.model()->index(0, JobListModel::Stage).data().toString(),
                     QStringLiteral("reading layer 1"));
        QCOMPARE(panel.model()->index(0, JobListModel::Progress).data().toString(),
                 QStringLiteral("25%"));
        QCOMPARE(panel.model()->index(1, JobListModel::Stage).data().toString(),
                 QStringLiteral("Queued"));
        QCOMPARE(panel.model()
                     ->index(1, JobListModel::Progress)
                     .data(JobListModel::FractionRole)
                     .toDouble(),
                 -1.0);
        QCOMPARE(panel.model()->index(0, JobListModel::Name).data().toString(),
                 QStringLiteral("A"));
        QCOMPARE(started.load(), 1); // the others wait: one worker, in order

        // The second one's Cancel: it never runs and delivers nothing.
        QToolButton* cancel = panel.cancelButton(1);
        QVERIFY(cancel);
        QTest::mouseClick(cancel, Qt::LeftButton);
        QCOMPARE(panel.model()->rowCount(), 2);
        QCOMPARE(panel.model()->jobId(1), c);

        QSignalSpy finished(&runner, &JobRunner::finished);
        gate = true;
        QTRY_COMPARE(finished.size(), 2);
        QCOMPARE(finished.at(0).first().toULongLong(), a);
        QCOMPARE(finished.at(1).first().toULongLong(), c);
        QVERIFY(first && third && !second);
        QCOMPARE(started.load(), 2);
        QCOMPARE(panel.model()->rowCount(), 0);
        QVERIFY(panel.findChild<QWidget*>(QStringLiteral("noJobsLabel"))->isVisibleTo(&panel));
    }

    void startSupersedesOnlyTheExclusiveJob() {
        JobRunner runner;
        std::atomic<bool> gate{false};
        std::atomic<int> started{0};
        bool exclusive = false, queued = false, next = false;
        runner.start(this, gated(gate, started, exclusive));
        runner.enqueue(this, gated(gate, started, queued), QStringLiteral("queued"));
        QVERIFY(runner.isBusy());
        runner.start(this, gated(gate, started, next), QStringLiteral("next"));
        const QList<JobRunner::JobInfo> jobs = runner.jobs();
        QCOMPARE(jobs.size(), 2);
        QCOMPARE(jobs.at(0).name, QStringLiteral("queued"));
        QCOMPARE(jobs.at(1).name, QStringLiteral("next"));
        QSignalSpy finished(&runner, &JobRunner::finished);
        gate = true;
        QTRY_COMPARE(finished.size(), 2);
        QVERIFY(queued && next && !exclusive);
        QVERIFY(!runner.isBusy());
        QVERIFY(!runner.hasJobs());
    }

    void jobsAreNamedAfterTheirReceiver() {
        JobRunner runner;
        QObject panel;
        runner.nameJobsOf(&panel, QStringLiteral("Evaluation"));
        runner.start(&panel, [](const cwb::Progress&) { return JobRunner::Delivery(); });
        QCOMPARE(runner.jobs().value(0).name, QStringLiteral("Evaluation"));
        QSignalSpy finished(&runner, &JobRunner::finished);
        QVERIFY(finished.wait(10000));
        runner.start(this, [](const cwb::Progress&) { return JobRunner::Delivery(); });
        QVERIFY(runner.jobs().value(0).name.startsWith(QLatin1String("Job ")));
    }

    void elapsedTimeTicksWhileRunning() {
        JobRunner runner;
        JobListModel model(&runner);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        std::atomic<bool> gate{false};
        std::atomic<int> started{0};
        bool delivered = false;
        runner.enqueue(this, gated(gate, started, delivered), QStringLiteral("slow"));
        QTRY_COMPARE(model.index(0, JobListModel::Elapsed).data().toString(),
                     QStringLiteral("0:01"));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QVERIFY(changed.wait(2000)); // the ticker, while the job runs
        runner.cancelAll();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(JobListModel::formatElapsed(59'999), QStringLiteral("0:59"));
        QCOMPARE(JobListModel::formatElapsed(61'000), QStringLiteral("1:01"));
        QCOMPARE(JobListModel::formatElapsed(3'723'000), QStringLiteral("1:02:03"));
        runner.shutdown();
        QVERIFY(!delivered);
    }
};

QTEST_MAIN(TestJobsPanel)
#include "tst_jobspanel.moc"
