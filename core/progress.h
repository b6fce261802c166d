// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <atomic>
#include <functional>

namespace cwb {

// What a long core call receives from its caller: where to report progress and how to learn
// that it should stop. Both are optional; the GUI passes a queued signal and an atomic flag
// that Cancel sets, the CLI a terminal line and a flag that SIGINT sets.
struct Progress {
    std::function<void(double fraction, const QString& stage)> report;
    const std::atomic<bool>* cancel = nullptr;

    bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
    void operator()(double fraction, const QString& stage) const {
        if (report)
            report(fraction, stage);
    }
    // A sub-range [from, to) of this progress bar, its stages named after `pass` if given.
    Progress slice(double from, double to, const QString& pass = {}) const {
        Progress p;
        p.cancel = cancel;
        if (report)
            p.report = [outer = *this, from, to, pass](double f, const QString& stage) {
                outer(from + (to - from) * f,
                      pass.isEmpty() ? stage : pass + QStringLiteral(": ") + stage);
            };
        return p;
    }
};

} // namespace cwb
