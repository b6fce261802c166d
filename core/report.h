// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "costmodel.h"
#include "result.h"
#include "store/runstore.h"

#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <optional>

namespace cwb {

struct SignOff {
    QString reviewer, role, date, decision; // empty: a blank line for the reviewer to fill in
};

struct ReportOptions {
    std::optional<std::int64_t> baselineRunId; // else the run's own FP32 baseline figures
    std::optional<double> maxKld;              // thresholds the user set: exceeding one warns
    std::optional<double> maxPplIncreasePercent;
    Workload workload; // for the cost saving
    SignOff signOff;
};

// The report of a finished run, as data: summary, model identity, method, data, results,
// warnings, environment, reproduction and sign-off, in that order, with a sha256 digest of its own
// content. The JSON export is this object; the HTML and PDF exports render it.
Result<QJsonObject> buildReport(RunStore& store, std::int64_t runId, const ReportOptions& options);

// The sha256 (hex) of the report's compact JSON with its "digest" member removed.
QString reportDigest(const QJsonObject& report);
// Fails, naming both values, if the report's digest does not match its content.
Result<void> checkReportDigest(const QJsonObject& report);

// Reads a report JSON file: size-limited, an object, of our format and version, digest checked.
Result<QJsonObject> readReportFile(const QString& path);

} // namespace cwb
