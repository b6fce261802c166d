// SPDX-License-Identifier: GPL-3.0-or-later
#include "tradeoffplot.h"

#include "plotstyle.h"

#include <QFileInfo>
#include <QSvgGenerator>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace {

constexpr double kHitRadius = 9.0; // pixels from a point's centre that still hit it
constexpr double kDragThreshold = 4.0;

QColor frontierColor() {
    return QColor(0x1f, 0x77, 0xb4);
}

QCPColorGradient scaleGradient() {
    // Viridis, sampled: light for high values, dark for low, readable in grey too.
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
    g.setColorStopAt(0.25, QColor(0x3b, 0x52, 0x8b));
    g.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8c));
    g.setColorStopAt(0.75, QColor(0x5e, 0xc9, 0x62));
    g.setColorStopAt(1.0, QColor(0xfd, 0xe7, 0x25));
    return g;
}

QString betterText(cwb::Better b) {
    return b == cwb::Better::Lower ? QObject::tr("lower is better")
                                   : QObject::tr("higher is better");
}

} // namespace

TradeoffPlot::TradeoffPlot(QWidget* parent)
    : QCustomPlot(parent) {
    setObjectName(QStringLiteral("tradeoffPlot"));
    stylePlot(this, tr("Trade-off between runs"));
    placeLegendUnderTitle(this);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    axisRect()->setRangeZoom(Qt::Horizontal | Qt::Vertical);
    xAxis->setNumberFormat(QStringLiteral("gb"));
    yAxis->setNumberFormat(QStringLiteral("gb"));
    m_message = addCentredMessage(this);
    m_colourScale = new QCPColorScale(this);
    m_colourScale->setType(QCPAxis::atRight);
    m_colourScale->setGradient(scaleGradient());
    m_colourScale->setBarWidth(10);
    m_colourScale->axis()->setNumberFormat(QStringLiteral("gb"));
    m_colourScale->axis()->setTickLabelColor(palette().color(QPalette::WindowText));
    m_colourScale->axis()->setLabelColor(palette().color(QPalette::WindowText));
    m_colourScale->axis()->setBasePen(QPen(palette().color(QPalette::PlaceholderText)));
    m_colourScale->axis()->setTickPen(QPen(palette().color(QPalette::PlaceholderText)));
    m_colourScale->axis()->setSubTickPen(QPen(palette().color(QPalette::PlaceholderText)));
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    m_colourScale->axis()->setTickLabelFont(small);
    m_colourScale->axis()->setLabelFont(small);
    setMouseTracking(true); // for the tooltips
    connect(this, &QCustomPlot::afterLayout, this, &TradeoffPlot::hideCrowdedLabels);
    setMinimumSize(320, 240);
}

TradeoffPlot::~TradeoffPlot() {
    if (m_colourScale && !m_colourScale->layout())
        delete m_colourScale;
}

void TradeoffPlot::setPoints(QList<TradeoffPoint> points, const TradeoffAxis& x,
                             const TradeoffAxis& y, const std::optional<TradeoffAxis>& colour) {
    m_points = std::move(points);
    m_x = x;
    m_y = y;
    m_colour = colour;
    std::vector<cwb::ParetoPoint> pareto;
    for (const TradeoffPoint& p : m_points)
        pareto.push_back({p.x, p.y});
    m_front = cwb::paretoFront(pareto, x.better, y.better);
    if (std::none_of(m_points.begin(), m_points.end(),
                     [this](const TradeoffPoint& p) { return p.runId == m_selected; }))
        m_selected = 0;
    rebuild();
}

QList<qint64> TradeoffPlot::frontier() const {
    QList<qint64> ids;
    for (std::size_t i : m_front)
        ids << m_points.at(qsizetype(i)).runId;
    return ids;
}

void TradeoffPlot::setMessage(const QString& message) {
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty());
    replot(QCustomPlot::rpQueuedReplot);
}

QString TradeoffPlot::message() const {
    return m_message->visible() ? m_message->text() : QString();
}

