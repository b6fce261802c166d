// SPDX-License-Identifier: GPL-3.0-or-later
#include "methodreportmodel.h"

#include "tooltip.h"

#include <QColor>

void MethodReportModel::setReports(std::vector<cwb::MethodReport> reports) {
    beginResetModel();
    m_reports = std::move(reports);
    endResetModel();
}

int MethodReportModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_reports.size());
}

int MethodReportModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MethodReportModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const cwb::MethodReport& r = m_reports[std::size_t(index.row())];
    const double change = r.errorRtn > 0 ? r.errorMethod / r.errorRtn - 1.0 : 0.0;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Site:
            return r.site;
        case Method:
            return cwb::methodName(r.method);
        case Alpha:
            return QString::number(r.alpha, 'f', 2);
        case Chosen:
            return r.searched ? tr("searched") : tr("given");
        case ErrorRtn:
            return QString::number(r.errorRtn, 'g', 4);
        case ErrorMethod:
            return r.errorRtn > 0 ? QStringLiteral("%1 (%2%3%)")
                                        .arg(r.errorMethod, 0, 'g', 4)
                                        .arg(change > 0 ? QStringLiteral("+") : QString())
                                        .arg(100 * change, 0, 'f', 0)
                                  : QString::number(r.errorMethod, 'g', 4);
        }
        return {};
    case ValueRole:
        switch (index.column()) {
        case Site:
            return r.site;
        case Method:
            return int(r.method);
        case Alpha:
            return r.alpha;
        case Chosen:
            return r.searched;
        case ErrorRtn:
            return r.errorRtn;
        case ErrorMethod:
            return r.errorMethod;
        }
        return {};
    case Qt::TextAlignmentRole:
        return index.column() >= Alpha && index.column() != Chosen
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        // A method that did worse than rounding is worth a second look.
        if (index.column() == ErrorMethod && r.errorMethod > r.errorRtn)
            return QColor(0xb3, 0x5c, 0x00);
        return {};
    case Qt::ToolTipRole:
        return wrappedToolTip(tr("%1: %2 with α %3 (%4) took the relative output error on the "
                                 "calibration samples from %5 (rtn) to %6")
                                  .arg(r.site, cwb::methodName(r.method))
                                  .arg(r.alpha, 0, 'f', 2)
                                  .arg(r.searched ? tr("searched") : tr("given"))
                                  .arg(r.errorRtn, 0, 'g', 4)
                                  .arg(r.errorMethod, 0, 'g', 4));
    default:
        return {};
    }
}

QVariant MethodReportModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::TextAlignmentRole) // over the cells, as they are aligned
        return section >= Alpha && section != Chosen ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                     : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Site:
            return tr("The matrix input the method scaled (q, k and v share one)");
        case Method:
            return tr("SmoothQuant or AWQ: the methods that choose scales per input");
        case Alpha:
            return tr("The migration strength α the scales were computed with");
        case Chosen:
            return tr("Searched per layer for the least output error, or given by the plan");
        case ErrorRtn:
            return tr("Relative output error on the calibration samples with plain rtn");
        case ErrorMethod:
            return tr("The same with the method's scales, and the change from rtn");
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Site:
        return tr("Input");
    case Method:
        return tr("Method");
    case Alpha:
        return tr("α");
    case Chosen:
        return tr("α was");
    case ErrorRtn:
        return tr("Error rtn");
    case ErrorMethod:
        return tr("Error method");
    }
    return {};
}
