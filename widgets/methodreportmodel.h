// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "quantmethods.h"

#include <QAbstractTableModel>

#include <vector>

// What the calibrated methods did at each matrix input of an evaluated plan, one row per input:
// the method, the α it used (given, or the one its search chose), and the relative output error
// on the calibration samples with plain rtn and with the method.
class MethodReportModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Site, Method, Alpha, Chosen, ErrorRtn, ErrorMethod, ColumnCount };
    // The unrounded number of a numeric cell.
    static constexpr int ValueRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    void setReports(std::vector<cwb::MethodReport> reports);
    const std::vector<cwb::MethodReport>& reports() const { return m_reports; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<cwb::MethodReport> m_reports;
};
