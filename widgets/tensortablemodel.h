// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "tensorrow.h"

#include <QAbstractTableModel>

// The weight tensors of one model, one row each, in file order.
class TensorTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Shape, Parameters, Type, Bytes, ColumnCount };
    // Numbers for the numeric columns, and keys that order "blk.10" after "blk.9" for the rest.
    static constexpr int SortRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    void setRows(QList<TensorRow> rows);
    const QList<TensorRow>& rows() const { return m_rows; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QVariant display(const TensorRow& row, int column) const;
    QVariant sortKey(const TensorRow& row, int column) const;

    QList<TensorRow> m_rows;
};
