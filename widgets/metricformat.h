// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/runstore.h"

#include <QString>

#include <optional>

// Recorded metrics as the run views show them, by their name in the store: sizes in bytes as
// "1.06 MB", fractions such as top-1 agreement as percentages, perplexities to four decimals,
// with the uncertainty when there is one. One place, so the list, the diff and the cost panel
// agree.
QString metricLabel(const QString& name);
// The label and the metric's one-sentence description, for a tooltip.
QString metricDescription(const QString& name);
QString formatMetric(const QString& name, double value);
QString formatMetric(const QString& name, const cwb::MetricValue& value);
// A difference b − a: signed, in the metric's unit.
QString formatMetricDelta(const QString& name, double delta, std::optional<double> uncertainty);
// Dollars: cents for large sums, significant digits for tiny ones ("$0.000412").
QString formatDollars(double dollars);
