// SPDX-License-Identifier: GPL-3.0-or-later
#include "testassets.h"

#include "model.h"
#include "rundiff.h"
#include "runrecorder.h"
#include "store/runstore.h"
#include "store/sqlitedb.h"

#include <QCryptographicHash>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <thread>

using namespace cwb;

namespace {

RunRecord sampleRun(const QString& name) {
    RunRecord r;
    r.kind = QStringLiteral("evaluation");
    r.name = name;
    r.model = ModelIdentity{QStringLiteral("/m/model.bin"),
                            1000,
                            QStringLiteral("abc123"),
                            QStringLiteral("GGUF v3"),
                            QStringLiteral("llama"),
                            260032,
                            QJsonObject{{QStringLiteral("dim"), 64}}};
    r.plan = QJsonObject{{QStringLiteral("default"), QStringLiteral("int8")}};
    r.evalText = {QStringLiteral("/t/valid.txt"), QStringLiteral("def456"), 0};
    r.settings = QJsonObject{{QStringLiteral("ctx"), 512}};
    r.threads = 2;
    r.cpu = QStringLiteral("test CPU");
    r.toolVersion = QStringLiteral("0.1.0");
    r.toolCommit = QStringLiteral("deadbeef");
    r.command = QStringLiteral("cwb eval …");
    return r;
}

QByteArray fileBytes(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString integrity(const QString& path) {
    auto db = store::SqliteDb::open(path, store::SqliteDb::Mode::ReadOnly);
    auto s = store::Statement::prepare(**db, QStringLiteral("PRAGMA integrity_check"));
    return s && s->step() ? s->text(0) : QStringLiteral("failed");
}

// Whole `cwb` processes against one file are about processes, not threads, and under TSan each
// takes a minute: the README's and the AddressSanitizer suites run them.
#if defined(__SANITIZE_THREAD__)
#define skipUnderThreadSanitizer() QSKIP("other processes: not for ThreadSanitizer")
#else
#define skipUnderThreadSanitizer() (void)0
#endif

} // namespace

class TestRunStore : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void recordsAndReadsBackWholeRuns() {
        auto store = RunStore::open(path(QStringLiteral("a.sqlite")));
        QVERIFY2(store, store ? "" : qPrintable(store.error().message));
        QCOMPARE((*store)->schemaVersion(), RunStore::kSchemaVersion);
        auto id = (*store)->begin(sampleRun(QStringLiteral("first")));
        QVERIFY(id);
        auto running = (*store)->get(*id);
        QCOMPARE(running->status, RunStatus::Running);
        QVERIFY((*store)->finish(*id, RunStatus::Finished,
                                 {{{QStringLiteral("kld_mean"), {0.012, 0.001}},
                                   {QStringLiteral("bpw"), {8.5, std::nullopt}}},
                                  {{QStringLiteral("blk.0.attn_q.weight"), QStringLiteral("int8"),
                                    QStringLiteral("rtn"), 4352, 0.1, std::nullopt}},
                                  5000,
                                  {{QStringLiteral("extra"), true}}}));
        auto r = (*store)->get(*id);
        QVERIFY(r);
        QCOMPARE(r->status, RunStatus::Finished);
        QCOMPARE(r->name, QStringLiteral("first"));
        QCOMPARE(r->model->sha256, QStringLiteral("abc123"));
        QCOMPARE(r->plan.value(QStringLiteral("default")).toString(), QStringLiteral("int8"));
        QCOMPARE(r->evalText.tokens, std::int64_t(5000));
        QCOMPARE(r->settings.value(QStringLiteral("ctx")).toInt(), 512);
        QCOMPARE(r->settings.value(QStringLiteral("extra")).toBool(), true);
        QCOMPARE(r->metrics.at(QStringLiteral("kld_mean")).value, 0.012);
        QCOMPARE(*r->metrics.at(QStringLiteral("kld_mean")).uncertainty, 0.001);
        QVERIFY(!r->metrics.at(QStringLiteral("bpw")).uncertainty);
        QCOMPARE(r->tensors.size(), std::size_t(1));
        QCOMPARE(r->tensors[0].bytes, std::uint64_t(4352));
        QVERIFY(r->finishedAt.isValid() && r->startedAt <= r->finishedAt);
        QCOMPARE((*store)->list()->size(), std::size_t(1));
        QCOMPARE((*store)->list({QStringLiteral("model.bin"), {}, 0})->size(), std::size_t(1));
        QCOMPARE((*store)->list({QStringLiteral("other"), {}, 0})->size(), std::size_t(0));
        QVERIFY((*store)->remove(*id));
        QVERIFY(!(*store)->get(*id));
        QVERIFY(!(*store)->remove(*id));
    }

