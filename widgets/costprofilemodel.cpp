// SPDX-License-Identifier: GPL-3.0-or-later
#include "costprofilemodel.h"

#include "metricformat.h"
#include "tooltip.h"

#include <QColor>
#include <QFont>
#include <QLocale>

CostProfileModel::CostProfileModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void CostProfileModel::setProjection(const cwb::CostProjection& projection) {
    beginResetModel();
    m_projection = projection;
    endResetModel();
}

void CostProfileModel::clear() {
    beginResetModel();
    m_projection.reset();
    endResetModel();
}

std::optional<int> CostProfileModel::cheapestRow() const {
    if (!m_projection || !m_projection->cheapest)
        return std::nullopt;
    return int(*m_projection->cheapest);
}

int CostProfileModel::rowOf(const QString& profile) const {
    if (!m_projection)
        return -1;
    for (std::size_t i = 0; i < m_projection->profiles.size(); ++i)
        if (m_projection->profiles[i].profile.name == profile)
            return int(i);
    return -1;
}

int CostProfileModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !m_projection ? 0 : int(m_projection->profiles.size());
}

int CostProfileModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CostProfileModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const cwb::ProfileCost& c = m_projection->profiles[std::size_t(index.row())];
    const bool cheapest = cheapestRow() == index.row();
    const QLocale locale;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Profile:
            return c.profile.name;
        case Fits:
            return c.fits ? tr("yes") : tr("no");
        case Prefill:
            return locale.toString(c.prefillTokensPerSecond, 'f', 0);
        case Decode:
            return locale.toString(c.decodeTokensPerSecond, 'f', 1);
        case PerThousand:
            return formatDollars(c.dollarsPer1000Queries);
        case Instances:
            return c.instances;
        case PerMonth:
            return formatDollars(c.dollarsPerMonth);
        }
        return {};
    case ValueRole:
        switch (index.column()) {
        case Profile:
            return c.profile.name;
        case Fits:
            return c.fits;
        case Prefill:
            return c.prefillTokensPerSecond;
        case Decode:
            return c.decodeTokensPerSecond;
        case PerThousand:
            return c.dollarsPer1000Queries;
        case Instances:
            return c.instances;
        case PerMonth:
            return c.dollarsPerMonth;
        }
        return {};
    case CheapestRole:
        return cheapest;
    case Qt::FontRole:
        if (cheapest) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    case Qt::BackgroundRole:
        if (cheapest)
            return QColor(0xdc, 0xf1, 0xdc);
        return {};
    case Qt::ForegroundRole:
        if (cheapest)
            return QColor(0x1b, 0x3d, 0x1b);
        if (!c.fits)
            return QColor(0x9e, 0x9e, 0x9e);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Fits)
            return wrappedToolTip(
                tr("Needs %1 GiB (weights, KV cache for the whole query, runtime overhead); "
                   "the profile has %2 GiB")
                    .arg(c.memoryNeededGiB, 0, 'f', 3)
                    .arg(c.profile.memoryGiB));
        if (index.column() == Profile && cheapest)
            return tr("The cheapest profile that fits, by the month");
        if (index.column() == PerThousand)
            return wrappedToolTip(tr("%1 s per query at $%2 an hour, one stream, always busy")
                                      .arg(c.secondsPerQuery, 0, 'g', 4)
                                      .arg(c.profile.pricePerHour));
        return {};
    case Qt::TextAlignmentRole:
        return index.column() == Profile ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
               : index.column() == Fits  ? QVariant(Qt::AlignCenter)
                                         : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    default:
        return {};
    }
}

QVariant CostProfileModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Profile:
            return tr("Hardware profile");
        case Fits:
            return tr("Fits");
        case Prefill:
            return tr("Prefill tok/s");
        case Decode:
            return tr("Decode tok/s");
        case PerThousand:
            return tr("$ / 1k queries");
        case Instances:
            return tr("Instances");
        case PerMonth:
            return tr("$ / month");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Fits:
            return tr("Whether the model, its KV cache and the runtime fit in the memory");
        case Prefill:
            return tr("Prompt tokens per second: bound by the compute peak");
        case Decode:
            return tr("Generated tokens per second: bound by the memory bandwidth");
        case PerThousand:
            return tr("Dollars per 1,000 queries of the workload");
        case Instances:
            return tr("Machines running all month to serve the queries, one stream each");
        case PerMonth:
            return tr("Dollars per month for the workload: instances × price × 730 hours");
        }
    }
    if (role == Qt::TextAlignmentRole)
        return section == Profile ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
               : section == Fits  ? QVariant(Qt::AlignCenter)
                                  : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}
