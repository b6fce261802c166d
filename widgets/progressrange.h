// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "progress.h"

#include <QString>

// A stage of a job that does several things in a row: its 0…1 is the [from, to] part of the
// caller's progress bar, its stages prefixed with `stage` ("calibration: sequence 3 of 128").
// Cancelling the caller cancels it.
inline cwb::Progress progressRange(const cwb::Progress& outer, double from, double to,
                                   const QString& stage = {}) {
    cwb::Progress p;
    p.cancel = outer.cancel;
    if (outer.report)
        p.report = [=](double fraction, const QString& inner) {
            outer(from + (to - from) * fraction,
                  stage.isEmpty() ? inner : stage + QStringLiteral(": ") + inner);
        };
    return p;
}
