// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensortablemodel.h"

#include "modelsummary.h"

#include <QRegularExpression>

namespace {

bool isNumeric(int column) {
    return column == TensorTableModel::Parameters || column == TensorTableModel::Bytes;
}

// Zero-pads every number so that plain string order is numeric order.
QString naturalKey(const QString& text) {
    static const QRegularExpression digits(QStringLiteral("\\d+"));
    QString key;
    qsizetype last = 0;
    for (auto it = digits.globalMatch(text); it.hasNext();) {
        const auto match = it.next();
        key += text.mid(last, match.capturedStart() - last);
        key += match.captured().rightJustified(12, QLatin1Char('0'));
        last = match.capturedEnd();
    }
    return key + text.mid(last);
}

} // namespace

void TensorTableModel::setRows(QList<TensorRow> rows) {
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

int TensorTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TensorTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TensorTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TensorRow& row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return display(row, index.column());
    case SortRole:
        return sortKey(row, index.column());
    case Qt::TextAlignmentRole:
        return isNumeric(index.column()) ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case Qt::ToolTipRole:
        if (index.column() == Bytes)
            return cwb::formatBytes(row.bytes);
        if (index.column() == Name)
            return row.name;
        return {};
    default:
        return {};
    }
}

QVariant TensorTableModel::display(const TensorRow& row, int column) const {
    switch (column) {
    case Name:
        return row.name;
    case Shape:
        return row.shape;
    case Parameters:
        return cwb::formatCount(row.parameters);
    case Type:
        return row.type;
    case Bytes:
        return cwb::formatCount(std::int64_t(row.bytes));
    default:
        return {};
    }
}

QVariant TensorTableModel::sortKey(const TensorRow& row, int column) const {
    switch (column) {
    case Name:
        return naturalKey(row.name);
    case Shape: {
        QStringList dims;
        for (std::int64_t d : row.dims)
            dims << QString::number(d).rightJustified(12, QLatin1Char('0'));
        return dims.join(QLatin1Char('x'));
    }
    case Parameters:
        return qint64(row.parameters);
    case Type:
        return row.type;
    case Bytes:
        return quint64(row.bytes);
    default:
        return {};
    }
}

QVariant TensorTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::TextAlignmentRole)
        return isNumeric(section) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                  : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Name:
            return tr("Canonical GGUF name, the name plans and reports use");
        case Shape:
            return tr("Rows × row length, as PyTorch prints a weight's shape");
        case Parameters:
            return tr("Number of weights in the tensor");
        case Type:
            return tr("How the file stores the weights");
        case Bytes:
            return tr("Bytes the tensor takes in the file, scales included");
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name:
        return tr("Name");
    case Shape:
        return tr("Shape");
    case Parameters:
        return tr("Parameters");
    case Type:
        return tr("Type");
    case Bytes:
        return tr("Bytes");
    }
    return {};
}
