// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"

#include <qcustomplot.h>

#include <vector>

// A matrix input's channels side by side: each channel's absmax as a bar (outlier channels in
// red) and its mean square (llama.cpp's imatrix importance) as a line, on one log axis. Hovering
// a channel gives its numbers.
class ChannelPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit ChannelPlot(QWidget* parent = nullptr);

    // Nothing to plot, and why.
    void showMessage(const QString& text);
    void setChannels(const cwb::ChannelStats& stats, const std::vector<int>& outliers);

    QString message() const;
    int channels() const { return int(m_absMax.size()); }
    int highlighted() const { return m_outlierBars->data()->size(); }

protected:
    bool event(QEvent* event) override;

private:
    std::vector<double> m_absMax;
    std::vector<double> m_meanSquare;
    std::vector<bool> m_outlier;
    QCPBars* m_bars;
    QCPBars* m_outlierBars;
    QCPGraph* m_meanSquareLine;
    QCPItemText* m_message;
};
