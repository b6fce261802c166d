// SPDX-License-Identifier: GPL-3.0-or-later
// The run store survives processes killed at random points while they write: after a loop of
// `cwb eval` runs, each SIGKILLed after a random delay, the database passes its integrity check,
// every run a process reported as finished is there and whole, and every killed run is marked
// interrupted rather than left running.
#include "store/runstore.h"
#include "testassets.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

class TestDurability : public QObject {
    Q_OBJECT

private slots:
    void survivesRandomKills() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString db = dir.filePath(QStringLiteral("runs.sqlite"));
        // A fixed seed: a failure can be replayed with the same kill delays.
        QRandomGenerator rng(20261127);
        constexpr int kRounds = 24;
        QList<qint64> finished;
        int killed = 0;
        qint64 wholeRunMs = 0;
        for (int round = 0; round < kRounds; ++round) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("CWB_CACHE_DIR"), dir.filePath(QStringLiteral("cache")));
            p.setProcessEnvironment(env);
            p.start(
                cwbtest::cliPath(),
                {QStringLiteral("eval"),
                 cwbtest::source(QStringLiteral("resources/models/stories260K/stories260K.bin")),
                 QStringLiteral("--text"),
                 cwbtest::source(QStringLiteral("resources/texts/tinystories-valid-200.txt")),
                 QStringLiteral("--ctx"), QStringLiteral("64"), QStringLiteral("--max-tokens"),
                 QString::number(200 + 100 * (round % 4)), QStringLiteral("--threads"),
                 QStringLiteral("1"), QStringLiteral("--db"), db, QStringLiteral("--json")});
            QVERIFY(p.waitForStarted());
            // The first run finishes undisturbed and times a whole run (sanitizer builds are
            // slower); the others are killed anywhere from opening the store to writing the
            // result, or finish.
            QElapsedTimer timer;
            timer.start();
            const int delayMs =
                round == 0 ? 300000 : int(rng.bounded(quint32(wholeRunMs * 3 / 2 + 1)));
            if (!p.waitForFinished(delayMs)) {
                ::kill(pid_t(p.processId()), SIGKILL);
                QVERIFY(p.waitForFinished(60000));
            }
            if (round == 0)
                wholeRunMs = timer.elapsed();
            if (p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0) {
                const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
                finished << o.value(QStringLiteral("run_id")).toInteger();
                QVERIFY(finished.last() > 0);
            } else {
                ++killed;
            }
        }
        qInfo("%d of %d runs killed, %lld finished", killed, kRounds,
              static_cast<long long>(finished.size()));
        // Both outcomes happened, or the loop tested nothing.
        QVERIFY(killed > 0);
        QVERIFY(!finished.isEmpty());

        auto store = cwb::RunStore::open(db);
        QVERIFY2(store, store ? "" : qPrintable(store.error().message));
        QProcess check;
        check.start(QStringLiteral("sqlite3"), {db, QStringLiteral("PRAGMA integrity_check;")});
        QVERIFY(check.waitForFinished(60000));
        QCOMPARE(check.readAllStandardOutput().trimmed(), QByteArray("ok"));

        for (qint64 id : finished) {
            auto run = (*store)->get(id);
            QVERIFY2(run, qPrintable(QStringLiteral("run %1 is missing").arg(id)));
            QCOMPARE(run->status, cwb::RunStatus::Finished);
            QVERIFY(run->metrics.count(QStringLiteral("ppl")));
            QVERIFY(run->metrics.at(QStringLiteral("ppl")).value > 1);
            QVERIFY(!run->tensors.empty());
        }
        // Killed runs are found interrupted, none is left "running".
        QVERIFY((*store)->markInterrupted());
        auto all = (*store)->list();
        QVERIFY(all);
        for (const cwb::RunRecord& r : *all) {
            QVERIFY2(r.status != cwb::RunStatus::Running, qPrintable(QString::number(r.id)));
            // A process killed after its result was written but before it printed it left a
            // finished run: whole, like any other.
            QVERIFY(r.status == cwb::RunStatus::Interrupted ||
                    r.status == cwb::RunStatus::Finished);
            if (r.status == cwb::RunStatus::Finished) {
                auto whole = (*store)->get(r.id);
                QVERIFY(whole);
                QVERIFY(whole->metrics.count(QStringLiteral("ppl")) && !whole->tensors.empty());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestDurability)
#include "tst_durability.moc"
