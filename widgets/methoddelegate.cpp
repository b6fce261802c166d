// SPDX-License-Identifier: GPL-3.0-or-later
#include "methoddelegate.h"

#include "methodstyle.h"
#include "precisionplanmodel.h"

// "plan default (smoothquant)" is wider than the column, the last one: the list grows left.
MethodDelegate::MethodDelegate(QObject* parent)
    : ListDelegate(parent, QStringLiteral("methodEditor"), PrecisionPlanModel::MethodRole, true) {}

void MethodDelegate::fillList(QComboBox* combo, const QModelIndex& index) const {
    fillMethodCombo(combo, true,
                    cwb::QuantMethod(index.data(PrecisionPlanModel::DefaultMethodRole).toInt()));
}

QVariant MethodDelegate::currentChoice(const QModelIndex& index) const {
    const bool own = index.data(PrecisionPlanModel::ExplicitMethodRole).toBool();
    return own ? index.data(PrecisionPlanModel::MethodRole).toInt() : -1;
}
