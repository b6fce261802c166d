// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationpanel.h"
#include "calibrationsitesmodel.h"
#include "channelplot.h"
#include "evaluationpanel.h"
#include "histogramplot.h"
#include "jobrunner.h"
#include "mainwindow.h"
#include "tensordetailview.h"
#include "tensortablemodel.h"
#include "tensorview.h"

#include "calibration.h"
#include "guitest.h"
#include "model.h"
#include "resources.h"
#include "testassets.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QItemSelectionModel>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

namespace {

constexpr int kTimeoutMs = 300'000; // sanitizer builds run the model ~10× slower

// Saved for a person to look at, never compared.

template <typename T> T* child(QWidget* parent, const char* name) {
    auto* w = parent->findChild<T*>(QLatin1String(name));
    if (!w)
        qFatal("no child %s", name);
    return w;
}

// Makes `tensor` the table's current row, as a click would.
void selectTensor(MainWindow& w, const QString& tensor) {
    const QSortFilterProxyModel* proxy = w.tensorView()->proxyModel();
    QTableView* table = w.tensorView()->tableView();
    for (int r = 0; r < proxy->rowCount(); ++r)
        if (proxy->index(r, TensorTableModel::Name).data().toString() == tensor) {
            table->selectionModel()->setCurrentIndex(proxy->index(r, TensorTableModel::Name),
                                                     QItemSelectionModel::ClearAndSelect |
                                                         QItemSelectionModel::Rows);
            return;
        }
    qFatal("no tensor %s", qPrintable(tensor));
}

cwb::CalibrationOptions smallOptions() {
    cwb::CalibrationOptions o;
    o.sequences = 8;
    o.sequenceLength = 128;
    return o;
}

} // namespace