void TradeoffPlot::rebuild() {
    clearGraphs();
    for (QCPItemText* label : std::as_const(m_labels))
        removeItem(label);
    m_labels.clear();
    legend->clearItems();

    auto setUp = [](QCPAxis* axis, const TradeoffAxis& a) {
        axis->setLabel(QStringLiteral("%1 — %2%3")
                           .arg(a.label, betterText(a.better),
                                a.logarithmic ? tr(" (log scale)") : QString()));
        axis->setScaleType(a.logarithmic ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        if (a.logarithmic)
            axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        else
            axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    };
    setUp(xAxis, m_x);
    setUp(yAxis, m_y);

    // The colour scale stands right of the axes only while a third metric is chosen.
    const bool coloured = m_colour.has_value();
    QCPRange colourRange;
    bool haveColour = false;
    for (const TradeoffPoint& p : m_points)
        if (p.colour) {
            colourRange = haveColour ? QCPRange(std::min(colourRange.lower, *p.colour),
                                                std::max(colourRange.upper, *p.colour))
                                     : QCPRange(*p.colour, *p.colour);
            haveColour = true;
        }
    if (coloured && !m_colourScale->layout())
        plotLayout()->addElement(plotLayout()->rowCount() - 1, 1, m_colourScale);
    else if (!coloured && m_colourScale->layout()) {
        plotLayout()->take(m_colourScale);
        plotLayout()->simplify();
    }
    if (coloured) {
        m_colourScale->axis()->setLabel(
            QStringLiteral("%1 — %2").arg(m_colour->label, betterText(m_colour->better)));
        if (colourRange.size() <= 0)
            colourRange = QCPRange(colourRange.lower - 0.5, colourRange.upper + 0.5);
        m_colourScale->setDataRange(haveColour ? colourRange : QCPRange(0, 1));
        plotLayout()->setColumnStretchFactor(1, 0.01);
    }

    // The frontier's line under the points, its rings over them.
    QCPGraph* line = addGraph();
    line->setName(tr("Pareto frontier"));
    line->setPen(QPen(frontierColor(), 2, Qt::DashLine));
    line->setLineStyle(QCPGraph::lsLine);
    for (std::size_t i : m_front)
        line->addData(m_points.at(qsizetype(i)).x, m_points.at(qsizetype(i)).y);
    if (m_front.empty())
        line->removeFromLegend();

    QCPColorGradient gradient = scaleGradient(); // color() is not const
    const QColor outline = palette().color(QPalette::WindowText);
    for (qsizetype i = 0; i < m_points.size(); ++i) {
        const TradeoffPoint& p = m_points.at(i);
        QCPGraph* g = addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        QColor fill = QColor(0x9a, 0xa0, 0xa8);
        if (coloured && p.colour)
            fill = QColor::fromRgb(gradient.color(*p.colour, m_colourScale->dataRange()));
        const QBrush brush = coloured && !p.colour ? QBrush(Qt::NoBrush) : QBrush(fill);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(outline, 1), brush, 10));
        g->addData(p.x, p.y);
        g->setSelectable(QCP::stNone);
        g->removeFromLegend();
    }
    // The legend's key for a run: a point with no data, in the neutral grey.
    QCPGraph* key = addGraph();
    key->setLineStyle(QCPGraph::lsNone);
    key->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(outline, 1), QColor(0x9a, 0xa0, 0xa8), 10));
    key->setName(coloured ? tr("run (colour: %1)").arg(m_colour->label) : tr("run"));

    QCPGraph* rings = addGraph();
    rings->setLineStyle(QCPGraph::lsNone);
    rings->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(frontierColor(), 2), Qt::NoBrush, 16));
    for (std::size_t i : m_front) {
        const TradeoffPoint& p = m_points.at(qsizetype(i));
        rings->addData(p.x, p.y);
        auto* label = new QCPItemText(this);
        label->position->setCoords(p.x, p.y);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setPadding(QMargins(9, 0, 0, 7));
        label->setText(QStringLiteral("#%1").arg(p.runId));
        label->setColor(frontierColor().darker(120));
        label->setFont(xAxis->tickLabelFont());
        label->setClipToAxisRect(true);
        m_labels << label;
    }
    rings->removeFromLegend();

    m_selection = addGraph();
    m_selection->setLineStyle(QCPGraph::lsNone);
    m_selection->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare,
                                                 QPen(palette().color(QPalette::Highlight), 2.5),
                                                 Qt::NoBrush, 20));
    m_selection->removeFromLegend();
    legend->setVisible(!m_points.isEmpty());
    fitRanges();
    drawSelection();
}

