// SPDX-License-Identifier: GPL-3.0-or-later
#include "layermapmodel.h"

#include "model.h"
#include "precisionstyle.h"
#include "tooltip.h"

#include <QColor>

#include <array>
#include <cmath>

namespace {

// A sequential scale from pale yellow (small) through orange to dark red (large), readable with
// the common colour-vision deficiencies.
constexpr std::array<QRgb, 5> kScale = {0xffffcc, 0xfed976, 0xfd8d3c, 0xe31a1c, 0x800026};

QString formatValue(double v, LayerMapModel::Mode mode) {
    if (mode == LayerMapModel::Mode::QuantError)
        return v == 0 ? QStringLiteral("0") : QStringLiteral("%1%").arg(v * 100, 0, 'g', 2);
    return QString::number(v, 'g', 3);
}

} // namespace

LayerMapModel::LayerMapModel(QObject* parent)
    : QAbstractTableModel(parent) {}

const QStringList& LayerMapModel::kinds() {
    static const QStringList k = {QStringLiteral("attn_q"),   QStringLiteral("attn_k"),
                                  QStringLiteral("attn_v"),   QStringLiteral("attn_output"),
                                  QStringLiteral("ffn_gate"), QStringLiteral("ffn_up"),
                                  QStringLiteral("ffn_down")};
    return k;
}

const QStringList& LayerMapModel::kindLabels() {
    static const QStringList l = {
        QStringLiteral("q"),    QStringLiteral("k"),  QStringLiteral("v"),   QStringLiteral("o"),
        QStringLiteral("gate"), QStringLiteral("up"), QStringLiteral("down")};
    return l;
}

QColor LayerMapModel::scaleColor(double t) {
    t = std::clamp(t, 0.0, 1.0) * double(kScale.size() - 1);
    const auto i = std::min(std::size_t(t), kScale.size() - 2);
    const double f = t - double(i);
    const QColor a(kScale[i]), b(kScale[i + 1]);
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * f),
                            float(a.greenF() + (b.greenF() - a.greenF()) * f),
                            float(a.blueF() + (b.blueF() - a.blueF()) * f));
}

void LayerMapModel::setModel(const std::shared_ptr<const cwb::Model>& model) {
    beginResetModel();
    m_names.clear();
    m_errors.clear();
    m_sensitivity.clear();
    m_precisions.clear();
    m_range.reset();
    if (model) {
        for (int layer = 0; layer < model->config.layers; ++layer) {
            QStringList row;
            for (const QString& kind : kinds()) {
                const QString name = cwb::blockTensorName(layer, qPrintable(kind));
                row << (model->find(name) ? name : QString());
            }
            m_names << row;
        }
    }
    endResetModel();
}

void LayerMapModel::setMode(Mode mode) {
    if (mode == m_mode)
        return;
    m_mode = mode;
    refreshAll();
}

void LayerMapModel::setPrecisions(const QHash<QString, cwb::PrecisionId>& precisions) {
    m_precisions = precisions;
    refreshAll();
}

void LayerMapModel::setErrors(const QHash<QString, double>& errors) {
    m_errors = errors;
    refreshAll();
}

void LayerMapModel::setSensitivity(const QHash<QString, double>& sensitivity) {
    m_sensitivity = sensitivity;
    refreshAll();
}

