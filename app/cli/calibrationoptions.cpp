// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationoptions.h"

namespace cwb::cli {

std::vector<Option> calibrationOptionTable() {
    const CalibrationOptions d;
    return {
        {QStringLiteral("sequences"), QStringLiteral("N"),
         QStringLiteral("calibration sequences (default: %1)").arg(d.sequences)},
        {QStringLiteral("length"), QStringLiteral("N"),
         QStringLiteral("tokens per calibration sequence (default: %1)").arg(d.sequenceLength)},
        {QStringLiteral("no-hessians"),
         {},
         QStringLiteral("skip GPTQ's Hessians (they grow with width squared)")},
    };
}

CalibrationOptions calibrationOptions(const Arguments& a) {
    CalibrationOptions o;
    o.sequences = int(integerOption(a, QStringLiteral("sequences"), o.sequences, 1, 1 << 20));
    o.sequenceLength =
        int(integerOption(a, QStringLiteral("length"), o.sequenceLength, 2, 1 << 20));
    o.hessians = !a.flag(QStringLiteral("no-hessians"));
    o.threads = int(integerOption(a, QStringLiteral("threads"), 0, 1, 1024));
    return o;
}

} // namespace cwb::cli
