// SPDX-License-Identifier: GPL-3.0-or-later
#include "screenshot.h"

#include "calibrationpanel.h"
#include "evaluationpanel.h"
#include "jobrunner.h"
#include "layermap.h"
#include "mainwindow.h"
#include "tradeoffexplorer.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDockWidget>
#include <QEventLoop>
#include <QTabWidget>
#include <QThread>
#include <QTimer>

#include <functional>

namespace screenshot {

QStringList views() {
    return {QStringLiteral("tradeoff"),       QStringLiteral("layermap"),
            QStringLiteral("layermap-error"), QStringLiteral("jobs"),
            QStringLiteral("detail"),         QStringLiteral("architecture"),
            QStringLiteral("evaluation"),     QStringLiteral("calibration")};
}

namespace {

void raise(MainWindow& window, QDockWidget* dock, int width) {
    dock->show();
    dock->raise();
    // A plot wants more room than the dock area's default width.
    if (!dock->isFloating() && width > 0)
        window.resizeDocks({dock}, {width}, Qt::Horizontal);
}

} // namespace

bool showView(MainWindow& window, const QString& view) {
    if (view == QLatin1String("tradeoff"))
        raise(window, window.tradeoffDock(), window.width() / 2);
    else if (view == QLatin1String("layermap") || view == QLatin1String("layermap-error")) {
        raise(window, window.layerMapDock(), 0);
        window.layerMap()->setMode(view == QLatin1String("layermap")
                                       ? LayerMapModel::Mode::Precision
                                       : LayerMapModel::Mode::QuantError);
    } else if (view == QLatin1String("jobs"))
        raise(window, window.jobsDock(), 0);
    else if (view == QLatin1String("detail"))
        raise(window, window.tensorDetailDock(), 0);
    else if (view == QLatin1String("architecture"))
        raise(window, window.architectureDock(), 0);
    else if (view == QLatin1String("evaluation"))
        window.bottomTabs()->setCurrentWidget(window.evaluationPanel());
    else if (view == QLatin1String("calibration"))
        window.bottomTabs()->setCurrentWidget(window.calibrationPanel());
    else
        return false;
    return true;
}

namespace {

bool runUntil(const std::function<bool()>& done, int timeoutMs) {
    const QDeadlineTimer deadline(timeoutMs);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
    // Layout requests, queued replots and the paint they lead to run in the next few rounds.
    QEventLoop loop;
    QTimer::singleShot(150, &loop, &QEventLoop::quit);
    loop.exec();
    return true;
}

} // namespace

bool waitUntilDrawn(MainWindow& window, int timeoutMs) {
    return runUntil(
        [&window] {
            return !window.tradeoffExplorer()->isLoading() && !window.layerMap()->isComputing();
        },
        timeoutMs);
}

bool waitForProgress(MainWindow& window, int timeoutMs) {
    return runUntil(
        [&window] {
            const QList<JobRunner::JobInfo> jobs = window.jobRunner()->jobs();
            return !jobs.isEmpty() && jobs.first().fraction > 0.05;
        },
        timeoutMs);
}

} // namespace screenshot