void LayerMapModel::refreshAll() {
    m_range = computeRange();
    if (rowCount() > 0)
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

QString LayerMapModel::tensorAt(const QModelIndex& index) const {
    if (!index.isValid() || index.row() >= m_names.size() || index.column() >= kinds().size())
        return {};
    return m_names.at(index.row()).at(index.column());
}

QModelIndex LayerMapModel::indexOf(const QString& tensor) const {
    for (int r = 0; r < m_names.size(); ++r) {
        const int c = int(m_names[r].indexOf(tensor));
        if (c >= 0)
            return index(r, c);
    }
    return {};
}

std::optional<double> LayerMapModel::value(const QString& tensor) const {
    const QHash<QString, double>& values = m_mode == Mode::QuantError ? m_errors : m_sensitivity;
    const auto it = values.constFind(tensor);
    if (m_mode == Mode::Precision || it == values.cend() || !std::isfinite(*it))
        return std::nullopt;
    return *it;
}

std::optional<std::pair<double, double>> LayerMapModel::computeRange() const {
    std::optional<std::pair<double, double>> range;
    for (const QStringList& row : m_names)
        for (const QString& name : row) {
            const std::optional<double> v = name.isEmpty() ? std::nullopt : value(name);
            if (!v || *v <= 0)
                continue;
            if (!range)
                range = std::pair(*v, *v);
            range->first = std::min(range->first, *v);
            range->second = std::max(range->second, *v);
        }
    return range;
}

QColor LayerMapModel::background(const QString& tensor) const {
    if (m_mode == Mode::Precision) {
        const auto it = m_precisions.constFind(tensor);
        return precisionColor(it == m_precisions.cend() ? cwb::PrecisionId::Fp32 : *it);
    }
    const std::optional<double> v = value(tensor);
    if (!v)
        return {};
    const auto& range = m_range;
    if (*v <= 0 || !range)
        return scaleColor(0);
    const double span = std::log(range->second) - std::log(range->first);
    return scaleColor(span > 0 ? (std::log(*v) - std::log(range->first)) / span : 1.0);
}

QString LayerMapModel::toolTip(const QString& tensor) const {
    const auto p = m_precisions.constFind(tensor);
    const cwb::PrecisionId precision = p == m_precisions.cend() ? cwb::PrecisionId::Fp32 : *p;
    QString text = tr("%1 in %2.").arg(tensor, QLatin1String(cwb::precisionInfo(precision).name));
    const auto e = m_errors.constFind(tensor);
    if (e != m_errors.cend())
        text += QLatin1Char(' ') +
                tr("Relative weight error ‖W − Q(W)‖ / ‖W‖ with the reference quantizer: %1.")
                    .arg(formatValue(*e, Mode::QuantError));
    const auto s = m_sensitivity.constFind(tensor);
    if (s != m_sensitivity.cend())
        text += QLatin1Char(' ') + tr("Sensitivity: %1.").arg(formatValue(*s, Mode::Sensitivity));
    return wrappedToolTip(text + QLatin1Char(' ') + tr("Click to select it in the tensor table."));
}

int LayerMapModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_names.size());
}

int LayerMapModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(kinds().size());
}

QVariant LayerMapModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QString tensor = tensorAt(index);
    if (tensor.isEmpty())
        return {};
    switch (role) {
    case NameRole:
        return tensor;
    case ValueRole: {
        const std::optional<double> v = value(tensor);
        return v ? QVariant(*v) : QVariant();
    }
    case Qt::DisplayRole: {
        if (m_mode == Mode::Precision) {
            const auto p = m_precisions.constFind(tensor);
            return QLatin1String(
                cwb::precisionInfo(p == m_precisions.cend() ? cwb::PrecisionId::Fp32 : *p).name);
        }
        const std::optional<double> v = value(tensor);
        return v ? formatValue(*v, m_mode) : QString();
    }
    case Qt::BackgroundRole: {
        const QColor c = background(tensor);
        return c.isValid() ? QVariant(c) : QVariant();
    }
    case Qt::ForegroundRole: {
        const QColor c = background(tensor);
        if (!c.isValid())
            return {};
        return QColor(c.lightnessF() > 0.55 ? Qt::black : Qt::white);
    }
    case Qt::TextAlignmentRole:
        return int(Qt::AlignCenter);
    case Qt::ToolTipRole:
        return toolTip(tensor);
    }
    return {};
}

QVariant LayerMapModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role == Qt::DisplayRole)
        return orientation == Qt::Horizontal ? QVariant(kindLabels().value(section))
                                             : QVariant(tr("blk %1").arg(section));
    if (role == Qt::ToolTipRole && orientation == Qt::Horizontal)
        return tr("blk.N.%1.weight").arg(kinds().value(section));
    return QAbstractTableModel::headerData(section, orientation, role);
}

Qt::ItemFlags LayerMapModel::flags(const QModelIndex& index) const {
    if (tensorAt(index).isEmpty())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}
