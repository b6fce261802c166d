// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationsitesmodel.h"

#include "tooltip.h"

#include <QRegularExpression>

#include <algorithm>

namespace {

// "blk.10.attn_in" after "blk.9.ffn_in", and the classifier's input last: the order the model
// runs them in.
std::pair<int, int> forwardOrder(const QString& site) {
    static const QRegularExpression block(QStringLiteral("^blk\\.(\\d+)\\.(\\w+)$"));
    static const QStringList kinds{QStringLiteral("attn_in"), QStringLiteral("attn_out"),
                                   QStringLiteral("ffn_in"), QStringLiteral("ffn_down_in")};
    const auto m = block.match(site);
    if (!m.hasMatch())
        return {1 << 30, 0};
    return {m.captured(1).toInt(), int(kinds.indexOf(m.captured(2)))};
}

QString channelList(const std::vector<int>& channels) {
    constexpr std::size_t kShown = 12;
    QStringList list;
    for (std::size_t i = 0; i < channels.size() && i < kShown; ++i)
        list << QString::number(channels[i]);
    if (channels.size() > kShown)
        list << QStringLiteral("… (%1 in all)").arg(channels.size());
    return list.join(QStringLiteral(", "));
}

} // namespace

void CalibrationSitesModel::setStatistics(std::shared_ptr<const cwb::CalibrationStats> stats) {
    beginResetModel();
    m_rows.clear();
    if (stats)
        for (const auto& [name, s] : stats->sites) {
            Row row;
            row.site = name;
            row.channels = s.channels;
            for (int j = 0; j < s.channels && std::size_t(j) < s.absMax.size(); ++j) {
                row.absMax = std::max(row.absMax, double(s.absMax[std::size_t(j)]));
                row.meanSquare = std::max(row.meanSquare, s.meanSquare(j));
            }
            row.outliers = s.outlierChannels();
            m_rows.push_back(std::move(row));
        }
    std::stable_sort(m_rows.begin(), m_rows.end(), [](const Row& a, const Row& b) {
        return forwardOrder(a.site) < forwardOrder(b.site);
    });
    endResetModel();
}

int CalibrationSitesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CalibrationSitesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CalibrationSitesModel::value(const Row& row, int column) const {
    switch (column) {
    case Site:
        return row.site;
    case Channels:
        return row.channels;
    case AbsMax:
        return row.absMax;
    case MeanSquare:
        return row.meanSquare;
    case Outliers:
        return int(row.outliers.size());
    }
    return {};
}

QVariant CalibrationSitesModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case AbsMax:
            return QString::number(row.absMax, 'f', 3);
        case MeanSquare:
            return QString::number(row.meanSquare, 'g', 4);
        case Outliers:
            return row.outliers.empty() ? tr("none") : channelList(row.outliers);
        default:
            return value(row, index.column());
        }
    case ValueRole:
        return value(row, index.column());
    case Qt::TextAlignmentRole:
        return index.column() == Site || index.column() == Outliers
                   ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                   : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        if (index.column() == Outliers && !row.outliers.empty())
            return wrappedToolTip(tr("%n channel(s) whose absmax exceeds 6 × the median "
                                     "channel's: %1",
                                     nullptr, int(row.outliers.size()))
                                      .arg(channelList(row.outliers)));
        return {};
    default:
        return {};
    }
}

QVariant CalibrationSitesModel::headerData(int section, Qt::Orientation orientation,
                                           int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::TextAlignmentRole) // over the cells, as they are aligned
        return section == Site || section == Outliers ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                                      : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Site:
            return tr("The input a group of matrices multiplies: q, k and v share the attention "
                      "input, gate and up the feed-forward input");
        case Channels:
            return tr("Width of the input: the matrices' row length");
        case AbsMax:
            return tr("The largest |x| any channel reached over the calibration tokens");
        case MeanSquare:
            return wrappedToolTip(tr("The largest channel's mean of x² over the calibration "
                                     "tokens: the importance llama.cpp's imatrix weighs "
                                     "quantization error by"));
        case Outliers:
            return tr("Channels whose absmax exceeds 6 × the median channel's");
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Site:
        return tr("Input");
    case Channels:
        return tr("Channels");
    case AbsMax:
        return tr("Absmax");
    case MeanSquare:
        return tr("Mean square");
    case Outliers:
        return tr("Outlier channels");
    }
    return {};
}
