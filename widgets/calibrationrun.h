// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "calibration.h"
#include "model.h"
#include "progress.h"
#include "result.h"

#include <QFuture>
#include <QString>

#include <functional>
#include <memory>

// A calibration to run on the worker: everything it reads, by value.
struct CalibrationRequest {
    std::shared_ptr<const cwb::Model> model;
    QFuture<QString> fingerprint; // the model's, computed once per model; invalid: compute it
    QString textPath;
    cwb::CalibrationOptions options;
    QString cacheDir; // empty: cwb::cacheDirectory()
};

// Statistics, and where they came from and went.
struct CalibrationRun {
    std::shared_ptr<const cwb::CalibrationStats> stats;
    QString path; // the file they are saved in (empty if they could not be saved)
    bool fromCache = false;
    double seconds = 0;
    QString warning; // why they could not be saved
};

// Statistics for the request: from the cache when the same model, text and options were
// calibrated before, else calibrated now and saved to the cache for next time. Runs on the
// worker thread. `textRead`, if given, is called with the text once it is read (a job records its
// run from there).
cwb::Result<CalibrationRun>
runCalibration(const CalibrationRequest& request, const cwb::Progress& progress,
               const std::function<void(const cwb::CalibrationText&)>& textRead = {});
