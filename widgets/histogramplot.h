// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"

#include <qcustomplot.h>

#include <QList>
#include <QString>

// A histogram of values (a tensor's weights, a matrix input's activations) on a log count axis,
// with a quantization grid drawn over it: a line at each grid value, or a rug along the bottom
// when there are too many to tell apart, with the grid's ends as dashed lines. Hovering a bin
// says what it holds and the grid value nearest to it.
class HistogramPlot : public QCustomPlot {
    Q_OBJECT
public:
    // `values` names what is counted, for the axis and the tooltips: "weight", "activation".
    HistogramPlot(const QString& title, const QString& values, QWidget* parent = nullptr);

    // Nothing to plot, and why.
    void showMessage(const QString& text);
    void setHistogram(const cwb::Histogram& histogram);
    // The values a grid's points stand for, drawn in `color`; an empty list draws none.
    void setGrid(const QList<double>& values, const QColor& color);

    QString message() const;
    int nonEmptyBins() const;
    int gridPoints() const { return int(m_gridValues.size()); }

protected:
    bool event(QEvent* event) override;

private:
    QString binText(double value) const;
    void fitRanges();

    QString m_values;
    cwb::Histogram m_histogram;
    QList<double> m_gridValues;
    QCPBars* m_bars;
    QCPGraph* m_grid;
    QCPGraph* m_gridEnds;
    QCPItemText* m_message;
};