    void walForeignKeysAndVersionInTheFile() {
        auto store = RunStore::open(path(QStringLiteral("pragmas.sqlite")));
        QVERIFY(store);
        auto query = [&](const char* sql) {
            auto s = store::Statement::prepare((*store)->database(), QLatin1String(sql));
            return s && s->step() ? s->text(0) : QString();
        };
        QCOMPARE(query("PRAGMA journal_mode"), QStringLiteral("wal"));
        QCOMPARE(query("PRAGMA foreign_keys"), QStringLiteral("1"));
        QCOMPARE(query("PRAGMA user_version"), QString::number(RunStore::kSchemaVersion));
    }

    void migratesEveryEarlierSchema() {
        for (int version = 1; version < RunStore::kSchemaVersion; ++version) {
            const QString p = path(QStringLiteral("v%1.sqlite").arg(version));
            QVERIFY(RunStore::createAtVersion(p, version));
            {
                // A run written by that version, with what its schema had.
                auto db = store::SqliteDb::open(p, store::SqliteDb::Mode::ReadWrite);
                QVERIFY((*db)->exec(QStringLiteral(
                    "INSERT INTO runs (kind, status, name, tool_version, tool_commit, started_at) "
                    "VALUES ('evaluation', 'finished', 'old run', '0.0.1', 'abc', "
                    "'2026-01-01T00:00:00.000Z');"
                    "INSERT INTO metrics (run_id, name, value, uncertainty) VALUES (1, 'ppl', 4.3, "
                    "0.01);")));
            }
            auto store = RunStore::open(p);
            QVERIFY2(store, store ? "" : qPrintable(store.error().message));
            QCOMPARE((*store)->schemaVersion(), RunStore::kSchemaVersion);
            auto r = (*store)->get(1);
            QVERIFY(r);
            QCOMPARE(r->name, QStringLiteral("old run"));
            QCOMPARE(r->metrics.at(QStringLiteral("ppl")).value, 4.3);
            QVERIFY(!(*store)->hardwareProfiles()->empty());
            QVERIFY((*store)->begin(sampleRun(QStringLiteral("new"))));
        }
    }

    void newerSchemaIsReadOnly() {
        const QString p = path(QStringLiteral("newer.sqlite"));
        {
            auto store = RunStore::open(p);
            QVERIFY((*store)->begin(sampleRun(QStringLiteral("kept"))));
            QVERIFY((*store)->database().exec(QStringLiteral("PRAGMA user_version = 99")));
        }
        auto store = RunStore::open(p);
        QVERIFY(store);
        QVERIFY((*store)->readOnly());
        QVERIFY((*store)->readOnlyReason().contains(QLatin1String("newer")));
        auto refused = (*store)->begin(sampleRun(QStringLiteral("refused")));
        QVERIFY(!refused);
        QVERIFY(refused.error().message.contains(QLatin1String("schema 99")));
        QCOMPARE((*store)->list()->size(), std::size_t(1)); // reading still works
    }

