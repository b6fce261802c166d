// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarkpanel.h"
#include "evaluationpanel.h"
#include "evaluationresultview.h"
#include "jobrunner.h"
#include "mainwindow.h"
#include "modelsummaryview.h"
#include "planpresets.h"
#include "precisionplanmodel.h"
#include "recentfiles.h"
#include "runlibrary.h"
#include "tensorview.h"

#include "guitest.h"
#include "model.h"
#include "resources.h"
#include "testassets.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace {

constexpr int kEvaluationTimeoutMs = 300'000; // sanitizer builds run the model ~10× slower

// Saved for a person to look at, never compared.

int shownTensors(const MainWindow& w) {
    return w.tensorView()->proxyModel()->rowCount();
}

void applyPreset(MainWindow& w, const QString& id) {
    for (const PlanPreset& preset : planPresets())
        if (preset.id == id)
            return w.applyPreset(preset);
    qFatal("no preset %s", qPrintable(id));
}

// Copies a file into `dir`, keeping only its first `bytes` bytes if that is not negative.
QString copyInto(const QTemporaryDir& dir, const QString& from, const QString& name,
                 qint64 bytes = -1) {
    QFile in(from);
    if (!in.open(QIODevice::ReadOnly))
        return {};
    QFile out(dir.filePath(name));
    if (!out.open(QIODevice::WriteOnly))
        return {};
    out.write(bytes < 0 ? in.readAll() : in.read(bytes));
    return out.fileName();
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private:
    // Runs a short evaluation to its end so the tests do not wait on the whole text.
    static cwb::EvalOptions quickOptions() {
        cwb::EvalOptions o;
        o.split = cwb::SplitMode::Chunks;
        o.ctx = 128;
        o.maxTokens = 2000;
        return o;
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // QSettings go to a test location
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
        QSettings().clear();
    }

    void opensTheDemoModel() {
        auto w = cwbtest::openDemoWindow();
        QVERIFY(QTest::qWaitForWindowExposed(w.get()));
        QCOMPARE(w->windowTitle(), QStringLiteral("stories260K.bin — Compression Workbench"));
        QCOMPARE(w->model()->path, cwb::resources::demoModelPath());
        QCOMPARE(shownTensors(*w), 47);
        QCOMPARE(w->summaryView()->value(QStringLiteral("Blocks")), QStringLiteral("5"));
        QCOMPARE(w->summaryView()->value(QStringLiteral("Format")),
                 QStringLiteral("llama2.c checkpoint"));
        const QString status = w->findChild<QLabel*>(QStringLiteral("modelStatus"))->text();
        QVERIFY2(status.contains(QLatin1String("stories260K.bin")), qPrintable(status));
        QVERIFY2(status.contains(QLatin1String("260,032 parameters")), qPrintable(status));
        QVERIFY(w->evaluationPanel()
                    ->findChild<QPushButton*>(QStringLiteral("evaluateButton"))
                    ->isEnabled());
        cwbtest::saveScreenshot(w.get(), QStringLiteral("main-demo.png"));
    }

    void hasTheStandardShortcuts() {
        auto w = cwbtest::openDemoWindow();
        QStringList found;
        for (const QAction* a : w->findChildren<QAction*>())
            if (!a->shortcut().isEmpty())
                found << a->shortcut().toString();
        for (const char* key : {"Ctrl+O", "Ctrl+Q", "Ctrl+E"})
            QVERIFY2(found.contains(QLatin1String(key)), key);
    }

    void opensAGgufFileDroppedOnTheWindow() {
        auto w = cwbtest::openDemoWindow();
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(cwbtest::stories260KGguf())});
        QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton,
                              Qt::NoModifier);
        QCoreApplication::sendEvent(w.get(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(w.get(), &drop);
        QCOMPARE(w->model()->path, cwbtest::stories260KGguf());
        QCOMPARE(shownTensors(*w), 48);
        QCOMPARE(w->summaryView()->value(QStringLiteral("Format")), QStringLiteral("GGUF v3"));
        QCOMPARE(w->windowTitle(), QStringLiteral("stories260K.gguf — Compression Workbench"));
        QCOMPARE(w->recentFiles()->paths().value(0),
                 QFileInfo(cwbtest::stories260KGguf()).absoluteFilePath());
        QVERIFY(!cwbtest::errorBox(w.get()));

        // One model at a time, and only files.
        for (const QList<QUrl>& urls :
             {QList<QUrl>{QUrl::fromLocalFile(cwbtest::stories260KGguf()),
                          QUrl::fromLocalFile(cwbtest::stories260KBin())},
              QList<QUrl>{QUrl::fromLocalFile(cwbtest::asset(QString()))},
              QList<QUrl>{QUrl(QStringLiteral("https://example.org/model.gguf"))}}) {
            mime.setUrls(urls);
            QDragEnterEvent refused(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton,
                                    Qt::NoModifier);
            QCoreApplication::sendEvent(w.get(), &refused);
            QVERIFY(!refused.isAccepted());
        }
    }

    void badFileShowsAReasonAndKeepsTheModel_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<qint64>("bytes"); // of stories260K.bin; -1: write `content` instead
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("truncated checkpoint") << "truncated.bin" << qint64(500'000) << QByteArray();
        QTest::newRow("shorter than a header") << "tiny.bin" << qint64(2) << QByteArray();
        QTest::newRow("empty") << "empty.gguf" << qint64(0) << QByteArray();
        QTest::newRow("text") << "notes.gguf" << qint64(-1)
                              << QByteArray("GGUF then nothing a parser would want\n");
        QTest::newRow("missing") << "" << qint64(-1) << QByteArray();
    }
    void badFileShowsAReasonAndKeepsTheModel() {
        QFETCH(QString, name);
        QFETCH(qint64, bytes);
        QFETCH(QByteArray, content);
        QTemporaryDir dir;
        QString path = dir.filePath(QStringLiteral("no-such-model.bin"));
        if (!name.isEmpty() && bytes >= 0) {
            path = copyInto(dir, cwbtest::stories260KBin(), name, bytes);
            // The tokenizer beside it: the model itself must be what fails.
            copyInto(dir, cwbtest::asset(QStringLiteral("stories260K/tok512.bin")),
                     QStringLiteral("tok512.bin"));
        } else if (!name.isEmpty()) {
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(content);
            path = f.fileName();
        }
        QVERIFY(!path.isEmpty());

        auto w = cwbtest::openDemoWindow();
        const QString title = w->windowTitle();
        QVERIFY(!w->openModel(path));
        QTRY_VERIFY(cwbtest::errorBox(w.get()));
        QMessageBox* box = cwbtest::errorBox(w.get());
        QTRY_VERIFY(box->isVisible());
        const QString reason = box->text();
        QVERIFY(!reason.isEmpty());
        QVERIFY2(!reason.contains(QLatin1Char('\n')), qPrintable(reason));
        QVERIFY2(reason.contains(QFileInfo(path).fileName()), qPrintable(reason));
        qInfo().noquote() << "reason:" << reason;

        QCOMPARE(w->model()->path, cwb::resources::demoModelPath());
        QCOMPARE(shownTensors(*w), 47);
        QCOMPARE(w->windowTitle(), title);
        QVERIFY(!w->recentFiles()->paths().contains(QFileInfo(path).absoluteFilePath()));
        if (name == QLatin1String("truncated.bin"))
            cwbtest::saveScreenshot(box, QStringLiteral("error-dialog.png"));

        box->close(); // deletes itself
        QTRY_VERIFY(!cwbtest::errorBox(w.get()));
    }

    void asksForTheTokenizerWhenNoneIsBeside() {
        QTemporaryDir dir;
        const QString model = copyInto(dir, cwbtest::stories260KBin(), QStringLiteral("alone.bin"));
        const QString tokenizer = cwbtest::asset(QStringLiteral("stories260K/tok512.bin"));
        auto w = cwbtest::openDemoWindow();
        QVERIFY(!w->openModel(model));
        QVERIFY(!cwbtest::errorBox(w.get()));
        QFileDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = w->findChild<QFileDialog*>(QStringLiteral("tokenizerDialog"))));
        QCOMPARE(w->model()->path, cwb::resources::demoModelPath()); // until one is chosen

        dialog->selectFile(tokenizer);
        static_cast<QDialog*>(dialog)->accept(); // QFileDialog::accept() is protected
        QTRY_COMPARE(w->model()->path, model);
        QCOMPARE(QFileInfo(w->model()->tokenizerPath).canonicalFilePath(),
                 QFileInfo(tokenizer).canonicalFilePath());
        QCOMPARE(shownTensors(*w), 47);
        // Reopening from the recent list brings the chosen tokenizer back.
        QCOMPARE(QFileInfo(w->recentFiles()->tokenizerFor(QFileInfo(model).absoluteFilePath()))
                     .canonicalFilePath(),
                 QFileInfo(tokenizer).canonicalFilePath());
    }

    void recentFilesKeepTenAndClear() {
        QSettings().clear();
        QMenu menu;
        RecentFiles recent(&menu);
        QTemporaryDir dir;
        for (int i = 0; i < 12; ++i)
            recent.add(dir.filePath(QStringLiteral("model%1.gguf").arg(i)));
        recent.add(cwb::resources::demoModelPath()); // bundled: not a recent file
        QCOMPARE(recent.paths().size(), RecentFiles::MaxEntries);
        QCOMPARE(QFileInfo(recent.paths().first()).fileName(), QStringLiteral("model11.gguf"));
        QCOMPARE(menu.actions().size(), RecentFiles::MaxEntries + 2); // separator, Clear List

        QSignalSpy requested(&recent, &RecentFiles::openRequested);
        menu.actions().first()->trigger();
        QCOMPARE(requested.size(), 1);
        QCOMPARE(requested.first().first().toString(), recent.paths().first());

        RecentFiles again(new QMenu(&menu)); // another window reads the same settings
        QCOMPARE(again.paths(), recent.paths());
        recent.clear();
        QVERIFY(recent.paths().isEmpty());
        QCOMPARE(menu.actions().size(), 1);
        QVERIFY(!menu.actions().first()->isEnabled());
    }

    void evaluationRunsToTheEnd() {
        auto w = cwbtest::openDemoWindow();
        EvaluationPanel* panel = w->evaluationPanel();
        QCOMPARE(panel->textPath(), cwb::resources::demoEvaluationText());
        panel->setOptions(quickOptions());
        QSignalSpy running(panel, &EvaluationPanel::runningChanged);
        QTest::mouseClick(panel->findChild<QPushButton*>(QStringLiteral("evaluateButton")),
                          Qt::LeftButton);
        QVERIFY(panel->isRunning());
        QCOMPARE(panel->resultView()->statusText().left(7), QStringLiteral("Running"));
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);

        const EvaluationResultView* result = panel->resultView();
        QVERIFY2(result->statusText().startsWith(QLatin1String("Finished")),
                 qPrintable(result->statusText()));
        QVERIFY(!cwbtest::errorBox(w.get()));
        const QString shown = result->perplexityText();
        bool ok = false;
        const double ppl = shown.section(QStringLiteral(" ± "), 0, 0).toDouble(&ok);
        QVERIFY2(ok && std::isfinite(ppl) && ppl > 1.0, qPrintable(shown));
        const double stderr_ = shown.section(QStringLiteral(" ± "), 1, 1).toDouble(&ok);
        QVERIFY2(ok && stderr_ > 0 && stderr_ < ppl, qPrintable(shown));
        QVERIFY2(result->tokensText().startsWith(QLatin1String("2,000 scored")),
                 qPrintable(result->tokensText()));
        QVERIFY2(result->speedText().contains(QLatin1String("tokens/s")),
                 qPrintable(result->speedText()));
        QCOMPARE(panel->findChild<QProgressBar*>()->value(),
                 panel->findChild<QProgressBar*>()->maximum());
        cwbtest::saveScreenshot(w.get(), QStringLiteral("evaluation-finished.png"));
    }

    void evaluationShowsTheWarningsOfItsResult() {
        auto w = cwbtest::openDemoWindow();
        // llama.cpp's Q4_0 file states a training context of 128 tokens.
        QVERIFY(w->openModel(
            cwbtest::asset(QStringLiteral("stories260K-llamacpp/stories260K.Q4_0.gguf"))));
        EvaluationPanel* panel = w->evaluationPanel();
        cwb::EvalOptions o = quickOptions();
        o.split = cwb::SplitMode::Documents;
        o.ctx = 256;
        o.maxTokens = 500;
        panel->setOptions(o);
        panel->evaluate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QVERIFY2(panel->resultView()->statusText().startsWith(QLatin1String("Finished")),
                 qPrintable(panel->resultView()->statusText()));
        QVERIFY2(panel->resultView()->warningsText().contains(QLatin1String("longer than")),
                 qPrintable(panel->resultView()->warningsText()));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("evaluation-warning.png"));
    }

    void evaluationFailureShowsAReason() {
        auto w = cwbtest::openDemoWindow();
        EvaluationPanel* panel = w->evaluationPanel();
        QTemporaryDir dir;
        QFile text(dir.filePath(QStringLiteral("short.txt")));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("Once upon a time.");
        text.close();
        panel->setTextPath(text.fileName());
        panel->setOptions(cwb::EvalOptions{}); // chunks of 512: far more than the text holds
        panel->evaluate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QTRY_VERIFY(cwbtest::errorBox(w.get()));
        QVERIFY(!cwbtest::errorBox(w.get())->text().contains(QLatin1Char('\n')));
        QVERIFY2(panel->resultView()->statusText().startsWith(QLatin1String("Failed")),
                 qPrintable(panel->resultView()->statusText()));
    }

    void evaluationCancelsMidway() {
        auto w = cwbtest::openDemoWindow();
        cwbtest::evaluateThenCancel(*w, QStringLiteral("evaluation-running.png"),
                                    kEvaluationTimeoutMs);
        if (QTest::currentTestFailed())
            return;
        EvaluationPanel* panel = w->evaluationPanel();
        QCOMPARE(panel->resultView()->perplexityText(), QStringLiteral("–"));
        QVERIFY(!cwbtest::errorBox(w.get()));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("evaluation-cancelled.png"));
    }

    void openingAnotherModelCancelsTheEvaluation() {
        auto w = cwbtest::openDemoWindow();
        EvaluationPanel* panel = w->evaluationPanel();
        panel->setOptions(cwb::EvalOptions{});
        panel->evaluate();
        QVERIFY(panel->isRunning());
        QVERIFY(w->openModel(cwbtest::stories260KGguf()));
        QVERIFY(!panel->isRunning());
        QCOMPARE(panel->resultView()->statusText(), QStringLiteral("Cancelled"));
    }

    void closingWhileEvaluatingIsClean() {
        auto w = cwbtest::openDemoWindow();
        EvaluationPanel* panel = w->evaluationPanel();
        panel->setOptions(cwb::EvalOptions{});
        auto* progress = panel->findChild<QProgressBar*>();
        panel->evaluate();
        QTRY_VERIFY_WITH_TIMEOUT(progress->value() > 0, kEvaluationTimeoutMs);
        // The window asks first (tst_workbench checks the question); close anyway.
        QTimer::singleShot(0, w.get(), [&w] {
            if (auto* box = w->findChild<QMessageBox*>(QStringLiteral("closeWhileRunningDialog")))
                for (QAbstractButton* b : box->buttons())
                    if (box->buttonRole(b) == QMessageBox::AcceptRole)
                        b->click();
        });
        QVERIFY(w->close());
        w.reset(); // waits for the worker, which stops at its next check
    }

    // Evaluation ▸ Benchmark: the plan's packed weights timed on the worker, recorded as `cwb
    // bench` records it, the figures shown in the Benchmark tab.
    void benchmarksThePlanAndRecordsTheRun() {
        auto w = cwbtest::openDemoWindow();
        applyPreset(*w, QStringLiteral("all-int8"));
        BenchmarkPanel* panel = w->benchmarkPanel();
        cwb::BenchOptions o;
        o.promptTokens = 32;
        o.generatedTokens = 16;
        o.measureBandwidth = false;
        panel->setOptions(o);
        cwbtest::findAction(w.get(), QStringLiteral("benchmarkAction"))->trigger();
        QCOMPARE(w->bottomTabs()->currentWidget(), panel);
        QVERIFY(panel->isRunning());
        QCOMPARE(w->jobRunner()->jobs().value(0).name, QStringLiteral("Benchmark"));
        QVERIFY(!cwbtest::findAction(w.get(), QStringLiteral("evaluateAction"))->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QVERIFY(!cwbtest::errorBox(w.get()));
        QVERIFY(cwbtest::findAction(w.get(), QStringLiteral("evaluateAction"))->isEnabled());

        QVERIFY(panel->result());
        QCOMPARE(panel->result()->promptTokens, 32);
        QVERIFY(panel->result()->prefillTokensPerSecond > 0);
        QVERIFY(panel->result()->decodeTokensPerSecond > 0);
        QVERIFY(panel->runId() > 0);
        QVERIFY2(panel->statusText().contains(QString::number(panel->runId())),
                 qPrintable(panel->statusText()));
        const QString decode = panel->findChild<QLabel*>(QStringLiteral("benchmarkDecode"))->text();
        QVERIFY2(decode.contains(QLatin1String("tokens/s")), qPrintable(decode));

        auto run = w->runLibrary()->run(panel->runId());
        QVERIFY(run);
        QCOMPARE(run->kind, QStringLiteral("benchmark"));
        QCOMPARE(run->status, cwb::RunStatus::Finished);
        QCOMPARE(run->name, w->planModel()->name());
        QVERIFY2(run->command.startsWith(QLatin1String("cwb bench ")), qPrintable(run->command));
        QCOMPARE(run->settings.value(QStringLiteral("prompt_tokens")).toInt(), 32);
        QCOMPARE(run->settings.value(QStringLiteral("gen_tokens")).toInt(), 16);
        for (const char* metric : {"prefill_tok_s", "decode_tok_s", "size_bytes", "bpw"})
            QVERIFY2(run->metrics.count(QLatin1String(metric)), metric);
        // Not measured: not recorded as zero.
        QVERIFY(!run->metrics.count(QStringLiteral("bandwidth_gb_s")));
        QCOMPARE(run->tensors.size(), w->model()->tensors.size());
        cwbtest::saveScreenshot(w.get(), QStringLiteral("benchmark-result.png"));
    }

    // The bandwidth probe reads 1 GiB for seconds: Cancel stops it, and the run is recorded as
    // cancelled, not as a benchmark that finished after the user cancelled it.
    void benchmarkCancelsDuringTheBandwidthProbe() {
        auto w = cwbtest::openDemoWindow();
        BenchmarkPanel* panel = w->benchmarkPanel();
        cwb::BenchOptions o;
        o.promptTokens = 8;
        o.generatedTokens = 4;
        o.measureBandwidth = true;
        panel->setOptions(o);
        panel->benchmark();
        QVERIFY(panel->isRunning());
        // Packing and timing the demo model take milliseconds; the probe, most of a second or
        // more. Cancelled in it or just before it, the run must end cancelled, never finished.
        auto* bar = panel->findChild<QProgressBar*>(QStringLiteral("benchmarkProgress"));
        QTRY_VERIFY_WITH_TIMEOUT(bar->value() >= 200 || !panel->isRunning(), kEvaluationTimeoutMs);
        QTest::qWait(150);
        if (!panel->isRunning())
            QSKIP("the probe ended before it could be cancelled");
        QTest::mouseClick(panel->findChild<QPushButton*>(QStringLiteral("cancelBenchmarkButton")),
                          Qt::LeftButton);
        QVERIFY(!panel->isRunning());
        QCOMPARE(panel->statusText(), QStringLiteral("Cancelled"));
        // Once a job queued behind it is delivered, the cancelled one has recorded its end.
        QSignalSpy finished(w->jobRunner(), &JobRunner::finished);
        w->jobRunner()->enqueue(
            w.get(), [](const cwb::Progress&) { return JobRunner::Delivery([] {}); },
            QStringLiteral("Barrier"));
        QVERIFY(finished.wait(kEvaluationTimeoutMs));
        auto runs = w->runLibrary()->runs();
        QVERIFY(runs);
        const auto last =
            std::max_element(runs->begin(), runs->end(), [](const auto& a, const auto& b) {
                return (a.kind == QLatin1String("benchmark") ? a.id : 0) <
                       (b.kind == QLatin1String("benchmark") ? b.id : 0);
            });
        QVERIFY(last != runs->end() && last->kind == QLatin1String("benchmark"));
        QCOMPARE(last->status, cwb::RunStatus::Cancelled);
        QVERIFY(!panel->result());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