void TradeoffPlot::fitRanges() {
    if (m_points.isEmpty()) {
        xAxis->setRange(0, 1);
        yAxis->setRange(0, 1);
        return;
    }
    auto fit = [](QCPAxis* axis, double lo, double hi) {
        if (axis->scaleType() == QCPAxis::stLogarithmic) {
            const double ratio = hi > lo ? std::pow(hi / lo, 0.08) : 2.0;
            axis->setRange(lo / ratio, hi * ratio);
            return;
        }
        double pad = (hi - lo) * 0.08;
        if (pad <= 0)
            pad = std::max(std::abs(lo) * 0.1, 1e-9);
        axis->setRange(lo - pad, hi + pad);
    };
    auto [xLo, xHi] = std::minmax_element(
        m_points.begin(), m_points.end(),
        [](const TradeoffPoint& a, const TradeoffPoint& b) { return a.x < b.x; });
    auto [yLo, yHi] = std::minmax_element(
        m_points.begin(), m_points.end(),
        [](const TradeoffPoint& a, const TradeoffPoint& b) { return a.y < b.y; });
    fit(xAxis, xLo->x, xHi->x);
    fit(yAxis, yLo->y, yHi->y);
}

// The frontier's run numbers, left to right, each one left out where it would overlap one
// already placed: a dense stretch of the front keeps some of its numbers legible.
void TradeoffPlot::hideCrowdedLabels() {
    QList<QRectF> placed;
    QList<std::pair<double, QCPItemText*>> byPixel;
    for (QCPItemText* label : std::as_const(m_labels))
        byPixel.append({xAxis->coordToPixel(label->position->key()), label});
    std::sort(byPixel.begin(), byPixel.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [x, label] : byPixel) {
        const QFontMetricsF fm(label->font());
        const QPointF at(x, yAxis->coordToPixel(label->position->value()));
        const QRectF rect(at.x() + 9, at.y() - 7 - fm.height(), fm.horizontalAdvance(label->text()),
                          fm.height());
        const bool free = std::none_of(placed.begin(), placed.end(), [&rect](const QRectF& r) {
            return r.adjusted(-2, -1, 2, 1).intersects(rect);
        });
        label->setVisible(free);
        if (free)
            placed << rect;
    }
}

void TradeoffPlot::selectRun(qint64 runId) {
    m_selected = runId;
    drawSelection();
}

void TradeoffPlot::drawSelection() {
    if (!m_selection)
        return;
    m_selection->data()->clear();
    for (const TradeoffPoint& p : std::as_const(m_points))
        if (p.runId == m_selected && m_selected != 0)
            m_selection->addData(p.x, p.y);
    replot(QCustomPlot::rpQueuedReplot);
}

int TradeoffPlot::pointAt(const QPointF& pixel) const {
    int best = -1;
    double bestDistance = kHitRadius;
    for (qsizetype i = 0; i < m_points.size(); ++i) {
        const QPointF at(xAxis->coordToPixel(m_points[i].x), yAxis->coordToPixel(m_points[i].y));
        const double d = std::hypot(at.x() - pixel.x(), at.y() - pixel.y());
        if (d <= bestDistance) {
            bestDistance = d;
            best = int(i);
        }
    }
    return best;
}

std::optional<QPointF> TradeoffPlot::pixelOf(qint64 runId) const {
    for (const TradeoffPoint& p : m_points)
        if (p.runId == runId)
            return QPointF(xAxis->coordToPixel(p.x), yAxis->coordToPixel(p.y));
    return std::nullopt;
}

