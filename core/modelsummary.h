// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

namespace cwb {

// What `cwb info` prints and the window's summary panel shows, in one place.
QList<QPair<QString, QString>> describeModel(const Model& model);
QJsonObject modelToJson(const Model& model);

QString formatBytes(std::uint64_t bytes); // "1.06 MB" (SI, as file managers show sizes)
QString formatCount(std::int64_t n);      // "264,128"
QString formatParameters(std::int64_t n); // "260K", "1.10B"

} // namespace cwb
