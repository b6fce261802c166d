// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "progress.h"
#include "result.h"

#include <QJsonObject>
#include <QStringList>

#include <map>

namespace cwb {

struct MetricComparison {
    double reported = 0, now = 0;
    std::optional<double> reportedUncertainty, nowUncertainty;
    bool identical() const { return reported == now && reportedUncertainty == nowUncertainty; }
};

// What `cwb reproduce` found: every check made, and every difference, named.
struct ReproductionOutcome {
    QStringList checks;     // "model files: sha256 3f2a… matches", …
    QStringList mismatches; // a file whose hash changed, a metric that differs
    std::map<QString, MetricComparison> metrics;
    bool identical() const { return mismatches.isEmpty(); }
};

// Recomputes the run a report describes from the files it names. The report's digest must
// match (readReportFile checks it); each file's sha256 is checked before anything is computed,
// and a changed file stops the reproduction there, named. Then the evaluation is run again with
// the report's plan, calibration and settings, and every deterministic metric (not timings) is
// compared bit for bit. Fails only when it cannot run at all (a missing file, a run kind it
// cannot redo).
Result<ReproductionOutcome> reproduceReport(const QJsonObject& report,
                                            const Progress& progress = {});

} // namespace cwb
