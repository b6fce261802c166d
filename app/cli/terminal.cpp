// SPDX-License-Identifier: GPL-3.0-or-later
#include "terminal.h"

#include <QElapsedTimer>

#include <csignal>
#include <cstdio>
#include <memory>
#include <unistd.h>

namespace cwb::cli {
namespace {

std::atomic<bool> g_interrupted{false};
bool g_lineOpen = false;

void onInterrupt(int) {
    g_interrupted.store(true);
}

} // namespace

void installInterruptHandler() {
    struct sigaction action = {};
    action.sa_handler = onInterrupt;
    action.sa_flags = SA_RESETHAND; // the second Ctrl-C takes the default action
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>* interruptFlag() {
    return &g_interrupted;
}

Progress terminalProgress(const QString& label) {
    const bool tty = isatty(fileno(stderr));
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    auto lastTenth = std::make_shared<int>(-1);
    auto lastDraw = std::make_shared<qint64>(-1000);
    Progress p;
    p.cancel = &g_interrupted;
    p.report = [=](double fraction, const QString& stage) {
        const int percent = int(fraction * 100.0);
        const QString line = QStringLiteral("%1: %2% %3 (%4 s)")
                                 .arg(label)
                                 .arg(percent, 3)
                                 .arg(stage)
                                 .arg(double(timer->elapsed()) / 1000.0, 0, 'f', 1);
        if (tty) {
            if (timer->elapsed() - *lastDraw < 100 && fraction < 1.0)
                return;
            *lastDraw = timer->elapsed();
            std::fprintf(stderr, "\r\033[K%s", qPrintable(line));
            g_lineOpen = true;
        } else {
            const int tenth = int(fraction * 10.0);
            if (tenth == *lastTenth)
                return;
            *lastTenth = tenth;
            std::fprintf(stderr, "%s\n", qPrintable(line));
        }
        std::fflush(stderr);
    };
    return p;
}

void finishProgressLine() {
    if (g_lineOpen) {
        std::fputc('\n', stderr);
        g_lineOpen = false;
    }
}

void printError(const QString& message) {
    finishProgressLine();
    std::fprintf(stderr, "cwb: %s\n", qPrintable(message));
}

void printWarning(const QString& message) {
    finishProgressLine();
    std::fprintf(stderr, "cwb: warning: %s\n", qPrintable(message));
}

void printOut(const QString& text) {
    std::fputs(text.toUtf8().constData(), stdout);
    std::fflush(stdout);
}

} // namespace cwb::cli
