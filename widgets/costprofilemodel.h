// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "costmodel.h"

#include <QAbstractTableModel>

#include <optional>

// The hardware ranking of a cost projection, one row per profile in the store's order: whether
// the model fits, prefill and decode tokens per second, $ per 1,000 queries, the instances the
// workload keeps busy and $ per month. The cheapest profile that fits is highlighted.
class CostProfileModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Profile, Fits, Prefill, Decode, PerThousand, Instances, PerMonth, ColumnCount };
    enum Role { ValueRole = Qt::UserRole + 1, CheapestRole };

    explicit CostProfileModel(QObject* parent = nullptr);

    void setProjection(const cwb::CostProjection& projection);
    void clear();
    std::optional<int> cheapestRow() const;
    int rowOf(const QString& profile) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::optional<cwb::CostProjection> m_projection;
};
