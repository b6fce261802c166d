// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonObject>
#include <QString>

namespace cwb {

// The report's two plots as standalone SVG documents, drawn from its data alone: the trade-off
// of size against mean KLD over the model's evaluated runs, and the layer map of precisions.
// Empty when the report has nothing to draw.
QString tradeoffSvg(const QJsonObject& report);
QString layerMapSvg(const QJsonObject& report);

// How the HTML refers to the plots: embedded as data: URIs (one self-contained file), or by the
// names "tradeoff.png" and "layermap.png", which a renderer supplies (the PDF writer does).
enum class ReportImages { Embedded, Named };

// The report as one HTML document with no external references: every section in order, the
// per-tensor table, the plots, the warnings and a sign-off block to fill in.
QString reportHtml(const QJsonObject& report, ReportImages images = ReportImages::Embedded);

} // namespace cwb
