// SPDX-License-Identifier: GPL-3.0-or-later
// File ▸ Export Model…'s worker: the fallback list shown before anything is written, Cancel
// writing nothing, the nearest exact types writing a file on the JobRunner's thread.
#include "testassets.h"

#include "jobrunner.h"
#include "model.h"
#include "modelexporter.h"

#include <QAbstractButton>
#include <QApplication>
#include <QFileInfo>
#include <QMainWindow>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

namespace {

std::shared_ptr<const cwb::Model> demoModel() {
    auto m = cwb::loadModel(cwbtest::stories260KBin());
    if (!m)
        qFatal("%s", qPrintable(m.error().message));
    return *m;
}

cwb::Plan int4Plan() {
    auto p = cwb::parsePlan(R"({"name": "int4", "default": "int4_g32"})");
    if (!p)
        qFatal("%s", qPrintable(p.error().message));
    return *p;
}

} // namespace

class TestModelExporter : public QObject {
    Q_OBJECT

private slots:
    void cancelWritesNothing() {
        QMainWindow window;
        JobRunner jobs;
        ModelExporter exporter(&jobs, &window);
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("m.gguf"));
        QSignalSpy finished(&exporter, &ModelExporter::finished);
        exporter.exportModel(demoModel(), int4Plan(), nullptr, out);
        QMessageBox* box = exporter.fallbackBox();
        QVERIFY(box);
        // stories260K's five ffn_down matrices have rows of 172: listed one by one.
        QCOMPARE(box->detailedText().count(QStringLiteral("ffn_down.weight: int4_g32")), 5);
        box->button(QMessageBox::Cancel)->click();
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.at(0).at(0).toBool(), false);
        QVERIFY(!jobs.isBusy());
        QVERIFY(!QFileInfo::exists(out));
    }

    void nearestExports() {
        QMainWindow window;
        JobRunner jobs;
        ModelExporter exporter(&jobs, &window);
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("m.gguf"));
        QSignalSpy finished(&exporter, &ModelExporter::finished);
        exporter.exportModel(demoModel(), int4Plan(), nullptr, out);
        QVERIFY(exporter.fallbackBox());
        exporter.fallbackBox()
            ->findChild<QAbstractButton*>(QStringLiteral("useNearestButton"))
            ->click();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.at(0).at(0).toBool(), true);
        auto exported = cwb::loadModel(out);
        QVERIFY(exported.ok());
        QCOMPARE(int((*exported)->find(QStringLiteral("blk.0.attn_q.weight"))->type),
                 int(cwb::StoredType::Q4_0));
        QCOMPARE(int((*exported)->find(QStringLiteral("blk.0.ffn_down.weight"))->type),
                 int(cwb::StoredType::F32));
    }

    // A failure reaches the user as a dialog, and no file appears.
    void failureShowsDialog() {
        QMainWindow window;
        JobRunner jobs;
        ModelExporter exporter(&jobs, &window);
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("missing/m.gguf"));
        QSignalSpy finished(&exporter, &ModelExporter::finished);
        auto fp16 = cwb::parsePlan(R"({"default": "fp16"})");
        QVERIFY(fp16.ok());
        exporter.exportModel(demoModel(), *fp16, nullptr, out); // nothing to fall back: starts
        QVERIFY(!exporter.fallbackBox());
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.at(0).at(0).toBool(), false);
        QVERIFY(window.findChild<QMessageBox*>());
        QVERIFY(!QFileInfo::exists(out));
    }
};

QTEST_MAIN(TestModelExporter)
#include "tst_modelexporter.moc"
