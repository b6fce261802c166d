// SPDX-License-Identifier: GPL-3.0-or-later
// compression-workbench: the desktop face of Compression Workbench.
#include "evaluationpanel.h"
#include "jobrunner.h"
#include "mainwindow.h"
#include "screenshot.h"

#include "version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPixmap>

#include <cstdio>

namespace {

constexpr QSize kScreenshotSize(1600, 1000);
constexpr int kScreenshotTimeoutMs = 120'000;

int fail(const QString& reason) {
    std::fprintf(stderr, "compression-workbench: %s\n", qPrintable(reason));
    return 1;
}

// Why a model did not open, as the window told the user.
QString openFailure(const MainWindow& window, const QString& path) {
    if (auto* box = window.findChild<QMessageBox*>(QStringLiteral("errorDialog")))
        return box->text();
    if (window.findChild<QFileDialog*>(QStringLiteral("tokenizerDialog")))
        return QStringLiteral("%1: no tokenizer beside it; give one with --tokenizer")
            .arg(QFileInfo(path).fileName());
    return QStringLiteral("cannot open %1").arg(path);
}

// Opens the window at 1600×1000 on the model, waits until its views are drawn, saves it.
struct ScreenshotRequest {
    QString model, tokenizer, plan, view, file;
    bool evaluate = false; // with an evaluation under way, as the jobs panel shows it
};

int takeScreenshot(MainWindow& window, const ScreenshotRequest& r,
                   const QElapsedTimer& sinceStart) {
    window.resize(kScreenshotSize);
    window.show();
    const bool opened =
        r.model.isEmpty() ? window.openDemoModel() : window.openModel(r.model, r.tokenizer);
    if (!opened)
        return fail(openFailure(window, r.model));
    if (!r.plan.isEmpty() && !window.openPlan(r.plan))
        return fail(openFailure(window, r.plan));
    if (!r.view.isEmpty() && !screenshot::showView(window, r.view))
        return fail(QStringLiteral("unknown view %1; one of %2")
                        .arg(r.view, screenshot::views().join(QStringLiteral(", "))));
    if (!screenshot::waitUntilDrawn(window, kScreenshotTimeoutMs))
        return fail(QStringLiteral("the views were not drawn within %1 s")
                        .arg(kScreenshotTimeoutMs / 1000));
    const qint64 readyMs = sinceStart.elapsed();
    if (r.evaluate) {
        window.evaluationPanel()->evaluate();
        if (!screenshot::waitForProgress(window, kScreenshotTimeoutMs))
            return fail(QStringLiteral("the evaluation showed no progress"));
    }
    const QPixmap shot = window.grab();
    if (shot.isNull() || !shot.save(r.file))
        return fail(QStringLiteral("cannot write %1").arg(r.file));
    std::fprintf(stderr, "compression-workbench: window ready in %lld ms; saved %s (%d×%d)\n",
                 static_cast<long long>(readyMs), qPrintable(r.file), shot.width(), shot.height());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    QElapsedTimer sinceStart;
    sinceStart.start();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("CompressionWorkbench"));
    QApplication::setApplicationName(QStringLiteral("compression-workbench"));
    QApplication::setApplicationDisplayName(QStringLiteral("Compression Workbench"));
    QApplication::setApplicationVersion(QStringLiteral(CWB_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("compression-workbench"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/compression-workbench.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Shrink language models without breaking them. Opens MODEL (a GGUF file or "
                       "a llama2.c checkpoint), or the bundled demo model."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("model file to open"),
                                 QStringLiteral("[MODEL]"));
    const QCommandLineOption tokenizer(
        QStringLiteral("tokenizer"),
        QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)"),
        QStringLiteral("FILE"));
    const QCommandLineOption plan(QStringLiteral("plan"),
                                  QStringLiteral("plan to open once the model is open"),
                                  QStringLiteral("PLAN.json"));
    const QCommandLineOption shot(
        QStringLiteral("screenshot"),
        QStringLiteral("open the window at 1600×1000, wait until the model is loaded and the "
                       "views are drawn, save it as FILE (PNG) and exit"),
        QStringLiteral("FILE"));
    const QCommandLineOption view(
        QStringLiteral("view"),
        QStringLiteral("with --screenshot, the view to bring to the front: %1")
            .arg(screenshot::views().join(QStringLiteral(", "))),
        QStringLiteral("NAME"));
    const QCommandLineOption evaluate(
        QStringLiteral("evaluate"),
        QStringLiteral("with --screenshot, start evaluating the plan and save the window once the "
                       "evaluation shows progress"));
    parser.addOptions({tokenizer, plan, shot, view, evaluate});
    parser.process(app);

    const QStringList models = parser.positionalArguments();
    if (models.size() > 1)
        parser.showHelp(2);

    MainWindow window;
    if (parser.isSet(shot))
        return takeScreenshot(window,
                              {models.value(0), parser.value(tokenizer), parser.value(plan),
                               parser.value(view), parser.value(shot), parser.isSet(evaluate)},
                              sinceStart);
    window.show();
    // A model that fails to open leaves its reason in a dialog over an empty window, rather than
    // silently showing the demo in its place.
    const bool opened = models.isEmpty()
                            ? window.openDemoModel()
                            : window.openModel(models.first(), parser.value(tokenizer));
    if (opened && parser.isSet(plan))
        window.openPlan(parser.value(plan));
    return QApplication::exec();
}
