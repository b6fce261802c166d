// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobrunner.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <atomic>

namespace {

// Spins until the job is cancelled, as a long core call does between its checkpoints.
JobRunner::Delivery waitForCancel(const cwb::Progress& progress, std::atomic<bool>& started,
                                  std::atomic<bool>& sawCancel, bool& delivered) {
    started = true;
    while (!progress.cancelled())
        QThread::msleep(1);
    sawCancel = true;
    return [&delivered] { delivered = true; };
}

} // namespace

class TestJobRunner : public QObject {
    Q_OBJECT

private slots:
    void runsEveryJobOnTheSameWorkerThread() {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        QList<const QThread*> threads;
        for (int i = 0; i < 3; ++i) {
            const QThread* ranOn = nullptr;
            runner.start(this, [&ranOn](const cwb::Progress&) {
                ranOn = QThread::currentThread();
                return JobRunner::Delivery([] {});
            });
            QVERIFY(finished.wait(10000));
            threads << ranOn;
        }
        QVERIFY(threads.at(0) != QThread::currentThread());
        QCOMPARE(threads.at(0), runner.workerThread());
        QCOMPARE(threads.at(1), threads.at(0));
        QCOMPARE(threads.at(2), threads.at(0));
    }

    void deliversOnTheGuiThread() {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        const QThread* deliveredOn = nullptr;
        const quint64 id = runner.start(this, [&deliveredOn](const cwb::Progress&) {
            return JobRunner::Delivery([&deliveredOn] { deliveredOn = QThread::currentThread(); });
        });
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.first().first().toULongLong(), id);
        QCOMPARE(deliveredOn, QThread::currentThread());
        QVERIFY(!runner.isBusy());
    }

    void supersededJobIsCancelledAndDropped() {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        std::atomic<bool> started{false}, sawCancel{false};
        bool firstDelivered = false, secondDelivered = false;
        runner.start(this, [&](const cwb::Progress& p) {
            return waitForCancel(p, started, sawCancel, firstDelivered);
        });
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
        const quint64 second = runner.start(this, [&](const cwb::Progress&) {
            return JobRunner::Delivery([&] { secondDelivered = true; });
        });
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().first().toULongLong(), second);
        QVERIFY(sawCancel.load());
        QVERIFY(secondDelivered);
        QVERIFY(!firstDelivered);
    }

    void cancelledJobIsDropped() {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        std::atomic<bool> started{false}, sawCancel{false};
        bool delivered = false;
        const quint64 id = runner.start(this, [&](const cwb::Progress& p) {
            return waitForCancel(p, started, sawCancel, delivered);
        });
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
        runner.cancel(id + 1); // not the current job: no effect
        QVERIFY(runner.isBusy());
        runner.cancel(id);
        QVERIFY(!runner.isBusy());
        // The worker is serial: once a later job is delivered, the cancelled one has returned.
        runner.start(this, [](const cwb::Progress&) { return JobRunner::Delivery([] {}); });
        QVERIFY(finished.wait(10000));
        QVERIFY(sawCancel.load());
        QVERIFY(!delivered);
        QCOMPARE(finished.size(), 1);
    }

    void progressIsThrottled() {
        JobRunner runner;
        QSignalSpy progress(&runner, &JobRunner::progress);
        QSignalSpy finished(&runner, &JobRunner::finished);
        qint64 elapsedMs = 0;
        runner.start(this, [&elapsedMs](const cwb::Progress& p) {
            QElapsedTimer timer;
            timer.start();
            constexpr int steps = 200000;
            for (int i = 0; i < steps; ++i)
                p(double(i) / steps, QStringLiteral("step"));
            p(1.0, QStringLiteral("done"));
            elapsedMs = timer.elapsed();
            return JobRunner::Delivery([] {});
        });
        QVERIFY(finished.wait(30000));
        // At most one report per 100 ms, plus the first and the final one.
        QVERIFY2(
            progress.size() <= elapsedMs / 100 + 2,
            qPrintable(QStringLiteral("%1 reports in %2 ms").arg(progress.size()).arg(elapsedMs)));
        QCOMPARE(progress.last().at(1).toDouble(), 1.0);
        QCOMPARE(progress.last().at(2).toString(), QStringLiteral("done"));
    }

    void destroyedReceiverGetsNothing() {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        std::atomic<bool> gate{false};
        bool delivered = false;
        auto* receiver = new QObject;
        runner.start(receiver, [&](const cwb::Progress&) {
            while (!gate.load())
                QThread::msleep(1);
            return JobRunner::Delivery([&delivered] { delivered = true; });
        });
        delete receiver;
        gate = true;
        QVERIFY(finished.wait(10000));
        QVERIFY(!delivered);
    }

    void shutdownCancelsAndWaits() {
        JobRunner runner;
        std::atomic<bool> started{false}, sawCancel{false};
        bool delivered = false;
        runner.start(this, [&](const cwb::Progress& p) {
            return waitForCancel(p, started, sawCancel, delivered);
        });
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
        runner.shutdown();
        QVERIFY(sawCancel.load());
        QVERIFY(runner.workerThread()->isFinished());
        QCOMPARE(runner.start(this, [](const cwb::Progress&) { return JobRunner::Delivery(); }),
                 quint64(0));
        runner.shutdown();
        QCoreApplication::processEvents();
        QVERIFY(!delivered);
    }
};

QTEST_GUILESS_MAIN(TestJobRunner)
#include "tst_jobrunner.moc"
