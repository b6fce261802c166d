// SPDX-License-Identifier: GPL-3.0-or-later
#include "comparisonmodel.h"

#include "modelsummary.h"
#include "tooltip.h"

#include <QGuiApplication>
#include <QPalette>

namespace {

const QString kDash = QStringLiteral("–");

QString plusMinus(double value, double error, int decimals) {
    return QStringLiteral("%1 ± %2").arg(value, 0, 'f', decimals).arg(error, 0, 'f', decimals);
}

QString percent(double fraction, int decimals = 2) {
    return QStringLiteral("%1%").arg(100.0 * fraction, 0, 'f', decimals);
}

} // namespace

void ComparisonModel::setResult(const cwb::PlanEvaluation& result, const QString& planName) {
    m_result = result;
    m_planName = planName;
    emit dataChanged(index(0, 0), index(RowCount - 1, ColumnCount - 1));
    emit headerDataChanged(Qt::Horizontal, Plan, Plan);
}

void ComparisonModel::clear() {
    if (!m_result)
        return;
    m_result.reset();
    m_planName.clear();
    emit dataChanged(index(0, 0), index(RowCount - 1, ColumnCount - 1));
    emit headerDataChanged(Qt::Horizontal, Plan, Plan);
}

int ComparisonModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : RowCount;
}

int ComparisonModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QString ComparisonModel::metricName(Row row) {
    switch (row) {
    case Perplexity:
        return tr("Perplexity");
    case PplRatio:
        return tr("PPL ratio");
    case KldMean:
        return tr("Mean KLD");
    case KldTail:
        return tr("KLD median / p99 / max");
    case Top1:
        return tr("Top-1 agreement");
    case DeltaP:
        return tr("Mean Δp");
    case Size:
        return tr("Size");
    case Bpw:
        return tr("Bits per weight");
    case RowCount:
        break;
    }
    return {};
}

QString ComparisonModel::metricToolTip(Row row) {
    switch (row) {
    case Perplexity:
        return tr("The exponential of the mean negative log-likelihood of the scored tokens, ± its "
                  "standard error: lower is better.");
    case PplRatio:
        return tr("The plan's perplexity over the FP32 model's, from paired per-token differences, "
                  "so its uncertainty is far smaller than the two perplexities' (1 is no change).");
    case KldMean:
        return tr("KL divergence of the plan's next-token distribution from the FP32 model's, "
                  "averaged over the scored tokens (0 means the same predictions).");
    case KldTail:
        return tr("The median, 99th percentile and largest per-token KL divergence: how far the "
                  "worst predictions move, which the mean hides.");
    case Top1:
        return tr("The share of scored tokens where the plan's most likely next token is the FP32 "
                  "model's.");
    case DeltaP:
        return tr("The mean change in the probability given to the correct next token (negative: "
                  "the plan is less sure of the right answer).");
    case Size:
        return tr("Bytes of the packed weights, scales and zero points included, plus the tensors "
                  "kept in f32.");
    case Bpw:
        return tr("Bits per weight of the weight matrices, overhead included: 8 × their packed "
                  "bytes over their number of weights.");
    case RowCount:
        break;
    }
    return {};
}

QString ComparisonModel::text(Row row, Column column) const {
    if (column == Metric)
        return metricName(row);
    if (!m_result)
        return kDash;
    const cwb::ComparisonMetrics& m = m_result->metrics;
    const bool base = column == Baseline;
    switch (row) {
    case Perplexity:
        return base ? plusMinus(m.basePpl, m.basePplStderr, 4) : plusMinus(m.ppl, m.pplStderr, 4);
    case PplRatio:
        return base ? QStringLiteral("1") : plusMinus(m.pplRatio, m.pplRatioStderr, 5);
    case KldMean:
        return base ? QStringLiteral("0") : plusMinus(m.kldMean, m.kldStderr, 6);
    case KldTail:
        return base ? QStringLiteral("0 / 0 / 0")
                    : QStringLiteral("%1 / %2 / %3")
                          .arg(m.kldMedian, 0, 'g', 3)
                          .arg(m.kldP99, 0, 'g', 3)
                          .arg(m.kldMax, 0, 'g', 3);
    case Top1:
        return base
                   ? QStringLiteral("100%")
                   : QStringLiteral("%1 ± %2").arg(percent(m.top1Agreement), percent(m.top1Stderr));
    case DeltaP:
        return base ? QStringLiteral("0") : plusMinus(m.deltaPMean, m.deltaPStderr, 5);
    case Size:
        return base ? cwb::formatBytes(m_result->baselineSize.totalBytes)
                    : tr("%1 · %2 smaller")
                          .arg(cwb::formatBytes(m_result->size.totalBytes),
                               percent(m_result->size.savingVsFp32(), 1));
    case Bpw:
        return QString::number(
            base ? m_result->baselineSize.bitsPerWeight : m_result->size.bitsPerWeight, 'f', 2);
    case RowCount:
        break;
    }
    return {};
}

QVariant ComparisonModel::value(Row row, Column column) const {
    if (!m_result || column == Metric)
        return {};
    const cwb::ComparisonMetrics& m = m_result->metrics;
    const bool base = column == Baseline;
    switch (row) {
    case Perplexity:
        return base ? m.basePpl : m.ppl;
    case PplRatio:
        return base ? 1.0 : m.pplRatio;
    case KldMean:
        return base ? 0.0 : m.kldMean;
    case KldTail:
        return base ? 0.0 : m.kldMedian;
    case Top1:
        return base ? 1.0 : m.top1Agreement;
    case DeltaP:
        return base ? 0.0 : m.deltaPMean;
    case Size:
        return qulonglong(base ? m_result->baselineSize.totalBytes : m_result->size.totalBytes);
    case Bpw:
        return base ? m_result->baselineSize.bitsPerWeight : m_result->size.bitsPerWeight;
    case RowCount:
        break;
    }
    return {};
}

QVariant ComparisonModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto row = Row(index.row());
    const auto column = Column(index.column());
    switch (role) {
    case Qt::DisplayRole:
        return text(row, column);
    case Qt::ToolTipRole:
        return wrappedToolTip(metricToolTip(row));
    case ValueRole:
        return value(row, column);
    case Qt::TextAlignmentRole:
        return column == Metric ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        // The metric names, and the baseline's values that hold by definition (a ratio of 1, a
        // divergence of 0), recede; measured numbers do not.
        if (column == Metric ||
            (column == Baseline && row != Perplexity && row != Size && row != Bpw && m_result))
            return QGuiApplication::palette().brush(QPalette::PlaceholderText);
        return {};
    default:
        return {};
    }
}

QVariant ComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::TextAlignmentRole)
        return section == Metric ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                 : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (section == Baseline)
            return tr("The model as loaded, every tensor in 32-bit floats, on the same tokens");
        if (section == Plan)
            return m_planName.isEmpty()
                       ? tr("The plan that was evaluated, quantized as its precisions say")
                       : tr("Plan “%1”, quantized as its precisions say").arg(m_planName);
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Metric:
        return tr("Metric");
    case Baseline:
        return tr("FP32 baseline");
    case Plan:
        // The plan's name can be long and a header does not elide; the status line and this
        // column's tooltip carry it.
        return tr("Plan");
    }
    return {};
}
