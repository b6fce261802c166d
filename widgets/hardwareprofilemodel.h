// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/runstore.h"

#include <QAbstractTableModel>

#include <vector>

// The hardware profiles of the run store, one row each as the store lists them (by price):
// name, kind, memory, memory bandwidth, int8 and fp16 peaks, price per hour, notes.
class HardwareProfileModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Kind, Memory, Bandwidth, Int8, Fp16, Price, Notes, ColumnCount };

    explicit HardwareProfileModel(QObject* parent = nullptr);

    void setProfiles(std::vector<cwb::HardwareProfile> profiles);
    const std::vector<cwb::HardwareProfile>& profiles() const { return m_profiles; }
    const cwb::HardwareProfile* profileAt(int row) const;
    int rowOf(const QString& name) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<cwb::HardwareProfile> m_profiles;
};
