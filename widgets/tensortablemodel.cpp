// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensortablemodel.h"

#include "methodstyle.h"
#include "modelsummary.h"
#include "precisionplanmodel.h"
#include "searchrecord.h"
#include "tooltip.h"

#include <QFont>
#include <QGuiApplication>
#include <QPalette>
#include <QRegularExpression>

namespace {

bool isNumeric(int column) {
    return column == TensorTableModel::Parameters || column == TensorTableModel::Bytes ||
           column == TensorTableModel::Sensitivity;
}

// KLDs span decades: three significant digits, as the layer map shows them.
QString formatKld(double kld) {
    return QString::number(kld, 'g', 3);
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

void TensorTableModel::setPlanModel(PrecisionPlanModel* plan) {
    if (m_plan)
        disconnect(m_plan, nullptr, this, nullptr);
    m_plan = plan;
    if (plan) {
        connect(plan, &QObject::destroyed, this, [this] { m_plan = nullptr; });
        connect(plan, &QAbstractItemModel::dataChanged, this,
                [this](const QModelIndex& topLeft, const QModelIndex& bottomRight) {
                    planRowsChanged(topLeft.row(), bottomRight.row());
                });
        connect(plan, &QAbstractItemModel::modelReset, this,
                [this] { planRowsChanged(0, int(m_rows.size()) - 1); });
    }
    planRowsChanged(0, int(m_rows.size()) - 1);
}

void TensorTableModel::planRowsChanged(int first, int last) {
    last = std::min(last, int(m_rows.size()) - 1);
    // The Sensitivity column too: a reason shows only while the tensor keeps its precision.
    if (first <= last)
        emit dataChanged(index(first, Precision), index(last, Sensitivity));
}

void TensorTableModel::setSensitivity(std::shared_ptr<const cwb::SensitivityResult> result) {
    m_sensitivity = std::move(result);
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, Sensitivity), index(int(m_rows.size()) - 1, Sensitivity));
}

void TensorTableModel::setSearchReasons(const std::vector<cwb::TensorDecision>& decisions) {
    m_decisions.clear();
    for (const cwb::TensorDecision& d : decisions)
        m_decisions.insert(d.name, d);
    planRowsChanged(0, int(m_rows.size()) - 1);
}

QString TensorTableModel::reason(int row) const {
    const auto d = m_decisions.constFind(m_rows.at(row).name);
    if (d == m_decisions.cend())
        return {};
    const QModelIndex i = planIndex(row);
    const auto precision =
        cwb::PrecisionId(i.isValid() ? i.data(PrecisionPlanModel::PrecisionRole).toInt()
                                     : int(cwb::PrecisionId::Fp32));
    return precision == d->precision ? d->reason : QString();
}

QString TensorTableModel::lossesToolTip(const cwb::TensorSensitivity& t) const {
    QString text = tr("Mean KLD against FP32 when only this tensor is compressed (%1):")
                       .arg(cwb::methodName(m_sensitivity->method))
                       .toHtmlEscaped();
    for (const cwb::PrecisionLoss& l : t.losses) {
        const double median = m_sensitivity->medianLoss(l.precision);
        text += QStringLiteral("<br>%1: %2")
                    .arg(QLatin1String(cwb::precisionInfo(l.precision).name), formatKld(l.kldMean));
        if (median > 0)
            text += tr(" (%1× the median)").arg(l.kldMean / median, 0, 'g', 2);
    }
    return QStringLiteral("<p>%1</p>").arg(text);
}

QVariant TensorTableModel::sensitivityData(int row, int role) const {
    const cwb::TensorSensitivity* t =
        m_sensitivity ? m_sensitivity->find(m_rows.at(row).name) : nullptr;
    const cwb::PrecisionLoss* loss = t ? t->at(cwb::referencePrecision(*m_sensitivity)) : nullptr;
    switch (role) {
    case Qt::DisplayRole:
        return loss ? formatKld(loss->kldMean) : QString();
    case SortRole:
        return loss ? loss->kldMean : -1.0;
    case Qt::TextAlignmentRole:
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case ReasonRole:
        return reason(row);
    case Qt::ToolTipRole: {
        QString text = t ? lossesToolTip(*t) : QString();
        if (const QString why = reason(row); !why.isEmpty())
            text += wrappedToolTip(why);
        return text.isEmpty() ? QVariant() : QVariant(text);
    }
    default:
        return {};
    }
}

// The plan model's row for one of ours. The two are reset one after the other when a model is
// opened; in between, a row whose name differs belongs to the other model and is not shown.
QModelIndex TensorTableModel::planIndex(int row) const {
    if (!m_plan || row >= m_plan->rowCount())
        return {};
    const QModelIndex i = m_plan->index(row);
    return i.data(PrecisionPlanModel::NameRole).toString() == m_rows.at(row).name ? i
                                                                                  : QModelIndex();
}

