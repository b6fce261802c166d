// SPDX-License-Identifier: GPL-3.0-or-later
#include "runlistmodel.h"

#include "metricformat.h"
#include "tooltip.h"

#include <QColor>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>

namespace {

const QString kDash = QStringLiteral("–");

const cwb::MetricValue* findMetric(const cwb::RunRecord& run, const QString& name) {
    const auto it = run.metrics.find(name);
    return it == run.metrics.end() ? nullptr : &it->second;
}

QString modelName(const cwb::RunRecord& run) {
    return run.model ? QFileInfo(run.model->path).fileName() : QString();
}

bool endedBadly(cwb::RunStatus s) {
    return s == cwb::RunStatus::Failed || s == cwb::RunStatus::Interrupted ||
           s == cwb::RunStatus::Cancelled;
}

} // namespace

RunListModel::RunListModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void RunListModel::setRuns(std::vector<cwb::RunRecord> runs) {
    beginResetModel();
    m_runs = std::move(runs);
    endResetModel();
}

int RunListModel::rowOf(qint64 id) const {
    for (std::size_t i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].id == id)
            return int(i);
    return -1;
}

const cwb::RunRecord* RunListModel::runAt(int row) const {
    return row >= 0 && row < int(m_runs.size()) ? &m_runs[std::size_t(row)] : nullptr;
}

QString RunListModel::metricOf(Column column) {
    switch (column) {
    case Ppl:
        return QStringLiteral("ppl");
    case DeltaPpl:
        return QStringLiteral("delta_ppl_percent");
    case KldMean:
        return QStringLiteral("kld_mean");
    case Top1:
        return QStringLiteral("top1_agreement");
    case Size:
        return QStringLiteral("size_bytes");
    case Bpw:
        return QStringLiteral("bpw");
    default:
        return {};
    }
}

int RunListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_runs.size());
}

int RunListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const cwb::RunRecord& run = m_runs[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return display(run, column);
    case Qt::ToolTipRole:
        return toolTip(run, column);
    case Qt::TextAlignmentRole:
        return column == Id || column >= Ppl ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                             : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        if (column == Status && endedBadly(run.status))
            return QColor(0xb0, 0x3a, 0x2e);
        if (column >= Ppl && metricOf(Column(column)).isEmpty() == false &&
            !findMetric(run, metricOf(Column(column))))
            return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        return {};
    case RunIdRole:
        return qint64(run.id);
    case SortRole:
        return sortValue(run, column);
    case ModelShaRole:
        return run.model ? run.model->sha256 : QString();
    case StatusRole:
        return int(run.status);
    default:
        return {};
    }
}

QVariant RunListModel::display(const cwb::RunRecord& run, int column) const {
    switch (column) {
    case Id:
        return qint64(run.id);
    case Started:
        return QLocale().toString(run.startedAt.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm"));
    case Kind:
        return run.kind;
    case Model:
        return modelName(run);
    case Name:
        return run.name;
    case Status:
        return cwb::runStatusName(run.status);
    default:
        break;
    }
    const QString metric = metricOf(Column(column));
    const cwb::MetricValue* m = findMetric(run, metric);
    if (!m)
        return kDash;
    // The uncertainty is in the tooltip: the column stays narrow and sortable by eye.
    return formatMetric(metric, m->value);
}

QVariant RunListModel::sortValue(const cwb::RunRecord& run, int column) const {
    switch (column) {
    case Id:
        return qint64(run.id);
    case Started:
        return run.startedAt;
    case Kind:
        return run.kind;
    case Model:
        return modelName(run);
    case Name:
        return run.name;
    case Status:
        return cwb::runStatusName(run.status);
    default:
        break;
    }
    const cwb::MetricValue* m = findMetric(run, metricOf(Column(column)));
    return m ? QVariant(m->value) : QVariant();
}

QString RunListModel::toolTip(const cwb::RunRecord& run, int column) const {
    switch (column) {
    case Model:
        return run.model
                   ? wrappedToolTip(tr("%1 (%2), sha256 %3")
                                        .arg(run.model->path, run.model->format, run.model->sha256))
                   : QString();
    case Status:
        return run.error.isEmpty() ? QString() : wrappedToolTip(run.error);
    case Started:
        return run.finishedAt.isValid()
                   ? tr("Started %1, ended %2")
                         .arg(QLocale().toString(run.startedAt.toLocalTime(), QLocale::LongFormat),
                              QLocale().toString(run.finishedAt.toLocalTime(), QLocale::LongFormat))
                   : tr("Started %1")
                         .arg(QLocale().toString(run.startedAt.toLocalTime(), QLocale::LongFormat));
    case Id:
    case Kind:
    case Name:
        return run.command.isEmpty() ? QString() : wrappedToolTip(run.command);
    default:
        break;
    }
    const QString metric = metricOf(Column(column));
    const cwb::MetricValue* m = findMetric(run, metric);
    const QString description = metricDescription(metric);
    return wrappedToolTip(m ? QStringLiteral("%1 %2").arg(formatMetric(metric, *m), description)
                            : tr("Not measured by this run. %1").arg(description));
}

QVariant RunListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Id:
            return tr("Run");
        case Started:
            return tr("Started");
        case Kind:
            return tr("Kind");
        case Model:
            return tr("Model");
        case Name:
            return tr("Plan");
        case Status:
            return tr("Status");
        case Ppl:
            return tr("PPL");
        case DeltaPpl:
            return tr("ΔPPL");
        case KldMean:
            return tr("Mean KLD");
        case Top1:
            return tr("Top-1");
        case Size:
            return tr("Size");
        case Bpw:
            return tr("bpw");
        }
    }
    if (role == Qt::ToolTipRole) {
        const QString metric = metricOf(Column(section));
        if (!metric.isEmpty())
            return wrappedToolTip(metricDescription(metric));
        if (section == Name)
            return tr("The plan's name, or fp32 for the unquantized model");
        if (section == Kind)
            return tr("evaluation, calibration, quantization, benchmark, search…");
    }
    if (role == Qt::TextAlignmentRole)
        return section == Id || section >= Ppl ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                               : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    return {};
}
