// SPDX-License-Identifier: GPL-3.0-or-later
#include "rundifftensorsmodel.h"

#include "modelsummary.h"
#include "precision.h"
#include "precisionstyle.h"
#include "tooltip.h"

#include <QFont>

namespace {

const QString kDash = QStringLiteral("–");

QVariant precisionIconOf(const QString& name) {
    const auto id = cwb::precisionByName(name);
    return id ? QVariant(precisionIcon(*id)) : QVariant();
}

} // namespace

RunDiffTensorsModel::RunDiffTensorsModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void RunDiffTensorsModel::setDiff(const cwb::RunDiff& diff) {
    beginResetModel();
    m_rows = diff.tensors;
    m_a = diff.a;
    m_b = diff.b;
    endResetModel();
    emit headerDataChanged(Qt::Horizontal, A, B);
}

void RunDiffTensorsModel::clear() {
    beginResetModel();
    m_rows.clear();
    m_a = m_b = 0;
    endResetModel();
    emit headerDataChanged(Qt::Horizontal, A, B);
}

int RunDiffTensorsModel::rowOf(const QString& tensor) const {
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].tensor == tensor)
            return int(i);
    return -1;
}

int RunDiffTensorsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RunDiffTensorsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunDiffTensorsModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const cwb::TensorDifference& t = m_rows[std::size_t(index.row())];
    const int column = index.column();
    const bool isA = column == A;
    const QString& precision = isA ? t.precisionA : t.precisionB;
    const QString& method = isA ? t.methodA : t.methodB;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Tensor:
            return t.tensor;
        case A:
        case B:
            if (precision.isEmpty())
                return kDash;
            // Rounding to nearest is the default: named only when the other run differs.
            return method.isEmpty() || (method == QLatin1String("rtn") && t.methodA == t.methodB)
                       ? precision
                       : QStringLiteral("%1 · %2").arg(precision, method);
        case BytesA:
            return t.precisionA.isEmpty() ? kDash : cwb::formatCount(qint64(t.bytesA));
        case BytesB:
            return t.precisionB.isEmpty() ? kDash : cwb::formatCount(qint64(t.bytesB));
        }
        return {};
    case Qt::DecorationRole:
        return column == A || column == B ? precisionIconOf(precision) : QVariant();
    case Qt::FontRole:
        if (column == B) {
            // What B changed stands out.
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    case Qt::ToolTipRole:
        if (column == A || column == B) {
            const auto id = cwb::precisionByName(precision);
            if (!id)
                return tr("Not in this run: the runs are of different models");
            return wrappedToolTip(tr("%1; method %2").arg(precisionToolTip(*id), method));
        }
        return {};
    case Qt::TextAlignmentRole:
        return column >= BytesA ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case TensorNameRole:
        return t.tensor;
    case PrecisionRole:
        return column == A || column == B ? QVariant(precision) : QVariant();
    case MethodRole:
        return column == A || column == B ? QVariant(method) : QVariant();
    default:
        return {};
    }
}

QVariant RunDiffTensorsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Tensor:
            return tr("Tensor");
        case A:
            return m_a ? tr("Run %1 (A)").arg(m_a) : tr("A");
        case B:
            return m_b ? tr("Run %1 (B)").arg(m_b) : tr("B");
        case BytesA:
            return tr("Bytes (A)");
        case BytesB:
            return tr("Bytes (B)");
        }
    }
    if (role == Qt::TextAlignmentRole)
        return section >= BytesA ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                 : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    return {};
}
