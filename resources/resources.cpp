// SPDX-License-Identifier: GPL-3.0-or-later
#include "resources.h"

namespace cwb::resources {

QString demoModelPath() {
    return QStringLiteral(":/demo/models/stories260K/stories260K.bin");
}
QString demoEvaluationText() {
    return QStringLiteral(":/demo/texts/tinystories-valid-200.txt");
}
QString demoCalibrationText() {
    return QStringLiteral(":/demo/texts/tinystories-train-512k.txt");
}

} // namespace cwb::resources
