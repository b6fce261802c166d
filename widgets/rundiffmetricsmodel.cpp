// SPDX-License-Identifier: GPL-3.0-or-later
#include "rundiffmetricsmodel.h"

#include "metricformat.h"
#include "metricinfo.h"
#include "tooltip.h"

#include <QColor>

#include <algorithm>
#include <cmath>

namespace {

const QString kDash = QStringLiteral("–");

// The metric table's order (quality first, then size, then timings); unknown names after it.
int rank(const QString& name) {
    const auto table = cwb::metricTable();
    for (std::size_t i = 0; i < table.size(); ++i)
        if (name == QLatin1String(table[i].name))
            return int(i);
    return int(table.size());
}

} // namespace

RunDiffMetricsModel::RunDiffMetricsModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void RunDiffMetricsModel::setDiff(const cwb::RunDiff& diff) {
    beginResetModel();
    m_rows = diff.metrics;
    std::stable_sort(m_rows.begin(), m_rows.end(),
                     [](const cwb::MetricDelta& x, const cwb::MetricDelta& y) {
                         return rank(x.name) < rank(y.name);
                     });
    m_a = diff.a;
    m_b = diff.b;
    endResetModel();
    emit headerDataChanged(Qt::Horizontal, A, B);
}

void RunDiffMetricsModel::clear() {
    beginResetModel();
    m_rows.clear();
    m_a = m_b = 0;
    endResetModel();
    emit headerDataChanged(Qt::Horizontal, A, B);
}

int RunDiffMetricsModel::rowOf(const QString& name) const {
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].name == name)
            return int(i);
    return -1;
}

RunDiffMetricsModel::Change RunDiffMetricsModel::change(int row) const {
    if (row < 0 || row >= int(m_rows.size()))
        return Change::None;
    const cwb::MetricDelta& m = m_rows[std::size_t(row)];
    const cwb::MetricInfo* info = cwb::metricInfo(m.name);
    if (!info || !info->deterministic || !m.delta || *m.delta == 0)
        return Change::None;
    if (m.uncertainty && std::abs(*m.delta) <= 2 * *m.uncertainty)
        return Change::None;
    const bool lower = *m.delta < 0;
    return lower == info->lowerIsBetter ? Change::Better : Change::Worse;
}

int RunDiffMetricsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RunDiffMetricsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunDiffMetricsModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const cwb::MetricDelta& m = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Metric:
            return metricLabel(m.name);
        // The runs' own uncertainties are in the tooltips: the difference's is the one to read.
        case A:
            return m.a ? formatMetric(m.name, m.a->value) : kDash;
        case B:
            return m.b ? formatMetric(m.name, m.b->value) : kDash;
        case Delta:
            return m.delta ? formatMetricDelta(m.name, *m.delta, m.uncertainty) : kDash;
        }
        return {};
    case Qt::ToolTipRole: {
        QString tip = metricDescription(m.name);
        if (index.column() == A && m.a)
            tip = tr("Run %1: %2. %3").arg(m_a).arg(formatMetric(m.name, *m.a), tip);
        if (index.column() == B && m.b)
            tip = tr("Run %1: %2. %3").arg(m_b).arg(formatMetric(m.name, *m.b), tip);
        if (index.column() == Delta && m.delta) {
            const cwb::MetricInfo* info = cwb::metricInfo(m.name);
            if (info && !info->deterministic)
                tip += tr(" A timing: it varies from run to run on the same inputs.");
            else if (m.uncertainty && std::abs(*m.delta) <= 2 * *m.uncertainty)
                tip += tr(" The change is within twice its uncertainty (the runs' standard errors "
                          "combined): not a measured difference.");
        }
        return wrappedToolTip(tip);
    }
    case Qt::ForegroundRole:
        if (index.column() == Delta) {
            switch (change(index.row())) {
            case Change::Better:
                return QColor(0x1e, 0x7d, 0x32);
            case Change::Worse:
                return QColor(0xb7, 0x1c, 0x1c);
            case Change::None:
                break;
            }
        }
        return {};
    case Qt::TextAlignmentRole:
        return index.column() == Metric ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                        : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case MetricNameRole:
        return m.name;
    case DeltaRole:
        return m.delta ? QVariant(*m.delta) : QVariant();
    default:
        return {};
    }
}

QVariant RunDiffMetricsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Metric:
            return tr("Metric");
        case A:
            return m_a ? tr("Run %1 (A)").arg(m_a) : tr("A");
        case B:
            return m_b ? tr("Run %1 (B)").arg(m_b) : tr("B");
        case Delta:
            return tr("B − A");
        }
    }
    if (role == Qt::ToolTipRole && section == Delta)
        return wrappedToolTip(tr("The change from run A to run B, ± the runs' uncertainties "
                                 "combined (√(σA² + σB²), the runs taken as independent)"));
    if (role == Qt::TextAlignmentRole)
        return section == Metric ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                 : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}
