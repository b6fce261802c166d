// SPDX-License-Identifier: GPL-3.0-or-later
#include "testassets.h"

#include "distillpanel.h"
#include "fingerprint.h"
#include "guitest.h"
#include "jobrunner.h"
#include "lineage.h"
#include "model.h"
#include "runlibrary.h"
#include "store/runstore.h"
#include "textfile.h"

#include <QDockWidget>
#include <QScopeGuard>
#include <QtTest>

class TestDistillPanel : public QObject {
    Q_OBJECT

    std::shared_ptr<const cwb::Model> m_teacher;
    QByteArray m_text;
    QTemporaryDir m_students;

    void prepare(DistillPanel& panel, int steps) {
        cwb::DistillOptions o;
        o.batch = 1;
        o.threads = 1;
        o.steps = steps;
        panel.setOptions(o, 32);
        panel.setTeacher(m_teacher);
        panel.setTrainingText(m_text);
        panel.setStudentSpec(QStringLiteral("blocks=0,4"));
        panel.setOutputFolder(m_students.path());
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // the window's settings go to a test location
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_distillpanel"));
        QSettings().clear();
        auto teacher = cwb::loadModel(cwbtest::stories260KBin());
        QVERIFY(teacher);
        m_teacher = *teacher;
        auto text = cwb::readTextFile(
            cwbtest::source(QStringLiteral("resources/texts/tinystories-train-512k.txt")));
        QVERIFY(text);
        m_text = text->left(40000);
    }

    // A short run plots one point per step and hands over the student.
    void runPlotsEveryStep() {
        JobRunner jobs;
        DistillPanel panel(&jobs);
        prepare(panel, 4);
        QSignalSpy ready(&panel, &DistillPanel::studentReady);
        panel.start();
        QVERIFY(panel.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), 60000);
        QCOMPARE(ready.count(), 1);
        QCOMPARE(panel.points(), 4);
        QVERIFY(panel.student());
        QCOMPARE(panel.student()->config.layers, 2);
        QVERIFY2(panel.status().startsWith(QStringLiteral("Done")), qPrintable(panel.status()));
        jobs.shutdown();
    }

    void cancelStopsTheJob() {
        JobRunner jobs;
        DistillPanel panel(&jobs);
        prepare(panel, 100000);
        panel.start();
        QTRY_VERIFY_WITH_TIMEOUT(panel.points() >= 1, 60000);
        panel.cancel();
        QVERIFY(!panel.isRunning());
        QVERIFY(panel.status().startsWith(QStringLiteral("Cancelled")));
        const int points = panel.points();
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.hasJobs(), 60000);
        QTest::qWait(50);
        QCOMPARE(panel.points(), points); // nothing of the cancelled run arrives later
        QVERIFY(!panel.student());
        jobs.shutdown();
    }

    // In the window: Tools ▸ Distill… shows the panel; a short run on the window's job runner
    // writes the student beside the run database, records the prune run and the distillation
    // (its child, with the file's sha256), and Open Student opens it, so that what is done to
    // it next continues the lineage.
    void windowDistilsRecordsAndOpensTheStudent() {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("runs.sqlite"));
        // $CWB_DB decides over a chosen file, as CTest sets it: this test's own database.
        const QByteArray ctestDb = qgetenv("CWB_DB");
        qputenv("CWB_DB", db.toLocal8Bit());
        const auto restore = qScopeGuard([&] { qputenv("CWB_DB", ctestDb); });
        auto w = cwbtest::openDemoWindow();
        QCOMPARE(w->runLibrary()->path(), db);
        cwbtest::findAction(w.get(), QStringLiteral("distillAction"))->trigger();
        QVERIFY(w->distillDock()->isVisible());
        DistillPanel* panel = w->distillPanel();
        cwb::DistillOptions o;
        o.batch = 1;
        o.threads = 1;
        panel->setOptions(o, 32);
        panel->setSteps(3);
        panel->setStudentSpec(QStringLiteral("blocks=0,2,4"));
        QSignalSpy ready(panel, &DistillPanel::studentReady);
        auto* start = panel->findChild<QPushButton*>(QStringLiteral("distillStart"));
        QVERIFY(start && start->isEnabled());
        QTest::mouseClick(start, Qt::LeftButton);
        QVERIFY(panel->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(w->jobRunner()->hasJobs(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), 120000);
        QCOMPARE(ready.count(), 1);
        QCOMPARE(panel->points(), 3);
        QVERIFY2(panel->status().contains(QStringLiteral("recorded as run")),
                 qPrintable(panel->status()));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("distillation.png"));

        const QString student = panel->studentPath();
        QVERIFY(QFile::exists(student));
        QCOMPARE(QFileInfo(student).absolutePath(), QDir(dir.path()).filePath("students"));
        auto store = cwb::RunStore::open(db);
        QVERIFY(store);
        auto run = (*store)->get(panel->runId());
        QVERIFY(run);
        QCOMPARE(run->kind, QStringLiteral("distillation"));
        QCOMPARE(run->status, cwb::RunStatus::Finished);
        QCOMPARE(run->settings.value(QStringLiteral("student_spec")).toString(),
                 QStringLiteral("blocks=0,2,4"));
        QVERIFY(run->metrics.count(QStringLiteral("size_bytes")));
        QVERIFY(run->parentId);
        auto chain = cwb::runLineage(**store, run->id);
        QVERIFY(chain);
        QCOMPARE(chain->size(), std::size_t(2));
        QCOMPARE(chain->front().kind, QStringLiteral("prune"));
        QCOMPARE(chain->front().model->sha256, cwb::modelFingerprint(*w->model()));
        QTRY_VERIFY_WITH_TIMEOUT(bool(w->runLibrary()->run(run->id)), 10000);

        auto* open = panel->findChild<QPushButton*>(QStringLiteral("distillOpenStudent"));
        QVERIFY(open->isEnabled());
        QTest::mouseClick(open, Qt::LeftButton);
        QCOMPARE(w->model()->path, student);
        QCOMPARE(w->model()->config.layers, 3);
        // A run on the opened student is the distillation's child.
        auto producer = (*store)->runProducing(cwb::modelFingerprint(*w->model()));
        QVERIFY(producer);
        QCOMPARE(producer->value_or(0), run->id);
    }

    void badSpecIsSaid() {
        JobRunner jobs;
        DistillPanel panel(&jobs);
        prepare(panel, 2);
        panel.setStudentSpec(QStringLiteral("blocks=x"));
        panel.start();
        QVERIFY(!panel.isRunning());
        QVERIFY(panel.status().contains(QStringLiteral("student spec")));
        jobs.shutdown();
    }
};

QTEST_MAIN(TestDistillPanel)
#include "tst_distillpanel.moc"
