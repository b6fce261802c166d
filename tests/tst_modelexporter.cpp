// SPDX-License-Identifier: GPL-3.0-or-later
// File ▸ Export Model…'s worker: the fallback list shown before anything is written, Cancel
// writing nothing, the nearest exact types writing a file on the JobRunner's thread.
#include "testassets.h"

#include "fingerprint.h"
#include "jobrunner.h"
#include "model.h"
#include "modelexporter.h"
#include "store/runstore.h"

#include <QAbstractButton>
#include <QApplication>
#include <QFileInfo>
#include <QJsonArray>
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
        exporter.exportModel(demoModel(), int4Plan(), QStringLiteral("int4"), nullptr, out);
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
        const QString db = dir.filePath(QStringLiteral("runs.sqlite"));
        QSignalSpy finished(&exporter, &ModelExporter::finished);
        exporter.exportModel(demoModel(), int4Plan(), QStringLiteral("int4"), nullptr, out,
                             RunRecording(db, nullptr));
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

        // Recorded as `cwb quantize` records it: a later run on the file finds it as its parent.
        auto store = cwb::RunStore::open(db);
        QVERIFY(store.ok());
        auto producer = (*store)->runProducing(cwb::modelFingerprint(**exported));
        QVERIFY(producer.ok() && producer->has_value());
        auto run = (*store)->get(**producer);
        QVERIFY(run.ok());
        QCOMPARE(run->kind, QStringLiteral("quantize"));
        QCOMPARE(run->name, QStringLiteral("int4"));
        QCOMPARE(int(run->status), int(cwb::RunStatus::Finished));
        QCOMPARE(run->settings.value(QStringLiteral("fallback")).toString(),
                 QStringLiteral("nearest"));
        QCOMPARE(run->settings.value(QStringLiteral("fallbacks")).toArray().size(), 5);
        QCOMPARE(run->metrics.at(QStringLiteral("size_bytes")).value,
                 double(QFileInfo(out).size()));
        QVERIFY(run->command.startsWith(QStringLiteral("cwb quantize ")));
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
        const QString db = dir.filePath(QStringLiteral("runs.sqlite"));
        // Nothing to fall back: starts at once.
        exporter.exportModel(demoModel(), *fp16, QStringLiteral("fp16"), nullptr, out,
                             RunRecording(db, nullptr));
        QVERIFY(!exporter.fallbackBox());
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.at(0).at(0).toBool(), false);
        QVERIFY(window.findChild<QMessageBox*>());
        QVERIFY(!QFileInfo::exists(out));
        // The run is kept, as failed, with the reason.
        auto store = cwb::RunStore::open(db);
        QVERIFY(store.ok());
        auto runs = (*store)->list({});
        QVERIFY(runs.ok());
        QCOMPARE(runs->size(), std::size_t(1));
        QCOMPARE(int(runs->front().status), int(cwb::RunStatus::Failed));
    }
};

QTEST_MAIN(TestModelExporter)
#include "tst_modelexporter.moc"
