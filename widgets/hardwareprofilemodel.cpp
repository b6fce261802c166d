// SPDX-License-Identifier: GPL-3.0-or-later
#include "hardwareprofilemodel.h"

#include "tooltip.h"

#include <QLocale>

HardwareProfileModel::HardwareProfileModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void HardwareProfileModel::setProfiles(std::vector<cwb::HardwareProfile> profiles) {
    beginResetModel();
    m_profiles = std::move(profiles);
    endResetModel();
}

const cwb::HardwareProfile* HardwareProfileModel::profileAt(int row) const {
    return row >= 0 && row < int(m_profiles.size()) ? &m_profiles[std::size_t(row)] : nullptr;
}

int HardwareProfileModel::rowOf(const QString& name) const {
    for (std::size_t i = 0; i < m_profiles.size(); ++i)
        if (m_profiles[i].name == name)
            return int(i);
    return -1;
}

int HardwareProfileModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_profiles.size());
}

int HardwareProfileModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant HardwareProfileModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const cwb::HardwareProfile& p = m_profiles[std::size_t(index.row())];
    const QLocale locale;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Name:
            return p.name;
        case Kind:
            return p.kind.toUpper();
        case Memory:
            return locale.toString(p.memoryGiB, 'g', 6);
        case Bandwidth:
            return locale.toString(p.bandwidthGBs, 'g', 6);
        case Int8:
            return locale.toString(p.int8Tops, 'g', 6);
        case Fp16:
            return locale.toString(p.fp16Tflops, 'g', 6);
        case Price:
            return QStringLiteral("$%1").arg(locale.toString(p.pricePerHour, 'f', 2));
        case Notes:
            return p.notes;
        }
    }
    if (role == Qt::ToolTipRole && index.column() == Notes && !p.notes.isEmpty())
        return wrappedToolTip(p.notes);
    if (role == Qt::ToolTipRole && index.column() == Name && p.shipped)
        return tr("From the example list shipped with Compression Workbench: replace its price "
                  "with yours");
    if (role == Qt::TextAlignmentRole)
        return index.column() >= Memory && index.column() <= Price
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    return {};
}

QVariant HardwareProfileModel::headerData(int section, Qt::Orientation orientation,
                                          int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Name:
            return tr("Name");
        case Kind:
            return tr("Kind");
        case Memory:
            return tr("Memory (GiB)");
        case Bandwidth:
            return tr("Bandwidth (GB/s)");
        case Int8:
            return tr("INT8 (TOPS)");
        case Fp16:
            return tr("FP16 (TFLOPS)");
        case Price:
            return tr("Price / hour");
        case Notes:
            return tr("Notes");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Memory:
            return tr("Memory the model, its KV cache and the runtime must fit in");
        case Bandwidth:
            return tr("Memory bandwidth: what decoding one token at a time is bound by");
        case Int8:
            return tr("Dense int8 peak, tera-operations per second (w8a8 prefill)");
        case Fp16:
            return tr("Dense fp16 peak, tera-FLOPs per second (prefill)");
        case Price:
            return tr("On-demand price per hour, in dollars");
        }
    }
    if (role == Qt::TextAlignmentRole)
        return section >= Memory && section <= Price ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                     : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    return {};
}
