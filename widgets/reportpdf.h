// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QJsonObject>
#include <QString>

// Writes a report (core's buildReport()) to `path` in the format its suffix names: .pdf (A4,
// rendered from the report's HTML with its plots), .html (one self-contained file) or .json
// (the report itself). Written to a temporary file and renamed: a failure leaves nothing behind.
// PDF needs a QGuiApplication.
cwb::Result<void> writeReport(const QJsonObject& report, const QString& path);

// Whether `path`'s suffix names a format writeReport() writes.
bool isReportFormat(const QString& path);
