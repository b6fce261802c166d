// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/runstore.h"

#include <QAbstractTableModel>

#include <vector>

// The recorded runs, one row each, oldest first as the store lists them: when, what, of which
// model, with which plan, how it ended, and its main metrics. A view sorts and filters it through
// RunListProxy.
class RunListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Id,
        Started,
        Kind,
        Model,
        Name,
        Status,
        Ppl,
        DeltaPpl,
        KldMean,
        Top1,
        Size,
        Bpw,
        ColumnCount
    };
    enum Role {
        RunIdRole = Qt::UserRole + 1, // qint64
        SortRole,                     // the raw value; invalid for a metric the run lacks
        ModelShaRole,                 // QString
        StatusRole,                   // int(cwb::RunStatus)
    };

    explicit RunListModel(QObject* parent = nullptr);

    // Replaces the rows; a row whose run is in both lists keeps its place in a view's selection
    // only through its id (the view restores it).
    void setRuns(std::vector<cwb::RunRecord> runs);
    const std::vector<cwb::RunRecord>& runs() const { return m_runs; }
    // The row of run `id`, or -1.
    int rowOf(qint64 id) const;
    const cwb::RunRecord* runAt(int row) const;
    // The metric a column shows, or empty for the others.
    static QString metricOf(Column column);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QVariant display(const cwb::RunRecord& run, int column) const;
    QVariant sortValue(const cwb::RunRecord& run, int column) const;
    QString toolTip(const cwb::RunRecord& run, int column) const;

    std::vector<cwb::RunRecord> m_runs;
};
