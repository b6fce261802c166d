// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "pareto.h"

#include <qcustomplot.h>

#include <QList>
#include <QString>

#include <optional>

// One stored run as the trade-off plot shows it: its two axis values and, optionally, the value
// its colour stands for, all as displayed (units applied).
struct TradeoffPoint {
    qint64 runId = 0;
    double x = 0;
    double y = 0;
    std::optional<double> colour;
    QString toolTip; // rich text naming the run and its metrics
};

struct TradeoffAxis {
    QString label; // "ΔPPL (%)"
    cwb::Better better = cwb::Better::Lower;
    QString description;      // one sentence, shown over the axis
    bool logarithmic = false; // every value must then be positive
};

// A scatter plot of runs over two metrics, the Pareto frontier of the pair drawn through the
// runs no other run beats on both, and a colour scale for a third metric. Hovering a point shows
// its run; a click selects it, a double-click activates it. Dragging and the wheel pan and zoom;
// a double-click on empty space fits the view to the runs again.
class TradeoffPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit TradeoffPlot(QWidget* parent = nullptr);
    ~TradeoffPlot() override;

    void setPoints(QList<TradeoffPoint> points, const TradeoffAxis& x, const TradeoffAxis& y,
                   const std::optional<TradeoffAxis>& colour);
    // A line in the middle of the plot, for why there is nothing to show; empty hides it.
    void setMessage(const QString& message);
    QString message() const;

    const QList<TradeoffPoint>& points() const { return m_points; }
    // The runs on the Pareto frontier, in order of x.
    QList<qint64> frontier() const;
    qint64 selectedRun() const { return m_selected; }
    // Marks `runId` selected (0: none) without emitting runSelected().
    void selectRun(qint64 runId);
    // The point within a few pixels of `pixel`, nearest first; -1 if none.
    int pointAt(const QPointF& pixel) const;
    // Where the run's point is drawn, in widget pixels.
    std::optional<QPointF> pixelOf(qint64 runId) const;
    // What hovering at `pixel` shows: the run of a point, or the metric of an axis.
    QString toolTipAt(const QPointF& pixel) const;

    // Saves the plot as PNG, SVG or PDF, by the file's suffix, at least `size` large.
    bool exportTo(const QString& path, QString* error = nullptr, QSize size = {});

signals:
    void runSelected(qint64 runId);
    void runActivated(qint64 runId);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void rebuild();
    void fitRanges();
    void hideCrowdedLabels();
    void drawSelection();
    bool saveSvg(const QString& path, QSize size);

    QList<TradeoffPoint> m_points;
    TradeoffAxis m_x;
    TradeoffAxis m_y;
    std::optional<TradeoffAxis> m_colour;
    std::vector<std::size_t> m_front;
    qint64 m_selected = 0;
    QPointF m_pressedAt;
    QCPItemText* m_message = nullptr;
    QCPColorScale* m_colourScale = nullptr; // owned here while out of the layout
    QCPGraph* m_selection = nullptr;
    QList<QCPItemText*> m_labels;
};
