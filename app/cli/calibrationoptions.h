// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "commandline.h"

#include "calibration.h"

namespace cwb::cli {

// The options `calibrate` and `eval --calib` share.
std::vector<Option> calibrationOptionTable();
CalibrationOptions calibrationOptions(const Arguments& a);

} // namespace cwb::cli
