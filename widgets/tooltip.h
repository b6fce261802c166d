// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

// A tooltip that wraps: Qt shows plain text on one line however long it is, and rich text in a
// paragraph of sensible width.
inline QString wrappedToolTip(const QString& text) {
    return QStringLiteral("<p>%1</p>").arg(text.toHtmlEscaped());
}