QString TradeoffPlot::toolTipAt(const QPointF& pixel) const {
    const int i = pointAt(pixel);
    if (i >= 0)
        return m_points.at(i).toolTip;
    const QRect inner = axisRect()->rect();
    auto explain = [](const TradeoffAxis& a) {
        return a.description.isEmpty()
                   ? QString()
                   : QStringLiteral("<p><b>%1</b>: %2</p>")
                         .arg(a.label.toHtmlEscaped(), a.description.toHtmlEscaped());
    };
    if (pixel.y() > inner.bottom() && pixel.x() >= inner.left() && pixel.x() <= inner.right())
        return explain(m_x);
    if (pixel.x() < inner.left() && pixel.y() >= inner.top() && pixel.y() <= inner.bottom())
        return explain(m_y);
    if (m_colour && m_colourScale->layout() && m_colourScale->outerRect().contains(pixel.toPoint()))
        return explain(*m_colour);
    return {};
}

void TradeoffPlot::mousePressEvent(QMouseEvent* event) {
    m_pressedAt = event->position();
    QCustomPlot::mousePressEvent(event);
}

void TradeoffPlot::mouseReleaseEvent(QMouseEvent* event) {
    QCustomPlot::mouseReleaseEvent(event);
    const QPointF moved = event->position() - m_pressedAt;
    if (event->button() != Qt::LeftButton || std::hypot(moved.x(), moved.y()) > kDragThreshold)
        return;
    const int i = pointAt(event->position());
    const qint64 id = i < 0 ? 0 : m_points.at(i).runId;
    if (id == m_selected)
        return;
    selectRun(id);
    if (id != 0)
        emit runSelected(id);
}

void TradeoffPlot::mouseDoubleClickEvent(QMouseEvent* event) {
    QCustomPlot::mouseDoubleClickEvent(event);
    if (event->button() != Qt::LeftButton)
        return;
    const int i = pointAt(event->position());
    if (i >= 0) {
        emit runActivated(m_points.at(i).runId);
        return;
    }
    fitRanges();
    replot(QCustomPlot::rpQueuedReplot);
}

void TradeoffPlot::mouseMoveEvent(QMouseEvent* event) {
    QCustomPlot::mouseMoveEvent(event);
    const QString tip = event->buttons() == Qt::NoButton ? toolTipAt(event->position()) : QString();
    if (tip.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), tip, this);
    setCursor(pointAt(event->position()) >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
}

void TradeoffPlot::leaveEvent(QEvent* event) {
    QToolTip::hideText();
    QCustomPlot::leaveEvent(event);
}

bool TradeoffPlot::exportTo(const QString& path, QString* error, QSize size) {
    if (size.isEmpty())
        size = this->size().expandedTo(QSize(1000, 640));
    const QString suffix = QFileInfo(path).suffix().toLower();
    bool ok = false;
    if (suffix == QLatin1String("png"))
        ok = savePng(path, size.width(), size.height(), 2.0);
    else if (suffix == QLatin1String("pdf"))
        ok = savePdf(path, size.width(), size.height(), QCP::epNoCosmetic,
                     QStringLiteral("Compression Workbench"), tr("Trade-off between runs"));
    else if (suffix == QLatin1String("svg"))
        ok = saveSvg(path, size);
    else {
        if (error)
            *error = tr("%1: choose a .png, .svg or .pdf file").arg(QFileInfo(path).fileName());
        return false;
    }
    if (!ok && error)
        *error = tr("cannot write %1").arg(path);
    return ok;
}

bool TradeoffPlot::saveSvg(const QString& path, QSize size) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(tr("Trade-off between runs"));
    svg.setDescription(QStringLiteral("Compression Workbench"));
    QCPPainter painter;
    if (!painter.begin(&svg))
        return false;
    toPainter(&painter, size.width(), size.height());
    return painter.end() && QFileInfo(path).size() > 0;
}
