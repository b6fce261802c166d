// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"

#include <QAbstractTableModel>

#include <memory>

// The inputs of the model's matrices that calibration measured, one row each in forward order
// (blk.0 before blk.1, the classifier last): their width, largest value, mean square and outlier
// channels, as `cwb calibrate` prints them.
class CalibrationSitesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Site, Channels, AbsMax, MeanSquare, Outliers, ColumnCount };
    // The unrounded number of a numeric cell, for sorting and tests.
    static constexpr int ValueRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    // Null clears the table.
    void setStatistics(std::shared_ptr<const cwb::CalibrationStats> stats);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Row {
        QString site;
        int channels = 0;
        double absMax = 0;
        double meanSquare = 0; // the largest channel's
        std::vector<int> outliers;
    };
    QVariant value(const Row& row, int column) const;

    std::vector<Row> m_rows;
};
