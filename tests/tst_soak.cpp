// SPDX-License-Identifier: GPL-3.0-or-later
// A long session in the real window, offscreen, on the demo model: evaluate, calibrate and
// benchmark round after round, half of the jobs cancelled midway and the others left to
// complete. After every round no job is left running; each job was listed in the jobs panel once
// while it lived and delivered once if it completed, never if cancelled; the run database holds
// exactly one finished run per completed job and, for a cancelled one, a run marked cancelled or
// none (when it was cancelled before it began recording). The process's resident memory is
// sampled every round and must settle.
//
// CWB_SOAK_ROUNDS overrides the number of rounds (the sanitizer builds run fewer, and do not
// check memory); CWB_SOAK_LEAK_BYTES leaks that many bytes per round on purpose, to show that
// the memory check catches a leak of that size.
#include "guitest.h"

#include "benchmarkpanel.h"
#include "calibrationpanel.h"
#include "joblistmodel.h"
#include "jobspanel.h"
#include "planpresets.h"
#include "runlibrary.h"

#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QToolButton>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace {

constexpr int kDefaultRounds = 24;
// How much the median resident memory of the last quarter of the rounds may exceed that of the
// second quarter. The rounds between them are half of all: at 24 rounds, a leak of one copy of
// the demo model's weights (1.04 MB) per round adds 12.5 MB, and one FP32 baseline of the
// evaluation (the scored positions' logits, 1.05 MB) as much. What does grow, some 2 MB over
// the run, most likely follows the run database, which gains three runs a round that the run list
// and the trade-off explorer read back whole, and SQLite's page caches with it.
constexpr double kSettleBoundBytes = 6e6;

qint64 residentBytes() {
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong() * 1024;
    return 0;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int envInt(const char* name, int fallback) {
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok ? value : fallback;
}

// One kind of job the window runs, as the user starts, watches and cancels it.
struct JobKind {
    QString name;    // as the jobs panel names it
    QString runKind; // as the store records it
    QString action;  // the menu action that starts it
    std::function<void(bool cancelling)> configure;
    std::function<bool()> running;
    std::function<int()> progress; // the panel's bar, 0..1000
    std::function<bool()> showsCancelled;
    std::function<bool()> showsResult;
};

} // namespace

class TestSoak : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_soak"));
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        // A store and caches of its own: the counts below are this test's runs alone.
        qputenv("CWB_DB", m_dir.filePath(QStringLiteral("runs.sqlite")).toUtf8());
        qputenv("CWB_CACHE_DIR", m_dir.filePath(QStringLiteral("cache")).toUtf8());
    }

    void jobsStartCancelAndCompleteRoundAfterRound() {
        const int rounds = envInt("CWB_SOAK_ROUNDS", kDefaultRounds);
        const qint64 leak = envInt("CWB_SOAK_LEAK_BYTES", 0);
        QVERIFY(rounds >= 4);
        auto w = cwbtest::openDemoWindow();
        QCOMPARE(w->runLibrary()->path(), m_dir.filePath(QStringLiteral("runs.sqlite")));
        QVERIFY(w->runLibrary()->canRecord());
        const QList<PlanPreset> presets = planPresets();
        const auto int8 = std::find_if(presets.begin(), presets.end(), [](const PlanPreset& p) {
            return p.id == QLatin1String("all-int8");
        });
        QVERIFY(int8 != presets.end());
        w->applyPreset(*int8); // evaluations compare it with FP32; benchmarks pack it

        JobRunner* runner = w->jobRunner();
        JobListModel* listed = w->jobsPanel()->model();
        // Whenever the list changes, the panel shows each live job once, as the runner has them.
        int listProblems = 0;
        connect(runner, &JobRunner::jobsChanged, this, [&] {
            const QList<JobRunner::JobInfo> live = runner->jobs();
            std::set<quint64> ids;
            for (int row = 0; row < listed->rowCount(); ++row)
                ids.insert(listed->jobId(row));
            if (int(ids.size()) != listed->rowCount() || listed->rowCount() != live.size())
                ++listProblems;
        });
        QSignalSpy delivered(runner, &JobRunner::finished);

        const std::vector<JobKind> kinds = jobKinds(*w);
        std::map<QString, int> completed, cancelled; // by run kind
        std::set<quint64> completedIds, cancelledIds;
        std::vector<double> rss;
        std::vector<std::unique_ptr<char[]>> leaked;
        QElapsedTimer clock;
        clock.start();
        for (int round = 0; round < rounds; ++round) {
            // Fresh calibrations each round: the cache would make all but the first instant.
            w->calibrationPanel()->setCacheDir(
                m_dir.filePath(QStringLiteral("calibration-%1").arg(round)));
            for (std::size_t k = 0; k < kinds.size(); ++k) {
                const JobKind& kind = kinds[k];
                const bool cancelling = (round + int(k)) % 2 == 0;
                kind.configure(cancelling);
                QAction* start = cwbtest::findAction(w.get(), kind.action);
                QVERIFY2(start->isEnabled(), qPrintable(kind.name));
                start->trigger();
                QVERIFY(kind.running());
                // One job holds the worker: the others cannot be started meanwhile.
                for (const JobKind& other : kinds)
                    QVERIFY(!cwbtest::findAction(w.get(), other.action)->isEnabled());
                QCOMPARE(runner->jobs().size(), 1);
                const quint64 id = runner->jobs().first().id;
                QCOMPARE(runner->jobs().first().name, kind.name);
                QCOMPARE(listed->rowCount(), 1);
                QCOMPARE(listed->jobId(0), id);
                if (cancelling) {
                    QTRY_VERIFY_WITH_TIMEOUT(kind.progress() > 0 || !kind.running(), 60000);
                    QVERIFY2(kind.running(),
                             qPrintable(kind.name + QStringLiteral(" ended before it could "
                                                                   "be cancelled midway")));
                    // From the jobs panel in half of the rounds, else from the menu.
                    if (round / 2 % 2 == 0)
                        QTest::mouseClick(w->jobsPanel()->cancelButton(0), Qt::LeftButton);
                    else
                        cwbtest::findAction(w.get(), QStringLiteral("cancelAction"))->trigger();
                    QVERIFY(!kind.running());
                    QVERIFY(kind.showsCancelled());
                    cancelledIds.insert(id);
                    ++cancelled[kind.runKind];
                } else {
                    QTRY_VERIFY_WITH_TIMEOUT(!kind.running(), 120000);
                    QVERIFY2(kind.showsResult(), qPrintable(kind.name));
                    completedIds.insert(id);
                    ++completed[kind.runKind];
                }
                QVERIFY(!runner->hasJobs());
                QCOMPARE(listed->rowCount(), 0);
                QVERIFY(!cwbtest::errorBox(w.get()));
            }
            waitForWorker(*runner);
            checkDeliveries(delivered, completedIds, cancelledIds);
            checkStore(*w->runLibrary(), completed, cancelled);
            QCOMPARE(listProblems, 0);
            if (leak > 0) {
                leaked.emplace_back(new char[std::size_t(leak)]);
                std::memset(leaked.back().get(), 1, std::size_t(leak));
            }
            QTest::qWait(20); // posted deletions and the run list's reload
            rss.push_back(double(residentBytes()));
        }
        report(rss, clock.elapsed());
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        // The sanitizers' allocators hold freed memory back (ASan's quarantine) or map shadow
        // memory as it is touched: resident memory says nothing about leaks there.
        qInfo("soak: a sanitizer build; resident memory is not checked");
#else
        checkSettles(rss);
#endif
    }

