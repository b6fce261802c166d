// SPDX-License-Identifier: GPL-3.0-or-later
#include "precisiondelegate.h"

#include "precisionplanmodel.h"
#include "precisionstyle.h"

#include <QComboBox>

PrecisionDelegate::PrecisionDelegate(QObject* parent)
    : ListDelegate(parent, QStringLiteral("precisionEditor"), PrecisionPlanModel::PrecisionRole,
                   false) {}

void PrecisionDelegate::fillPrecisionCombo(QComboBox* combo) {
    for (const cwb::PrecisionInfo& info : cwb::precisions()) {
        combo->addItem(precisionIcon(info.id), QLatin1String(info.name), int(info.id));
        combo->setItemData(combo->count() - 1, QLatin1String(info.summary), Qt::ToolTipRole);
    }
}

void PrecisionDelegate::fillList(QComboBox* combo, const QModelIndex&) const {
    fillPrecisionCombo(combo);
}

QVariant PrecisionDelegate::currentChoice(const QModelIndex& index) const {
    return index.data(PrecisionPlanModel::PrecisionRole);
}
