// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "progress.h"

#include <QString>

namespace cwb::cli {

// Ctrl-C sets a flag that long core calls poll, so they stop cleanly; a second Ctrl-C kills.
void installInterruptHandler();
const std::atomic<bool>* interruptFlag();

// A progress line on stderr: redrawn in place on a terminal, a line per tenth otherwise.
Progress terminalProgress(const QString& label);
void finishProgressLine();

void printError(const QString& message);
void printWarning(const QString& message);
void printOut(const QString& text);

} // namespace cwb::cli
