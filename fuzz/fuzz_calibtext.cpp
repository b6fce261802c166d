// SPDX-License-Identifier: GPL-3.0-or-later
// Calibration texts: JSON Lines with a "text" field, and plain text.
#include "fuzzsupport.h"

#include "calibration.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    (void)cwb::parseCalibrationText(QStringLiteral("input.jsonl"), bytes, true);
    (void)cwb::parseCalibrationText(QStringLiteral("input.txt"), bytes, false);
    return 0;
}
