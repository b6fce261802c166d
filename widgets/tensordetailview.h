// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "tensordetail.h"

#include <QFutureWatcher>
#include <QWidget>

#include <memory>

class ChannelPlot;
class HistogramPlot;
class PrecisionPlanModel;
class QLabel;

namespace cwb {
struct Model;
}

// One tensor up close: its input channels' absmax and mean square with the outlier channels
// marked, a histogram of its weights with the chosen precision's grid over it, and a histogram
// of its input activations with w8a8's per-token grid over it. The input statistics come from
// calibration; until there are some, the activation plots say so.
class TensorDetailView : public QWidget {
    Q_OBJECT
public:
    explicit TensorDetailView(QWidget* parent = nullptr);
    ~TensorDetailView() override;

    void setModel(std::shared_ptr<const cwb::Model> model);
    // The precision drawn is the plan's; the plots follow its edits.
    void setPlanModel(const PrecisionPlanModel* plan);
    void setStatistics(std::shared_ptr<const cwb::CalibrationStats> stats);
    // An empty name shows nothing.
    void showTensor(const QString& name);

    QString tensorName() const { return m_name; }
    QString headerText() const;
    QString outlierText() const;
    // Under each histogram: whose grid is drawn over it, or why none is.
    QString weightNote() const { return m_weightNoteText; }
    QString activationNote() const { return m_activationNoteText; }
    // Whether the weights are still being read for the current tensor.
    bool isComputing() const { return m_weightsJob.isRunning(); }
    ChannelPlot* channelPlot() const { return m_channels; }
    HistogramPlot* weightPlot() const { return m_weights; }
    HistogramPlot* activationPlot() const { return m_activations; }

private:
    void refresh();
    void showChannels();
    void showActivations();
    void startWeights();
    void showWeights(const WeightDetail& detail);
    const cwb::ChannelStats* channelStats(QString* why) const;
    void setNote(QLabel* label, QString* text, const QString& note, const QColor& swatch = {});

    std::shared_ptr<const cwb::Model> m_model;
    const PrecisionPlanModel* m_plan = nullptr;
    std::shared_ptr<const cwb::CalibrationStats> m_stats;
    QString m_name;
    int m_shownPrecision = -1; // the precision the weight plot was drawn for

    QLabel* m_header;
    ChannelPlot* m_channels;
    QLabel* m_outliers;
    HistogramPlot* m_weights;
    QLabel* m_weightNote;
    QString m_weightNoteText;
    HistogramPlot* m_activations;
    QLabel* m_activationNote;
    QString m_activationNoteText;
    QFutureWatcher<WeightDetail> m_weightsJob;
    quint64 m_weightsGeneration = 0;
};
