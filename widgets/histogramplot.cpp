// SPDX-License-Identifier: GPL-3.0-or-later
#include "histogramplot.h"

#include "plotstyle.h"

#include <QHelpEvent>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace {

// More grid values than this are a blur as full-height lines: a rug shows them better.
constexpr int kMaxGridLines = 40;
constexpr double kRugHeight = 0.07; // of the axis rect

} // namespace

HistogramPlot::HistogramPlot(const QString& title, const QString& values, QWidget* parent)
    : QCustomPlot(parent)
    , m_values(values) {
    stylePlot(this, title);
    xAxis->setLabel(tr("%1 value").arg(values));
    yAxis->setLabel(tr("count (log)"));
    yAxis->setScaleType(QCPAxis::stLogarithmic);
    yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    yAxis->setNumberFormat(QStringLiteral("eb"));
    yAxis->setNumberPrecision(0);
    // The grid's lines run on a hidden 0…1 axis, whatever the counts.
    yAxis2->setRange(0, 1);

    m_bars = new QCPBars(xAxis, yAxis);
    m_bars->setWidthType(QCPBars::wtPlotCoords);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor(0x4a, 0x7f, 0xc1, 200));
    m_grid = addGraph(xAxis, yAxis2);
    m_grid->setLineStyle(QCPGraph::lsImpulse);
    m_gridEnds = addGraph(xAxis, yAxis2);
    m_gridEnds->setLineStyle(QCPGraph::lsImpulse);
    m_message = addCentredMessage(this);
    setMinimumHeight(150);
    showMessage({});
}

void HistogramPlot::showMessage(const QString& text) {
    m_histogram = {};
    m_gridValues.clear();
    m_bars->data()->clear();
    m_grid->data()->clear();
    m_gridEnds->data()->clear();
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
    // Empty axes with numbers read as data that is not there.
    xAxis->setTickLabels(false);
    yAxis->setTickLabels(false);
    xAxis->setRange(-1, 1);
    yAxis->setRange(1, 10);
    replot(rpQueuedReplot);
}

void HistogramPlot::setHistogram(const cwb::Histogram& histogram) {
    showMessage({});
    m_histogram = histogram;
    const double width = 2.0 * double(histogram.range()) / cwb::Histogram::kBins;
    QVector<double> keys, counts;
    for (int i = 0; i < cwb::Histogram::kBins; ++i)
        if (const auto n = histogram.bins()[std::size_t(i)]; n > 0) {
            keys << double(histogram.binLow(i)) + width / 2;
            counts << double(n);
        }
    m_bars->setWidth(width);
    m_bars->setData(keys, counts, true);
    xAxis->setTickLabels(true);
    yAxis->setTickLabels(true);
    fitRanges();
}

void HistogramPlot::setGrid(const QList<double>& values, const QColor& color) {
    m_gridValues = values;
    const bool rug = values.size() > kMaxGridLines;
    QVector<double> keys, heights;
    for (double v : values) {
        keys << v;
        heights << (rug ? kRugHeight : 1.0);
    }
    QColor line = color;
    line.setAlpha(rug ? 255 : 170);
    m_grid->setPen(QPen(line, rug ? 1.0 : 1.2));
    m_grid->setData(keys, heights, true);
    m_gridEnds->data()->clear();
    if (rug && !values.isEmpty()) {
        m_gridEnds->setPen(QPen(color, 1.2, Qt::DashLine));
        m_gridEnds->setData({values.first(), values.last()}, {1.0, 1.0}, true);
    }
    fitRanges();
}

void HistogramPlot::fitRanges() {
    const auto& bins = m_histogram.bins();
    int first = -1, last = -1;
    std::uint64_t most = 1;
    for (int i = 0; i < cwb::Histogram::kBins; ++i)
        if (bins[std::size_t(i)] > 0) {
            first = first < 0 ? i : first;
            last = i;
            most = std::max(most, bins[std::size_t(i)]);
        }
    if (first < 0) {
        replot(rpQueuedReplot);
        return;
    }
    const double width = 2.0 * double(m_histogram.range()) / cwb::Histogram::kBins;
    double low = double(m_histogram.binLow(first));
    double high = double(m_histogram.binLow(last)) + width;
    if (!m_gridValues.isEmpty()) {
        low = std::min(low, m_gridValues.first());
        high = std::max(high, m_gridValues.last());
    }
    const double margin = 0.04 * (high - low);
    xAxis->setRange(low - margin, high + margin);
    yAxis->setRange(0.7, double(most) * 2);
    replot(rpQueuedReplot);
}

QString HistogramPlot::message() const {
    return m_message->visible() ? m_message->text() : QString();
}

int HistogramPlot::nonEmptyBins() const {
    return m_bars->data()->size();
}

QString HistogramPlot::binText(double value) const {
    if (m_histogram.range() <= 0)
        return {};
    const double range = double(m_histogram.range());
    const int bin = int(std::floor((value + range) / (2 * range) * cwb::Histogram::kBins));
    if (bin < 0 || bin >= cwb::Histogram::kBins)
        return {};
    const double width = 2 * range / cwb::Histogram::kBins;
    const double low = double(m_histogram.binLow(bin));
    QString text = tr("%1 %2 value(s) in [%3, %4)")
                       .arg(m_histogram.bins()[std::size_t(bin)])
                       .arg(m_values)
                       .arg(low, 0, 'g', 4)
                       .arg(low + width, 0, 'g', 4);
    if (!m_gridValues.isEmpty()) {
        const auto nearest =
            std::min_element(m_gridValues.begin(), m_gridValues.end(), [value](double a, double b) {
                return std::abs(a - value) < std::abs(b - value);
            });
        text += QLatin1Char('\n') + tr("nearest grid value: %1").arg(*nearest, 0, 'g', 4);
    }
    return text;
}

bool HistogramPlot::event(QEvent* event) {
    if (event->type() != QEvent::ToolTip)
        return QCustomPlot::event(event);
    auto* help = static_cast<QHelpEvent*>(event);
    QString text;
    if (axisRect()->rect().contains(help->pos()))
        text = binText(xAxis->pixelToCoord(help->pos().x()));
    if (text.isEmpty())
        text = tr("How the %1 values spread, on a log count axis, with the quantization grid "
                  "they are rounded onto. Drag or wheel to pan and zoom.")
                   .arg(m_values);
    QToolTip::showText(help->globalPos(), text, this);
    return true;
}