class TestCalibrationPanel : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_cache;

    // Calibrates from the panel as a user would, and waits for the statistics.
    static void calibrate(MainWindow& w, const cwb::CalibrationOptions& options) {
        CalibrationPanel* panel = w.calibrationPanel();
        w.bottomTabs()->setCurrentWidget(panel);
        panel->setOptions(options);
        QTest::mouseClick(child<QPushButton>(panel, "calibrateButton"), Qt::LeftButton);
        QVERIFY(panel->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kTimeoutMs);
        QVERIFY2(panel->statistics(), qPrintable(panel->statusText()));
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_calibrationpanel"));
        QSettings().clear();
        QVERIFY(m_cache.isValid());
        qputenv("CWB_CACHE_DIR", QFile::encodeName(m_cache.path()));
    }

    void calibratesTheDemoModelAndShowsItsInputs() {
        auto w = cwbtest::openDemoWindow();
        CalibrationPanel* panel = w->calibrationPanel();
        QAbstractItemModelTester tester(panel->sitesModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(child<QLineEdit>(panel, "calibrationText")->text(),
                 QStringLiteral("tinystories-train-512k.txt (bundled)"));
        QCOMPARE(panel->textPath(), cwb::resources::demoCalibrationText());
        QVERIFY(!panel->statistics());

        // Before any statistics, the activation plots say what to do.
        selectTensor(*w, QStringLiteral("blk.0.attn_q.weight"));
        TensorDetailView* detail = w->tensorDetailView();
        QCOMPARE(detail->tensorName(), QStringLiteral("blk.0.attn_q.weight"));
        QCOMPARE(detail->activationPlot()->message(),
                 QStringLiteral("Calibrate to see activation statistics"));
        QCOMPARE(detail->channelPlot()->message(),
                 QStringLiteral("Calibrate to see activation statistics"));
        QCOMPARE(detail->activationPlot()->nonEmptyBins(), 0);
        QTRY_VERIFY(detail->weightPlot()->nonEmptyBins() > 0); // weights need no calibration
        QVERIFY2(detail->headerText().contains(QLatin1String("shared with blk.0.attn_k, "
                                                             "blk.0.attn_v")),
                 qPrintable(detail->headerText()));

        calibrate(*w, smallOptions());
        const QString status = panel->statusText();
        QVERIFY2(status.contains(QLatin1String("1,024 tokens: 8 sequences of 128")),
                 qPrintable(status));
        QVERIFY2(status.contains(QLatin1String("with Hessians")), qPrintable(status));
        QVERIFY2(status.contains(QLatin1String("saved to ")), qPrintable(status));
        const QString saved = status.section(QLatin1String("saved to "), 1).trimmed();
        QVERIFY2(QFile::exists(saved), qPrintable(saved));
        QVERIFY(saved.startsWith(m_cache.path()));
        QCOMPARE(child<QProgressBar>(panel, "calibrationProgress")->value(),
                 child<QProgressBar>(panel, "calibrationProgress")->maximum());
        // Five blocks of four inputs, and the classifier's.
        QCOMPARE(panel->sitesModel()->rowCount(), 21);
        QCOMPARE(panel->sitesModel()->index(0, CalibrationSitesModel::Site).data().toString(),
                 QStringLiteral("blk.0.attn_in"));
        QCOMPARE(panel->sitesModel()->index(20, CalibrationSitesModel::Site).data().toString(),
                 QStringLiteral("output_in"));
        QCOMPARE(panel->sitesModel()
                     ->index(0, CalibrationSitesModel::Channels)
                     .data(CalibrationSitesModel::ValueRole)
                     .toInt(),
                 64);

        // The detail view gains the input's statistics.
        QVERIFY(detail->activationPlot()->message().isEmpty());
        QVERIFY(detail->activationPlot()->nonEmptyBins() > 10);
        QCOMPARE(detail->channelPlot()->channels(), 64);
        QVERIFY(!detail->outlierText().isEmpty());
        // fp32 quantizes no activations: no grid over them, and a note saying so.
        QVERIFY2(detail->activationNote().contains(QLatin1String("stay float")),
                 qPrintable(detail->activationNote()));
        selectTensor(*w, QStringLiteral("blk.3.ffn_down.weight"));
        QCOMPARE(detail->channelPlot()->channels(), 172);
        cwbtest::saveScreenshot(panel, QStringLiteral("calibration-panel.png"));
        cwbtest::saveScreenshot(detail, QStringLiteral("tensor-detail-calibrated.png"));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("main-calibrated.png"));

        // The same model, text and options again: the saved statistics are reused.
        calibrate(*w, smallOptions());
        QVERIFY2(panel->statusText().contains(QLatin1String("reused from the cache")),
                 qPrintable(panel->statusText()));

        // Another model starts without statistics.
        QVERIFY(w->openModel(cwbtest::stories260KGguf()));
        QVERIFY(!panel->statistics());
        QCOMPARE(panel->sitesModel()->rowCount(), 0);
        QCOMPARE(detail->tensorName(), QString());
    }

    void calibratesOnJsonLines() {
        // Documents of the bundled text, one JSON object with a "text" field each.
        QFile bundled(cwb::resources::demoCalibrationText());
        QVERIFY(bundled.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(bundled.read(64 * 1024));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("stories.jsonl"));
        {
            QFile out(path);
            QVERIFY(out.open(QIODevice::WriteOnly));
            for (const QString& story : text.split(QStringLiteral("\n\n"), Qt::SkipEmptyParts))
                out.write(QJsonDocument(QJsonObject{{QStringLiteral("text"), story}})
                              .toJson(QJsonDocument::Compact) +
                          '\n');
        }
        auto w = cwbtest::openDemoWindow();
        CalibrationPanel* panel = w->calibrationPanel();
        panel->setTextPath(path);
        QCOMPARE(child<QLineEdit>(panel, "calibrationText")->text(),
                 QStringLiteral("stories.jsonl"));
        cwb::CalibrationOptions o;
        o.sequences = 4;
        o.sequenceLength = 64;
        o.hessians = false;
        calibrate(*w, o);
        QVERIFY2(panel->statusText().contains(QLatin1String("256 tokens: 4 sequences of 64 from "
                                                            "stories.jsonl")),
                 qPrintable(panel->statusText()));

        // A line that is not an object with a text says which line it is.
        const QString bad = dir.filePath(QStringLiteral("bad.jsonl"));
        {
            QFile out(bad);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write("{\"text\": \"Once upon a time\"}\n{\"title\": \"no text\"}\n");
        }
        panel->setTextPath(bad);
        panel->calibrate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kTimeoutMs);
        QTRY_VERIFY(cwbtest::errorBox(w.get()));
        const QString reason = cwbtest::errorBox(w.get())->text();
        QVERIFY2(reason.contains(QLatin1String("bad.jsonl, line 2")), qPrintable(reason));
        QVERIFY2(panel->statusText().startsWith(QLatin1String("Failed")),
                 qPrintable(panel->statusText()));
        // The statistics of before stay.
        QVERIFY(panel->statistics());
    }

    void cancelsACalibrationMidway() {
        auto w = cwbtest::openDemoWindow();
        CalibrationPanel* panel = w->calibrationPanel();
        w->bottomTabs()->setCurrentWidget(panel);
        // Enough sequences to be caught running, and options not calibrated before.
        cwb::CalibrationOptions o;
        o.sequences = 512;
        o.sequenceLength = 256;
        o.hessians = false;
        panel->setOptions(o);
        auto* progress = child<QProgressBar>(panel, "calibrationProgress");
        auto* evaluate = child<QPushButton>(w->evaluationPanel(), "evaluateButton");
        QTest::mouseClick(child<QPushButton>(panel, "calibrateButton"), Qt::LeftButton);
        QVERIFY(panel->isRunning());
        QVERIFY(!evaluate->isEnabled()); // the worker is taken
        QTRY_VERIFY_WITH_TIMEOUT(progress->value() > 0, kTimeoutMs);
        QVERIFY2(panel->statusText().contains(QLatin1String("sequence")),
                 qPrintable(panel->statusText()));
        QTest::mouseClick(child<QPushButton>(panel, "cancelCalibrationButton"), Qt::LeftButton);
        QVERIFY(!panel->isRunning());
        QVERIFY(!panel->statistics());
        QCOMPARE(progress->value(), 0);
        QVERIFY2(panel->statusText().startsWith(QLatin1String("Cancelled")),
                 qPrintable(panel->statusText()));
        QVERIFY(evaluate->isEnabled());
        // Nothing of it arrives later.
        QTRY_VERIFY_WITH_TIMEOUT(!w->jobRunner()->isBusy(), kTimeoutMs);
        QTest::qWait(200);
        QVERIFY(!panel->statistics());
        QVERIFY(!cwbtest::errorBox(w.get()));
    }

    void savesAndLoadsStatistics() {
        auto w = cwbtest::openDemoWindow();
        CalibrationPanel* panel = w->calibrationPanel();
        calibrate(*w, smallOptions());
        const auto calibrated = panel->statistics();
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("demo.stats"));
        QVERIFY(panel->saveStatistics(path));
        QVERIFY(QFile::exists(path));
        QVERIFY2(panel->statusText().contains(QDir::toNativeSeparators(path)),
                 qPrintable(panel->statusText()));

        // Reopening the model forgets them; loading the file brings them back.
        QVERIFY(w->openDemoModel());
        QVERIFY(!panel->statistics());
        panel->loadStatistics(path);
        QTRY_VERIFY_WITH_TIMEOUT(panel->statistics(), kTimeoutMs);
        QCOMPARE(panel->statistics()->serialize(), calibrated->serialize());
        QVERIFY2(panel->statusText().contains(QLatin1String("loaded from")),
                 qPrintable(panel->statusText()));
        QVERIFY(!cwbtest::errorBox(w.get()));

        // Statistics of another model (the GGUF copy: other bytes, another fingerprint).
        auto other = cwb::loadModel(cwbtest::stories260KGguf());
        QVERIFY(other.ok());
        auto text = cwb::readCalibrationText(cwb::resources::demoCalibrationText());
        QVERIFY(text.ok());
        cwb::CalibrationOptions o;
        o.sequences = 2;
        o.sequenceLength = 64;
        o.hessians = false;
        auto stats = cwb::calibrate(**other, *text, o);
        QVERIFY(stats.ok());
        const QString otherPath = dir.filePath(QStringLiteral("gguf.stats"));
        QVERIFY(stats->save(otherPath).ok());
        panel->loadStatistics(otherPath);
        QTRY_VERIFY_WITH_TIMEOUT(cwbtest::errorBox(w.get()), kTimeoutMs);
        QMessageBox* box = cwbtest::errorBox(w.get());
        QTRY_VERIFY(box->isVisible());
        QCOMPARE(box->windowTitle(), QStringLiteral("Cannot Load Statistics"));
        QVERIFY2(!box->text().contains(QLatin1Char('\n')), qPrintable(box->text()));
        QVERIFY2(box->text().contains(QLatin1String("gguf.stats holds the statistics of another "
                                                    "model")),
                 qPrintable(box->text()));
        // What was loaded stays.
        QCOMPARE(panel->statistics()->serialize(), calibrated->serialize());
        box->close();
        QTRY_VERIFY(!cwbtest::errorBox(w.get()));

        // A file that is not statistics says so.
        const QString junk = dir.filePath(QStringLiteral("junk.stats"));
        {
            QFile f(junk);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("not statistics at all");
        }
        panel->loadStatistics(junk);
        QTRY_VERIFY_WITH_TIMEOUT(cwbtest::errorBox(w.get()), kTimeoutMs);
        QVERIFY2(cwbtest::errorBox(w.get())->text().contains(
                     QLatin1String("not a usable statistics file")),
                 qPrintable(cwbtest::errorBox(w.get())->text()));
    }
};

QTEST_MAIN(TestCalibrationPanel)
#include "tst_calibrationpanel.moc"