private:
    std::vector<JobKind> jobKinds(MainWindow& w) {
        EvaluationPanel* evaluation = w.evaluationPanel();
        CalibrationPanel* calibration = w.calibrationPanel();
        BenchmarkPanel* bench = w.benchmarkPanel();
        auto bar = [](QWidget* panel, const char* name) {
            auto* b = panel->findChild<QProgressBar*>(QLatin1String(name));
            if (!b)
                qFatal("no progress bar %s", name);
            return b;
        };
        QProgressBar* evaluationBar = bar(evaluation, "evaluationProgress");
        QProgressBar* calibrationBar = bar(calibration, "calibrationProgress");
        QProgressBar* benchBar = bar(bench, "benchmarkProgress");
        return {
            {QStringLiteral("Evaluation"), QStringLiteral("evaluation"),
             QStringLiteral("evaluateAction"),
             [evaluation](bool cancelling) {
                 cwb::EvalOptions o;
                 // The whole text takes seconds; 256 scored tokens a fraction of one.
                 if (!cancelling) {
                     o.ctx = 128;
                     o.maxTokens = 256;
                 }
                 evaluation->setOptions(o);
             },
             [evaluation] { return evaluation->isRunning(); },
             [evaluationBar] { return evaluationBar->value(); },
             [evaluation] {
                 return evaluation->resultView()->statusText() == QLatin1String("Cancelled");
             },
             [evaluation] {
                 const QString status = evaluation->resultView()->statusText();
                 return status != QLatin1String("Cancelled") &&
                        !status.startsWith(QLatin1String("Failed"));
             }},
            {QStringLiteral("Calibration"), QStringLiteral("calibration"),
             QStringLiteral("calibrateAction"),
             [calibration](bool cancelling) {
                 cwb::CalibrationOptions o;
                 o.sequences = cancelling ? 256 : 4;
                 o.sequenceLength = cancelling ? 256 : 64;
                 calibration->setOptions(o);
             },
             [calibration] { return calibration->isRunning(); },
             [calibrationBar] { return calibrationBar->value(); },
             [calibration] {
                 return calibration->statusText().startsWith(QLatin1String("Cancelled"));
             },
             [calibration] {
                 return calibration->statistics() && calibration->statistics()->sequences == 4;
             }},
            {QStringLiteral("Benchmark"), QStringLiteral("benchmark"),
             QStringLiteral("benchmarkAction"),
             [bench](bool cancelling) {
                 cwb::BenchOptions o;
                 // Long prompts make the warm-up's prefill take seconds on the demo model.
                 o.promptTokens = cancelling ? 1024 : 32;
                 o.generatedTokens = cancelling ? 1024 : 16;
                 o.measureBandwidth = false; // a 1 GiB probe: not what this test is about
                 bench->setOptions(o);
             },
             [bench] { return bench->isRunning(); }, [benchBar] { return benchBar->value(); },
             [bench] { return bench->statusText().startsWith(QLatin1String("Cancelled")); },
             [bench] { return bench->result().has_value() && bench->runId() > 0; }},
        };
    }

    // The worker is serial: once a job queued behind the others is delivered, every cancelled
    // job has returned and recorded how it ended.
    void waitForWorker(JobRunner& runner) {
        QSignalSpy finished(&runner, &JobRunner::finished);
        const quint64 barrier = runner.enqueue(
            this, [](const cwb::Progress&) { return JobRunner::Delivery([] {}); },
            QStringLiteral("Barrier"));
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 120000);
        QCOMPARE(finished.takeFirst().first().toULongLong(), barrier);
        QVERIFY(!runner.hasJobs());
        QVERIFY(!runner.isBusy());
    }

    void checkDeliveries(QSignalSpy& delivered, const std::set<quint64>& completedIds,
                         const std::set<quint64>& cancelledIds) {
        std::multiset<quint64> ids;
        for (const QList<QVariant>& signal : delivered)
            ids.insert(signal.first().toULongLong());
        for (quint64 id : completedIds)
            QCOMPARE(int(ids.count(id)), 1);
        for (quint64 id : cancelledIds)
            QCOMPARE(int(ids.count(id)), 0);
    }

    void checkStore(const RunLibrary& library, const std::map<QString, int>& completed,
                    const std::map<QString, int>& cancelled) {
        auto runs = library.runs();
        QVERIFY2(runs, runs ? "" : qPrintable(runs.error().message));
        std::map<QString, int> finishedRuns, cancelledRuns;
        std::set<qint64> ids;
        for (const cwb::RunRecord& run : *runs) {
            QVERIFY(ids.insert(run.id).second);
            switch (run.status) {
            case cwb::RunStatus::Finished:
                ++finishedRuns[run.kind];
                break;
            case cwb::RunStatus::Cancelled:
                ++cancelledRuns[run.kind];
                break;
            default:
                QFAIL(qPrintable(QStringLiteral("run %1 (%2) is %3")
                                     .arg(run.id)
                                     .arg(run.kind, cwb::runStatusName(run.status))));
            }
        }
        const std::set<QString> known{QStringLiteral("evaluation"), QStringLiteral("calibration"),
                                      QStringLiteral("benchmark")};
        for (const QString& kind : known) {
            const auto count = [&kind](const std::map<QString, int>& m) {
                const auto it = m.find(kind);
                return it == m.end() ? 0 : it->second;
            };
            QCOMPARE(count(finishedRuns), count(completed));
            QVERIFY(count(cancelledRuns) <= count(cancelled));
        }
        for (const auto& [kind, n] : finishedRuns)
            QVERIFY2(known.count(kind), qPrintable(kind));
        for (const auto& [kind, n] : cancelledRuns)
            QVERIFY2(known.count(kind), qPrintable(kind));
    }

    void report(const std::vector<double>& rss, qint64 ms) {
        QStringList mb;
        for (double b : rss)
            mb << QString::number(b / 1e6, 'f', 1);
        qInfo("soak: %d rounds in %.1f s; resident MB after each round: %s", int(rss.size()),
              double(ms) / 1000, qPrintable(mb.join(QLatin1Char(' '))));
    }

    // The first quarter warms up (caches, oneDNN primitives, the allocator's arenas); from the
    // second quarter to the last, the median must not grow by what a leak per round would add.
    void checkSettles(const std::vector<double>& rss) {
        const std::size_t quarter = rss.size() / 4;
        const std::vector<double> second(rss.begin() + std::ptrdiff_t(quarter),
                                         rss.begin() + std::ptrdiff_t(2 * quarter));
        const std::vector<double> last(rss.end() - std::ptrdiff_t(quarter), rss.end());
        const double growth = median(last) - median(second);
        qInfo("soak: median resident memory %.1f MB in the second quarter, %.1f MB in the last "
              "(growth %.2f MB, bound %.1f MB)",
              median(second) / 1e6, median(last) / 1e6, growth / 1e6, kSettleBoundBytes / 1e6);
        QVERIFY2(growth < kSettleBoundBytes,
                 qPrintable(QStringLiteral("resident memory grew by %1 MB").arg(growth / 1e6)));
    }

    QTemporaryDir m_dir;
};

QTEST_MAIN(TestSoak)
#include "tst_soak.moc"
