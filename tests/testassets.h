// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

// Where the tests find their data: the shared reference assets and this source tree.
namespace cwbtest {

inline QString asset(const QString& relative) {
    return QStringLiteral(CWB_ASSETS_DIR "/") + relative;
}
inline QString source(const QString& relative) {
    return QStringLiteral(CWB_SOURCE_DIR "/") + relative;
}
inline QString cliPath() {
    return QStringLiteral(CWB_CLI_PATH);
}

inline QString stories260KBin() {
    return asset(QStringLiteral("stories260K/stories260K.bin"));
}
inline QString stories260KGguf() {
    return asset(QStringLiteral("stories260K-gguf/stories260K.gguf"));
}
inline QString validationText() {
    return asset(QStringLiteral("tinystories-valid-first1000/tinystories_valid_first1000.txt"));
}

} // namespace cwbtest
