// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "planevaluation.h"

#include <QAbstractTableModel>

#include <optional>

// A plan's evaluation beside the FP32 baseline, one metric per row: what the result view shows
// and what a person copies into a note. Rows stay in place when there is no result (dashes).
class ComparisonModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Row { Perplexity, PplRatio, KldMean, KldTail, Top1, DeltaP, Size, Bpw, RowCount };
    enum Column { Metric, Baseline, Plan, ColumnCount };
    // The number a cell shows, unrounded (the first one, for KLD median / p99 / max); the plan's
    // size in bytes for the Size row.
    static constexpr int ValueRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    // `planName` goes into the plan column's tooltip.
    void setResult(const cwb::PlanEvaluation& result, const QString& planName);
    void clear();
    const std::optional<cwb::PlanEvaluation>& result() const { return m_result; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    static QString metricName(Row row);
    static QString metricToolTip(Row row);

private:
    QString text(Row row, Column column) const;
    QVariant value(Row row, Column column) const;

    std::optional<cwb::PlanEvaluation> m_result;
    QString m_planName;
};
