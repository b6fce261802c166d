// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

class QCPItemText;
class QCPTextElement;
class QCustomPlot;

// The plots take the window's palette and font, so they read as part of it in light and dark
// themes; a title row over the axes; no interaction but zoom and drag along the x axis.
void stylePlot(QCustomPlot* plot, const QString& title);
// A line of text centred in the axis rect, for "nothing to show, because…"; hidden until set.
QCPItemText* addCentredMessage(QCustomPlot* plot);
// The legend as one row under the title, out of the data's way.
void placeLegendUnderTitle(QCustomPlot* plot);
