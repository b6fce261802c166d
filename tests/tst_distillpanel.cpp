// SPDX-License-Identifier: GPL-3.0-or-later
#include "testassets.h"

#include "distillpanel.h"
#include "jobrunner.h"
#include "model.h"
#include "textfile.h"

#include <QtTest>

class TestDistillPanel : public QObject {
    Q_OBJECT

    std::shared_ptr<const cwb::Model> m_teacher;
    QByteArray m_text;

    void prepare(DistillPanel& panel, int steps) {
        cwb::DistillOptions o;
        o.batch = 1;
        o.threads = 1;
        o.steps = steps;
        panel.setOptions(o, 32);
        panel.setTeacher(m_teacher);
        panel.setTrainingText(m_text);
        panel.setStudentSpec(QStringLiteral("blocks=0,4"));
    }

private slots:
    void initTestCase() {
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