    void foreignFilesAreRefusedUntouched() {
        const QString junk = path(QStringLiteral("junk.sqlite"));
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, 'x'));
        f.close();
        const QByteArray before = fileBytes(junk);
        auto r = RunStore::open(junk);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("not a run database")),
                 qPrintable(r.error().message));
        QCOMPARE(fileBytes(junk), before);
        QVERIFY(!QFile::exists(junk + QStringLiteral("-wal")));

        // Someone else's SQLite database is not ours either.
        const QString other = path(QStringLiteral("other.sqlite"));
        {
            auto db = store::SqliteDb::open(other, store::SqliteDb::Mode::ReadWrite);
            QVERIFY((*db)->exec(
                QStringLiteral("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');")));
        }
        const QByteArray otherBefore = fileBytes(other);
        auto o = RunStore::open(other);
        QVERIFY(!o);
        QVERIFY(o.error().message.contains(QLatin1String("something else")));
        QCOMPARE(fileBytes(other), otherBefore);
    }

    void recorderMarksAnAbandonedRunFailed() {
        auto store = RunStore::open(path(QStringLiteral("recorder.sqlite")));
        std::int64_t id = 0;
        {
            auto recorder = RunRecorder::start(**store, sampleRun(QStringLiteral("abandoned")));
            QVERIFY(recorder);
            id = recorder->id();
        }
        QCOMPARE((*store)->get(id)->status, RunStatus::Failed);
        auto cancelled = RunRecorder::start(**store, sampleRun(QStringLiteral("cancelled")));
        QVERIFY(cancelled->fail(cancelledError()));
        QCOMPARE((*store)->get(cancelled->id())->status, RunStatus::Cancelled);
    }

    // A run that wrote a model file is found by the file's sha256 once it finished, and a run on
    // that model becomes its child unless it names its parent; writing back the model a run read
    // makes nothing new.
    void theRunThatWroteAModelIsItsParent() {
        auto store = RunStore::open(path(QStringLiteral("lineage.sqlite")));
        QVERIFY(store);
        const QString student(64, QLatin1Char('5'));
        const auto output = [](const QString& sha) {
            return RunOutcome{{}, {}, 0, QJsonObject{{QStringLiteral("output_sha256"), sha}}};
        };
        auto writer = RunRecorder::start(**store, sampleRun(QStringLiteral("distilled")));
        QVERIFY(writer);
        QCOMPARE((*store)->runProducing(student)->value_or(0), 0); // not finished yet
        QVERIFY(writer->finish(output(student)));
        auto copier = RunRecorder::start(**store, sampleRun(QStringLiteral("fp32 export")));
        QVERIFY(copier->finish(output(QStringLiteral("abc123")))); // its own model's sha256
        QCOMPARE((*store)->runProducing(student)->value_or(0), writer->id());
        QVERIFY(!(*store)->runProducing(QStringLiteral("abc123"))->has_value());

        RunRecord onStudent = sampleRun(QStringLiteral("on the student"));
        onStudent.model->sha256 = student;
        auto child = RunRecorder::start(**store, onStudent);
        QCOMPARE(child->parentId().value_or(0), writer->id());
        QCOMPARE((*store)->get(child->id())->parentId.value_or(0), writer->id());
        onStudent.parentId = copier->id();
        auto told = RunRecorder::start(**store, onStudent);
        QCOMPARE((*store)->get(told->id())->parentId.value_or(0), copier->id());
        QVERIFY(child->finish({}) && told->finish({}));
    }

    void killedRunIsInterruptedAndNothingElseIsLost() {
        skipUnderThreadSanitizer();
        const QString db = path(QStringLiteral("kill.sqlite"));
        const QStringList evalArgs{QStringLiteral("eval"),    cwbtest::stories260KBin(),
                                   QStringLiteral("--text"),  cwbtest::validationText(),
                                   QStringLiteral("--split"), QStringLiteral("documents"),
                                   QStringLiteral("--db"),    db};
        QProcess first;
        first.start(cwbtest::cliPath(),
                    evalArgs + QStringList{QStringLiteral("--max-tokens"), QStringLiteral("500")});
        QVERIFY(first.waitForFinished(120000));
        QCOMPARE(first.exitCode(), 0);

        QProcess killed;
        killed.start(cwbtest::cliPath(), evalArgs);
        QVERIFY(killed.waitForStarted());
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += killed.readAllStandardError()).contains("tokens scored"),
                                 120000);
        ::kill(pid_t(killed.processId()), SIGKILL);
        QVERIFY(killed.waitForFinished(30000));

        QCOMPARE(integrity(db), QStringLiteral("ok"));
        auto store = RunStore::open(db);
        QVERIFY(store);
        auto runs = (*store)->list();
        QCOMPARE(runs->size(), std::size_t(2));
        QCOMPARE(runs->at(0).status, RunStatus::Finished);
        QVERIFY(runs->at(0).metrics.count(QStringLiteral("ppl")));
        QCOMPARE(runs->at(1).status, RunStatus::Interrupted);
    }

    void twoProcessesWriteAtOnce() {
        skipUnderThreadSanitizer();
        const QString db = path(QStringLiteral("concurrent.sqlite"));
        QVERIFY(RunStore::open(db)); // created once, so both processes migrate nothing
        const QStringList args{QStringLiteral("eval"),         cwbtest::stories260KBin(),
                               QStringLiteral("--text"),       cwbtest::validationText(),
                               QStringLiteral("--split"),      QStringLiteral("documents"),
                               QStringLiteral("--max-tokens"), QStringLiteral("1500"),
                               QStringLiteral("--db"),         db,
                               QStringLiteral("--threads"),    QStringLiteral("1")};
        QProcess a, b;
        a.start(cwbtest::cliPath(), args);
        b.start(cwbtest::cliPath(), args);
        QVERIFY(a.waitForFinished(120000) && b.waitForFinished(120000));
        QCOMPARE(a.exitCode(), 0);
        QCOMPARE(b.exitCode(), 0);
        auto store = RunStore::open(db);
        auto runs = (*store)->list();
        QCOMPARE(runs->size(), std::size_t(2));
        for (const RunRecord& r : *runs)
            QCOMPARE(r.status, RunStatus::Finished);
        QCOMPARE(integrity(db), QStringLiteral("ok"));
    }

    // Two commands started at once on a database that does not exist yet (two `cwb distill`
    // runs side by side, a fresh machine): both create and migrate it, and neither may fail
    // because the other did it first.
    void twoOpenersCreateTheSameNewDatabase() {
        constexpr int kTries = 12, kOpeners = 3;
        for (int attempt = 0; attempt < kTries; ++attempt) {
            const QString db = path(QStringLiteral("new-%1.sqlite").arg(attempt));
            std::atomic<int> ready{0};
            QString failures[kOpeners]; // each written by its own thread, read after join
            std::vector<std::thread> openers;
            for (int i = 0; i < kOpeners; ++i)
                openers.emplace_back([&, i] {
                    ready.fetch_add(1);
                    while (ready.load() < kOpeners) {
                    }
                    auto store = RunStore::open(db);
                    if (!store)
                        failures[i] = store.error().message;
                });
            for (std::thread& t : openers)
                t.join();
            for (const QString& f : failures)
                QVERIFY2(f.isEmpty(), qPrintable(f));
            auto store = RunStore::open(db);
            QVERIFY(store);
            QCOMPARE((*store)->schemaVersion(), RunStore::kSchemaVersion);
            QCOMPARE(integrity(db), QStringLiteral("ok"));
        }
    }

    // As the window does: a job records runs on the worker through its own connection while the
    // GUI thread lists them through another (one RunStore per thread). Built with ThreadSanitizer
    // (CWB_TSAN) this shows that nothing is shared between the two but the file.
    void aWorkerRecordsWhileAnotherThreadReads() {
        const QString db = path(QStringLiteral("threads.sqlite"));
        QVERIFY(RunStore::open(db));
        constexpr int kRuns = 20;
        std::atomic<int> recorded{0};
        std::atomic<bool> failed{false};
        QString failure; // read after the worker is joined
        std::thread worker([&] {
            auto store = RunStore::open(db);
            if (!store) {
                failure = store.error().message;
                failed.store(true);
                return;
            }
            for (int i = 0; i < kRuns; ++i) {
                auto recorder =
                    RunRecorder::start(**store, sampleRun(QStringLiteral("run %1").arg(i)));
                const RunOutcome outcome{
                    {{QStringLiteral("ppl"), MetricValue{10.0 + i, 0.1}}}, {}, 100, {}};
                auto done = recorder ? recorder->finish(outcome) : Result<void>(recorder.error());
                if (!done) {
                    failure = done.error().message;
                    failed.store(true);
                    return;
                }
                recorded.fetch_add(1);
            }
        });
        auto reader = RunStore::open(db);
        QVERIFY(reader);
        std::size_t seen = 0;
        while (recorded.load() < kRuns && !failed.load()) {
            auto runs = (*reader)->list();
            QVERIFY2(runs, runs ? "" : qPrintable(runs.error().message));
            QVERIFY(runs->size() >= seen); // never one less than before
            seen = runs->size();
        }
        worker.join();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        auto runs = (*reader)->list();
        QCOMPARE(runs->size(), std::size_t(kRuns));
        for (const RunRecord& r : *runs)
            QCOMPARE(r.status, RunStatus::Finished);
        QCOMPARE(integrity(db), QStringLiteral("ok"));
    }

    void hardwareProfiles() {
        auto store = RunStore::open(path(QStringLiteral("hw.sqlite")));
        const auto shipped = (*store)->hardwareProfiles();
        QVERIFY(shipped->size() >= 5);
        for (const HardwareProfile& p : *shipped) {
            QVERIFY(p.shipped);
            QVERIFY(p.notes.contains(QLatin1String("example price (2026-11)")));
        }
        HardwareProfile mine{0,
                             QStringLiteral("My box"),
                             QStringLiteral("cpu"),
                             32,
                             40,
                             2,
                             1,
                             0.5,
                             QStringLiteral("mine"),
                             false};
        QVERIFY((*store)->addHardware(mine));
        QVERIFY(!(*store)->addHardware(mine)); // the name is taken
        mine.pricePerHour = 0.25;
        QVERIFY((*store)->updateHardware(mine));
        QCOMPARE((*store)->hardwareProfile(QStringLiteral("My box"))->pricePerHour, 0.25);
        HardwareProfile bad = mine;
        bad.name = QStringLiteral("Bad");
        bad.bandwidthGBs = 0;
        auto refused = (*store)->addHardware(bad);
        QVERIFY(!refused);
        QVERIFY(refused.error().message.contains(QLatin1String("positive")));
        QVERIFY((*store)->removeHardware(QStringLiteral("My box")));
        QVERIFY(!(*store)->removeHardware(QStringLiteral("My box")));
    }

    void diffNamesChangedTensorsAndMetricDeltas() {
        RunRecord a = sampleRun(QStringLiteral("a")), b = sampleRun(QStringLiteral("b"));
        a.id = 1;
        b.id = 2;
        a.metrics = {{QStringLiteral("kld_mean"), {0.10, 0.003}},
                     {QStringLiteral("bpw"), {8.5, std::nullopt}}};
        b.metrics = {{QStringLiteral("kld_mean"), {0.04, 0.004}},
                     {QStringLiteral("bpw"), {4.6, std::nullopt}}};
        a.tensors = {
            {QStringLiteral("q"), QStringLiteral("int8"), QStringLiteral("rtn"), 100, {}, {}},
            {QStringLiteral("k"), QStringLiteral("int8"), QStringLiteral("rtn"), 100, {}, {}}};
        b.tensors = {
            {QStringLiteral("q"), QStringLiteral("int8"), QStringLiteral("rtn"), 100, {}, {}},
            {QStringLiteral("k"), QStringLiteral("int4_g32"), QStringLiteral("gptq"), 60, {}, {}}};
        b.evalText.sha256 = QStringLiteral("other");
        const RunDiff d = diffRuns(a, b);
        QCOMPARE(d.tensors.size(), std::size_t(1));
        QCOMPARE(d.tensors[0].tensor, QStringLiteral("k"));
        QCOMPARE(d.tensors[0].methodB, QStringLiteral("gptq"));
        const auto kld = std::find_if(d.metrics.begin(), d.metrics.end(), [](const MetricDelta& m) {
            return m.name == QLatin1String("kld_mean");
        });
        QVERIFY(std::abs(*kld->delta + 0.06) < 1e-12);
        QVERIFY(std::abs(*kld->uncertainty - 0.005) < 1e-12); // √(0.003² + 0.004²)
        QVERIFY(d.notes.join(QLatin1Char(' ')).contains(QLatin1String("different texts")));
    }
};

QTEST_GUILESS_MAIN(TestRunStore)
#include "tst_runstore.moc"
