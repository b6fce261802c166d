// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "rundiff.h"

#include <QAbstractTableModel>

// The metrics of a run diff, one row each in the order the metric table lists them: run A's
// value, run B's (their uncertainties in the tooltips), and B − A with its uncertainty (core's
// diffRuns computes them all). A change
// for the better is green, for the worse red; one within twice its uncertainty, or of a timing
// that varies from run to run, is left uncoloured: it is not a measured difference.
class RunDiffMetricsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Metric, A, B, Delta, ColumnCount };
    enum Role { MetricNameRole = Qt::UserRole + 1, DeltaRole };
    enum class Change { None, Better, Worse };

    explicit RunDiffMetricsModel(QObject* parent = nullptr);

    void setDiff(const cwb::RunDiff& diff);
    void clear();
    // The row of metric `name`, or -1.
    int rowOf(const QString& name) const;
    Change change(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<cwb::MetricDelta> m_rows;
    qint64 m_a = 0, m_b = 0;
};
