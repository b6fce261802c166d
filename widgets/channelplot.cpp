// SPDX-License-Identifier: GPL-3.0-or-later
#include "channelplot.h"

#include "plotstyle.h"

#include <QHelpEvent>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <numeric>

ChannelPlot::ChannelPlot(QWidget* parent)
    : QCustomPlot(parent) {
    stylePlot(this, tr("Input channels: absmax and mean square"));
    xAxis->setLabel(tr("input channel"));
    yAxis->setLabel(tr("value (log)"));
    yAxis->setScaleType(QCPAxis::stLogarithmic);
    yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    yAxis->setNumberFormat(QStringLiteral("eb"));
    yAxis->setNumberPrecision(0);

    m_bars = new QCPBars(xAxis, yAxis);
    m_bars->setName(tr("absmax"));
    m_bars->setWidth(0.8);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor(0x4a, 0x7f, 0xc1, 190));
    m_outlierBars = new QCPBars(xAxis, yAxis);
    m_outlierBars->setName(tr("outlier"));
    m_outlierBars->setWidth(0.8);
    m_outlierBars->setPen(QPen(QColor(0xc8, 0x46, 0x3d)));
    m_outlierBars->setBrush(QColor(0xc8, 0x46, 0x3d));
    m_meanSquareLine = addGraph(xAxis, yAxis);
    m_meanSquareLine->setName(tr("mean square (imatrix)"));
    m_meanSquareLine->setPen(QPen(QColor(0xd0, 0x8c, 0x1a), 1.5));
    placeLegendUnderTitle(this);
    m_message = addCentredMessage(this);
    setMinimumHeight(150);
    showMessage({});
}

void ChannelPlot::showMessage(const QString& text) {
    m_absMax.clear();
    m_meanSquare.clear();
    m_outlier.clear();
    m_bars->data()->clear();
    m_outlierBars->data()->clear();
    m_meanSquareLine->data()->clear();
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
    // Empty axes with numbers and a legend read as data that is not there.
    legend->setVisible(false);
    xAxis->setTickLabels(false);
    yAxis->setTickLabels(false);
    xAxis->setRange(0, 1);
    yAxis->setRange(0.01, 10);
    replot(rpQueuedReplot);
}

void ChannelPlot::setChannels(const cwb::ChannelStats& stats, const std::vector<int>& outliers) {
    showMessage({});
    const int n = stats.channels;
    m_outlier.assign(std::size_t(n), false);
    for (int j : outliers)
        if (j >= 0 && j < n)
            m_outlier[std::size_t(j)] = true;
    QVector<double> keys, absMax, outlierKeys, outlierAbsMax, meanSquare;
    double low = 1e300, high = 0;
    for (int j = 0; j < n && std::size_t(j) < stats.absMax.size(); ++j) {
        const double a = stats.absMax[std::size_t(j)];
        const double m = stats.meanSquare(j);
        m_absMax.push_back(a);
        m_meanSquare.push_back(m);
        (m_outlier[std::size_t(j)] ? outlierKeys : keys) << j;
        (m_outlier[std::size_t(j)] ? outlierAbsMax : absMax) << a;
        meanSquare << m;
        for (double v : {a, m})
            if (v > 0) {
                low = std::min(low, v);
                high = std::max(high, v);
            }
    }
    QVector<double> all(meanSquare.size());
    std::iota(all.begin(), all.end(), 0.0);
    m_bars->setData(keys, absMax, true);
    m_outlierBars->setData(outlierKeys, outlierAbsMax, true);
    m_meanSquareLine->setData(all, meanSquare, true);
    legend->setVisible(true);
    xAxis->setTickLabels(true);
    yAxis->setTickLabels(true);
    xAxis->setRange(-1, n);
    if (high > 0)
        yAxis->setRange(low / 2, high * 2);
    replot(rpQueuedReplot);
}

QString ChannelPlot::message() const {
    return m_message->visible() ? m_message->text() : QString();
}

bool ChannelPlot::event(QEvent* event) {
    if (event->type() != QEvent::ToolTip)
        return QCustomPlot::event(event);
    auto* help = static_cast<QHelpEvent*>(event);
    const int j = int(std::lround(xAxis->pixelToCoord(help->pos().x())));
    QString text;
    if (axisRect()->rect().contains(help->pos()) && j >= 0 && std::size_t(j) < m_absMax.size())
        text = tr("channel %1: absmax %2, mean square %3%4")
                   .arg(j)
                   .arg(m_absMax[std::size_t(j)], 0, 'g', 4)
                   .arg(m_meanSquare[std::size_t(j)], 0, 'g', 4)
                   .arg(m_outlier[std::size_t(j)] ? tr(" — an outlier channel") : QString());
    else
        text = tr("Each input channel's largest |x| (absmax) and mean of x² (the importance "
                  "llama.cpp's imatrix weighs rounding error by) over the calibration tokens. "
                  "Outlier channels, whose absmax exceeds 6 × the median channel's, are red: "
                  "they stretch a per-token activation grid for every other channel.");
    QToolTip::showText(help->globalPos(), text, this);
    return true;
}
