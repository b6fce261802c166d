// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <span>

namespace cwb {

// What a recorded metric is, for people: its label, unit and one sentence. One table, read by the
// report, the CLI and the window's tooltips, so a metric is explained the same way everywhere.
struct MetricInfo {
    const char* name;  // as runs record it: "kld_mean"
    const char* label; // "Mean KLD"
    const char* unit;  // "", "bytes", "tok/s", "%"
    bool lowerIsBetter;
    bool deterministic; // the same inputs give the same value on every run (timings do not)
    const char* description;
};

std::span<const MetricInfo> metricTable();
const MetricInfo* metricInfo(const QString& name);

} // namespace cwb
