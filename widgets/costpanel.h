// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "costmodel.h"

#include <QWidget>

#include <optional>

class CostProfileModel;
class QDialog;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableView;
class RunLibrary;

// The Cost dock: a workload (prompt and output tokens per query, queries per month) and what
// serving the selected run's model would cost on each hardware profile, the cheapest that fits
// highlighted, as `cwb cost` computes it. "How was this computed?" shows the cost model's own
// account, line by line. The workload persists in the settings.
class CostPanel : public QWidget {
    Q_OBJECT
public:
    explicit CostPanel(RunLibrary* library, QWidget* parent = nullptr);

    // The run to price (0: none).
    void setRun(qint64 id);
    qint64 run() const { return m_run; }
    void setWorkload(const cwb::Workload& workload);
    cwb::Workload workload() const;

    const std::optional<cwb::CostProjection>& projection() const { return m_projection; }
    CostProfileModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    QString runText() const;
    QString summaryText() const;
    // The cost model's explanation, as the dialog shows it.
    QString explanationText() const;
    // The dialog "How was this computed?" opened, while it is open.
    QDialog* explanationDialog() const;

public slots:
    void recompute();
    void showExplanation();

signals:
    // The projection was computed again (or cleared).
    void projectionChanged();

private:
    QWidget* createWorkload();
    void saveWorkload() const;

    RunLibrary* m_library;
    qint64 m_run = 0;
    std::optional<cwb::CostProjection> m_projection;
    CostProfileModel* m_model;
    QLabel* m_runLabel;
    QSpinBox* m_prompt = nullptr;
    QSpinBox* m_output = nullptr;
    QDoubleSpinBox* m_queries = nullptr;
    QLabel* m_summary;
    QTableView* m_view;
    QLabel* m_efficiency;
    QPushButton* m_explain;
};
