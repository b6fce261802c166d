// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "evaluationpanel.h"
#include "evaluationresultview.h"
#include "jobrunner.h"
#include "mainwindow.h"

#include <QAction>
#include <QDir>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include <memory>

// What the window tests share: the demo model opened in a shown window, its actions and dialogs
// found by object name, and screenshots saved beside the test binary for a person to look at.
namespace cwbtest {

// The window on the bundled demo model, shown and exposed (laid out and painted), so that
// what a test grabs is what a user would see.
inline std::unique_ptr<MainWindow> openDemoWindow() {
    auto w = std::make_unique<MainWindow>();
    w->show();
    if (!w->openDemoModel())
        qFatal("the demo model did not open");
    if (!QTest::qWaitForWindowExposed(w.get()))
        qFatal("the window was not shown");
    return w;
}

inline QAction* findAction(QWidget* window, const QString& name) {
    auto* a = window->findChild<QAction*>(name);
    if (!a)
        qFatal("no action %s", qPrintable(name));
    return a;
}

inline QMessageBox* errorBox(QWidget* window) {
    return window->findChild<QMessageBox*>(QStringLiteral("errorDialog"));
}

// Saves build/tests/screenshots/NAME after posted layout requests and queued replots have run,
// as they would before the next paint of a live window.
inline void saveScreenshot(QWidget* widget, const QString& name) {
    QTest::qWait(50);
    const QDir dir(QDir::currentPath() + QStringLiteral("/screenshots"));
    dir.mkpath(QStringLiteral("."));
    QVERIFY(widget->grab().save(dir.filePath(name)));
}

// Starts an evaluation of the whole text, saves SCREENSHOT while it runs, presses Cancel, and
// checks that the cancelled job never delivers a result afterwards.
inline void evaluateThenCancel(MainWindow& w, const QString& screenshot, int timeoutMs) {
    EvaluationPanel* panel = w.evaluationPanel();
    panel->setOptions(cwb::EvalOptions{}); // the whole text: seconds, not milliseconds
    auto* progress = panel->findChild<QProgressBar*>();
    panel->evaluate();
    QTRY_VERIFY_WITH_TIMEOUT(progress->value() > 0, timeoutMs);
    QVERIFY(panel->isRunning());
    saveScreenshot(&w, screenshot);

    QTest::mouseClick(panel->findChild<QPushButton*>(QStringLiteral("cancelButton")),
                      Qt::LeftButton);
    QVERIFY(!panel->isRunning());
    QCOMPARE(panel->resultView()->statusText(), QStringLiteral("Cancelled"));
    // The worker is serial: once a later job is delivered, the cancelled one has returned and
    // had its chance to (wrongly) deliver.
    QSignalSpy finished(w.jobRunner(), &JobRunner::finished);
    w.jobRunner()->start(&w, [](const cwb::Progress&) { return JobRunner::Delivery([] {}); });
    QVERIFY(finished.wait(timeoutMs));
    QCOMPARE(panel->resultView()->statusText(), QStringLiteral("Cancelled"));
    QVERIFY(!errorBox(&w));
}

} // namespace cwbtest
