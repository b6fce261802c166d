// SPDX-License-Identifier: GPL-3.0-or-later
#include "metricformat.h"

#include "metricinfo.h"
#include "modelsummary.h"

#include <QCoreApplication>
#include <QLocale>

#include <algorithm>
#include <cmath>

namespace {

enum class Style { Bytes, Percent, Fraction, Rate, Seconds, Count, Plain };

Style styleOf(const QString& name) {
    if (name.endsWith(QLatin1String("_bytes")))
        return Style::Bytes;
    if (name == QLatin1String("top1_agreement"))
        return Style::Fraction;
    if (name.endsWith(QLatin1String("_percent")))
        return Style::Percent;
    if (name.endsWith(QLatin1String("tok_s")) || name == QLatin1String("tok_per_s"))
        return Style::Rate;
    if (name == QLatin1String("seconds"))
        return Style::Seconds;
    if (name.startsWith(QLatin1String("tokens_")) || name == QLatin1String("calib_tokens") ||
        name == QLatin1String("sites"))
        return Style::Count;
    return Style::Plain;
}

// A plain number with enough digits to tell runs apart: four decimals for perplexities and
// ratios, four significant digits for divergences.
QString plain(double v) {
    if (v != 0 && std::abs(v) < 0.1)
        return QString::number(v, 'g', 4);
    return QString::number(v, 'f', 4);
}

QString number(Style style, double v, bool sign) {
    const QString plus = sign && v > 0 ? QStringLiteral("+") : QString();
    switch (style) {
    case Style::Bytes:
        return (sign && v < 0 ? QStringLiteral("−") : plus) +
               cwb::formatBytes(std::uint64_t(std::llround(std::abs(v))));
    case Style::Fraction:
        return plus + QStringLiteral("%1%").arg(100 * v, 0, 'f', 2);
    case Style::Percent:
        return plus + QStringLiteral("%1%").arg(v, 0, 'f', 2);
    case Style::Rate:
        return plus + QLocale().toString(v, 'f', v < 100 ? 1 : 0);
    case Style::Seconds:
        return plus + QStringLiteral("%1 s").arg(v, 0, 'f', 2);
    case Style::Count:
        return plus + cwb::formatCount(std::int64_t(std::llround(v)));
    case Style::Plain:
        break;
    }
    return plus + plain(v);
}

QString uncertaintyText(Style style, double u) {
    switch (style) {
    case Style::Fraction:
        return QStringLiteral("%1%").arg(100 * u, 0, 'f', 2);
    case Style::Percent:
        return QStringLiteral("%1%").arg(u, 0, 'f', 2);
    default:
        return number(style, u, false);
    }
}

} // namespace

QString metricLabel(const QString& name) {
    const cwb::MetricInfo* info = cwb::metricInfo(name);
    return info ? QCoreApplication::translate("Metrics", info->label) : name;
}

QString metricDescription(const QString& name) {
    const cwb::MetricInfo* info = cwb::metricInfo(name);
    if (!info)
        return name;
    QString d = QCoreApplication::translate("Metrics", info->description);
    d[0] = d[0].toUpper();
    return QStringLiteral("%1: %2.").arg(metricLabel(name), d);
}

QString formatMetric(const QString& name, double value) {
    return number(styleOf(name), value, false);
}

QString formatMetric(const QString& name, const cwb::MetricValue& value) {
    const Style style = styleOf(name);
    if (!value.uncertainty)
        return number(style, value.value, false);
    return QStringLiteral("%1 ± %2").arg(number(style, value.value, false),
                                         uncertaintyText(style, *value.uncertainty));
}

QString formatMetricDelta(const QString& name, double delta, std::optional<double> uncertainty) {
    const Style style = styleOf(name);
    if (uncertainty && *uncertainty > 0 &&
        (style == Style::Plain || style == Style::Percent || style == Style::Fraction)) {
        // The uncertainty to two significant digits, the difference to the same decimal place:
        // "+0.03 ± 0.48", not "+0.03196 ± 0.4791".
        const double scale = style == Style::Fraction ? 100.0 : 1.0;
        const double u = *uncertainty * scale;
        const int decimals = std::clamp(1 - int(std::floor(std::log10(u))), 0, 8);
        const QString unit = style == Style::Plain ? QString() : QStringLiteral("%");
        QString d = QString::number(delta * scale, 'f', decimals);
        if (d.startsWith(QLatin1Char('-')))
            d.replace(0, 1, QStringLiteral("−"));
        else
            d.prepend(QLatin1Char('+'));
        return QStringLiteral("%1%2 ± %3%2").arg(d, unit, QString::number(u, 'f', decimals));
    }
    QString text = number(style, delta, true);
    if (delta < 0 && style != Style::Bytes)
        text.replace(0, 1, QStringLiteral("−"));
    if (uncertainty)
        text += QStringLiteral(" ± %1").arg(uncertaintyText(style, *uncertainty));
    return text;
}

QString formatDollars(double dollars) {
    if (!std::isfinite(dollars))
        return QStringLiteral("–");
    if (dollars >= 100)
        return QStringLiteral("$%1").arg(QLocale().toString(dollars, 'f', 0));
    if (dollars >= 0.01)
        return QStringLiteral("$%1").arg(QLocale().toString(dollars, 'f', 2));
    if (dollars <= 0)
        return QStringLiteral("$0");
    // Three significant digits, in fixed notation: "$0.0000981", never "$9.81e-05".
    const int decimals = std::min(12, int(std::ceil(-std::log10(dollars))) + 2);
    return QStringLiteral("$%1").arg(QString::number(dollars, 'f', decimals));
}
