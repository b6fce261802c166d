// SPDX-License-Identifier: GPL-3.0-or-later
// Saved calibration statistics (`cwb calibrate --out`), read back by --stats.
#include "fuzzsupport.h"

#include "activationstats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    (void)cwb::CalibrationStats::deserialize(
        QByteArray(reinterpret_cast<const char*>(data), qsizetype(size)));
    return 0;
}
