// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "layermapmodel.h"

#include <QHash>
#include <QWidget>

#include <memory>

class JobRunner;
class LayerMapLegend;
class PrecisionPlanModel;
class QComboBox;
class QLabel;
class QStackedWidget;
class QTableView;
class QTimer;

// The layer map: the blocks' weight matrices as a grid of layers × kinds, coloured by the plan's
// precision, the relative weight error of that precision, or the tensors' sensitivity, with a
// legend. Errors are computed on the job runner's worker, for the tensors whose precision changed
// only. Clicking a cell asks for that tensor to be selected.
class LayerMap : public QWidget {
    Q_OBJECT
public:
    explicit LayerMap(JobRunner* jobs, QWidget* parent = nullptr);

    void setModel(const std::shared_ptr<const cwb::Model>& model);
    // Where the precisions come from; the map follows its every change.
    void setPlanModel(const PrecisionPlanModel* plan);
    void setMode(LayerMapModel::Mode mode);
    LayerMapModel::Mode mode() const { return m_model->mode(); }
    // Whether errors are being computed for the map.
    bool isComputing() const { return m_errorJob != 0 || m_pending; }

    LayerMapModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    QComboBox* modeCombo() const { return m_mode; }
    QString message() const;

public slots:
    // Per-tensor sensitivities (higher: the tensor hurts the model more when quantized), keyed by
    // canonical name, from a sensitivity analysis; empty clears them.
    void setSensitivity(const QHash<QString, double>& sensitivity);
    // Makes `tensor`'s cell current, without emitting tensorActivated().
    void selectTensor(const QString& tensor);

signals:
    // The user clicked the cell of `tensor`.
    void tensorActivated(const QString& tensor);
    // The map shows what it was asked to: errors computed, mode or precisions applied.
    void updated();

private:
    void updatePrecisions();
    void scheduleErrors();
    void computeErrors();
    void onJobsChanged();
    void updateMessage();

    JobRunner* m_jobs;
    LayerMapModel* m_model;
    const PrecisionPlanModel* m_plan = nullptr;
    std::shared_ptr<const cwb::Model> m_cwbModel;
    QComboBox* m_mode;
    QStackedWidget* m_stack;
    QTableView* m_view;
    QLabel* m_placeholder;
    QLabel* m_status;
    LayerMapLegend* m_legend;
    QTimer* m_errorTimer;
    QHash<QString, double> m_errorCache; // "tensor|precision" → error
    quint64 m_errorJob = 0;
    bool m_pending = false;
};
