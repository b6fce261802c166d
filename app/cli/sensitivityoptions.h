// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "commandline.h"

#include "activationstats.h"
#include "model.h"
#include "sensitivity.h"

#include <QJsonObject>

#include <memory>
#include <optional>

namespace cwb::cli {

// The options `sensitivity` and `search` share: the evaluation text and how it is cut, the
// candidate precisions, the method and its calibration.
std::vector<Option> sensitivityOptionTable();

// What both commands load before measuring.
struct SensitivityInputs {
    std::shared_ptr<const Model> model;
    QString textPath;
    QByteArray text;
    std::optional<CalibrationStats> stats;
    SensitivityOptions options; // options.stats points into `stats`: keep this object in place
};

// Parses the shared options (a bad value throws UsageError) and loads the model, the text and
// the statistics (a failure is an Error).
Result<std::unique_ptr<SensitivityInputs>> loadSensitivityInputs(const Arguments& a,
                                                                 const Progress& progress);

} // namespace cwb::cli
