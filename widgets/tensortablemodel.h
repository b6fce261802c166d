// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "search.h"
#include "sensitivity.h"
#include "tensorrow.h"

#include <QAbstractTableModel>
#include <QHash>

#include <memory>
#include <vector>

class PrecisionPlanModel;

// The weight tensors of one model, one row each, in file order, and the precision and method the
// plan being edited gives each: the Precision and Method columns show and edit the plan model's
// rows, which follow the same order. After a sensitivity analysis the Sensitivity column shows
// each matrix's loss when it alone is compressed; after a search, why it got its precision.
class TensorTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Shape,
        Parameters,
        Type,
        Bytes,
        Precision,
        Method,
        Sensitivity,
        ColumnCount
    };
    // Numbers for the numeric columns, and keys that order "blk.10" after "blk.9" for the rest.
    static constexpr int SortRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    void setRows(QList<TensorRow> rows);
    const QList<TensorRow>& rows() const { return m_rows; }
    // Without a plan model every tensor shows fp32 and rtn, and nothing is editable.
    void setPlanModel(PrecisionPlanModel* plan);
    PrecisionPlanModel* planModel() const { return m_plan; }
    // Each tensor's losses from a sensitivity analysis (null clears them): the column shows the
    // mean KLD at cwb::referencePrecision() (SortRole: the number, -1 where none), its tooltip
    // every candidate against the median.
    void setSensitivity(std::shared_ptr<const cwb::SensitivityResult> result);
    std::shared_ptr<const cwb::SensitivityResult> sensitivity() const { return m_sensitivity; }
    // Why a search gave each tensor its precision, shown while the tensor keeps that precision
    // (in the Sensitivity and Precision tooltips, and ReasonRole); empty clears them.
    void setSearchReasons(const std::vector<cwb::TensorDecision>& decisions);
    static constexpr int ReasonRole = Qt::UserRole + 2;
    QString reason(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    QVariant display(const TensorRow& row, int column) const;
    QVariant sortKey(const TensorRow& row, int column) const;
    QVariant precisionData(int row, int role) const;
    QVariant methodData(int row, int role) const;
    QVariant sensitivityData(int row, int role) const;
    QString lossesToolTip(const cwb::TensorSensitivity& t) const;
    QModelIndex planIndex(int row) const;
    void planRowsChanged(int first, int last);

    QList<TensorRow> m_rows;
    PrecisionPlanModel* m_plan = nullptr;
    std::shared_ptr<const cwb::SensitivityResult> m_sensitivity;
    QHash<QString, cwb::TensorDecision> m_decisions;
};
