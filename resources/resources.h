// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace cwb::resources {

// Paths of the bundled demo files inside the binary (Qt resource paths, readable with QFile and
// memory-mappable like files on disk).
QString demoModelPath();       // stories260K.bin, with tok512.bin beside it
QString demoEvaluationText();  // the first 200 TinyStories validation stories
QString demoCalibrationText(); // 512 KiB of TinyStories training text

} // namespace cwb::resources
