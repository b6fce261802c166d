// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "rundiff.h"

#include <QAbstractTableModel>

// The tensors of a run diff whose precision or method differs, one row each, in the model's
// order: the tensor, then what run A gave it beside what run B gave it (the precision, and the
// method when it is not plain rounding), and the bytes of each.
class RunDiffTensorsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Tensor, A, B, BytesA, BytesB, ColumnCount };
    enum Role {
        TensorNameRole = Qt::UserRole + 1,
        PrecisionRole, // of column A or B: the precision's name, empty if the run lacks the tensor
        MethodRole,    // of column A or B: the method's name
    };

    explicit RunDiffTensorsModel(QObject* parent = nullptr);

    void setDiff(const cwb::RunDiff& diff);
    void clear();
    int rowOf(const QString& tensor) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<cwb::TensorDifference> m_rows;
    qint64 m_a = 0, m_b = 0;
};