QVariant TensorTableModel::precisionData(int row, int role) const {
    const QModelIndex i = planIndex(row);
    if (role == SortRole) {
        // Most bits first when sorted descending, as the Bytes column sorts.
        const auto id =
            cwb::PrecisionId(i.isValid() ? i.data(PrecisionPlanModel::PrecisionRole).toInt()
                                         : int(cwb::PrecisionId::Fp32));
        return cwb::precisionInfo(id).weightBits * 100 + int(id);
    }
    if (role == Qt::ToolTipRole) {
        QString text = i.isValid() ? i.data(role).toString() : QString();
        if (const QString why = reason(row); !why.isEmpty())
            text += wrappedToolTip(why);
        return text.isEmpty() ? QVariant() : QVariant(text);
    }
    if (role == ReasonRole)
        return reason(row);
    if (i.isValid())
        return i.data(role);
    if (role == Qt::DisplayRole)
        return QStringLiteral("fp32");
    return {};
}

QVariant TensorTableModel::methodData(int row, int role) const {
    const QModelIndex i = planIndex(row);
    const bool quantizable = i.isValid() && i.data(PrecisionPlanModel::QuantizableRole).toBool();
    const auto method = cwb::QuantMethod(
        i.isValid() ? i.data(PrecisionPlanModel::MethodRole).toInt() : int(cwb::QuantMethod::Rtn));
    const bool own = i.isValid() && i.data(PrecisionPlanModel::ExplicitMethodRole).toBool();
    const auto precision =
        cwb::PrecisionId(i.isValid() ? i.data(PrecisionPlanModel::PrecisionRole).toInt()
                                     : int(cwb::PrecisionId::Fp32));
    // Floats are not quantized onto a grid: a method shows what the tensor would get.
    const bool applies = cwb::precisionInfo(precision).grid != nullptr;
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
        if (!i.isValid()) // as the FP32 model would be quantized: its matrices by rtn
            return m_rows.at(row).dims.size() == 2 ? QStringLiteral("rtn") : QString();
        return quantizable ? cwb::methodName(method) : QString();
    case SortRole:
        return quantizable ? int(method) : -1;
    case Qt::FontRole:
        if (quantizable && !own) { // follows the plan's default
            QFont font;
            font.setItalic(true);
            return font;
        }
        return {};
    case Qt::ForegroundRole:
        if (quantizable && !applies)
            return QGuiApplication::palette().brush(QPalette::PlaceholderText);
        return {};
    case Qt::ToolTipRole: {
        if (!quantizable)
            return {};
        QString text = methodToolTip(method);
        text += QLatin1Char(' ') +
                (own ? tr("Set for this tensor.") : tr("The plan's default method (in italics)."));
        if (!applies)
            text += QLatin1Char(' ') + tr("Not applied while the tensor is %1: float precisions "
                                          "are not quantized onto a grid.")
                                           .arg(QLatin1String(cwb::precisionInfo(precision).name));
        return wrappedToolTip(text);
    }
    case PrecisionPlanModel::MethodRole:
    case PrecisionPlanModel::ExplicitMethodRole:
    case PrecisionPlanModel::DefaultMethodRole:
        return i.isValid() ? i.data(role) : QVariant();
    default:
        return {};
    }
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
    if (index.column() == Precision)
        return precisionData(index.row(), role);
    if (index.column() == Method)
        return methodData(index.row(), role);
    if (index.column() == Sensitivity)
        return sensitivityData(index.row(), role);
    if (role == ReasonRole)
        return reason(index.row());
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
        case Precision:
            return wrappedToolTip(
                tr("The precision the plan gives the tensor: double-click to choose another, or "
                   "select rows and set them together. Norms stay f32"));
        case Method:
            return wrappedToolTip(
                tr("How the tensor is quantized to its precision: rtn, or a calibrated method "
                   "(smoothquant, awq, gptq). In italics: the plan's default method, set over "
                   "the table. Double-click to choose, or select rows and set them together"));
        case Sensitivity:
            return wrappedToolTip(
                m_sensitivity
                    ? tr("Mean KLD against FP32 when only this tensor is %1: the higher, the more "
                         "it needs its bits. The tooltip lists every candidate precision")
                          .arg(QLatin1String(
                              cwb::precisionInfo(cwb::referencePrecision(*m_sensitivity)).name))
                    : tr("Plan ▸ Run Sensitivity measures how much each tensor alone hurts the "
                         "model at each candidate precision"));
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
    case Precision:
        return tr("Precision");
    case Method:
        return tr("Method");
    case Sensitivity:
        return tr("Sensitivity");
    }
    return {};
}

bool TensorTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) ||
        (index.column() != Precision && index.column() != Method))
        return false;
    const QModelIndex i = planIndex(index.row());
    // The plan model records the change on its undo stack and reports it back through
    // dataChanged, which planRowsChanged() forwards.
    if (index.column() == Method)
        role = PrecisionPlanModel::MethodRole;
    return i.isValid() && m_plan->setData(i, value, role);
}

Qt::ItemFlags TensorTableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && (index.column() == Precision || index.column() == Method)) {
        const QModelIndex i = planIndex(index.row());
        if (i.isValid())
            f |= m_plan->flags(i) & Qt::ItemIsEditable;
    }
    return f;
}
