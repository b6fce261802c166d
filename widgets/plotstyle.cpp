// SPDX-License-Identifier: GPL-3.0-or-later
#include "plotstyle.h"

#include <qcustomplot.h>

void stylePlot(QCustomPlot* plot, const QString& title) {
    const QPalette palette = plot->palette();
    const QColor text = palette.color(QPalette::WindowText);
    const QColor faint = palette.color(QPalette::PlaceholderText);
    plot->setBackground(palette.brush(QPalette::Base));
    QFont font = plot->font();
    QFont small = font;
    small.setPointSizeF(font.pointSizeF() * 0.9);
    for (QCPAxis* axis : plot->axisRect()->axes()) {
        axis->setBasePen(QPen(faint));
        axis->setTickPen(QPen(faint));
        axis->setSubTickPen(QPen(faint));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->setTickLabelFont(small);
        axis->setLabelFont(small);
        axis->grid()->setPen(QPen(palette.color(QPalette::Midlight), 0, Qt::DotLine));
    }
    plot->legend->setFont(small);
    plot->legend->setBrush(QColor(255, 255, 255, 200));
    plot->legend->setBorderPen(QPen(faint));
    plot->legend->setTextColor(QColor(Qt::black));

    QFont bold = font;
    bold.setBold(true);
    plot->plotLayout()->insertRow(0);
    auto* heading = new QCPTextElement(plot, title, bold);
    heading->setTextColor(text);
    heading->setMargins(QMargins(0, 4, 0, 0));
    plot->plotLayout()->addElement(0, 0, heading);

    // Zoom and drag along the values only: the counts' axis fits itself.
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->axisRect()->setRangeDrag(Qt::Horizontal);
    plot->axisRect()->setRangeZoom(Qt::Horizontal);
}

QCPItemText* addCentredMessage(QCustomPlot* plot) {
    auto* message = new QCPItemText(plot);
    message->position->setType(QCPItemPosition::ptAxisRectRatio);
    message->position->setCoords(0.5, 0.5);
    message->setPositionAlignment(Qt::AlignCenter);
    message->setColor(plot->palette().color(QPalette::PlaceholderText));
    message->setClipToAxisRect(false);
    message->setVisible(false);
    return message;
}

void placeLegendUnderTitle(QCustomPlot* plot) {
    plot->legend->setVisible(true);
    plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    plot->legend->setBrush(Qt::NoBrush);
    plot->legend->setBorderPen(Qt::NoPen);
    plot->legend->setTextColor(plot->palette().color(QPalette::WindowText));
    plot->legend->setMargins(QMargins(4, 0, 4, 0));
    plot->legend->setIconSize(16, 10);
    plot->plotLayout()->insertRow(1);
    plot->plotLayout()->addElement(1, 0, plot->legend); // out of the axis rect's inset layout
    plot->plotLayout()->setRowStretchFactor(1, 0.001);
}
