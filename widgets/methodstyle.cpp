// SPDX-License-Identifier: GPL-3.0-or-later
#include "methodstyle.h"

#include <QComboBox>
#include <QCoreApplication>

namespace {
QString tr(const char* text) {
    return QCoreApplication::translate("MethodStyle", text);
}
} // namespace

QString methodSummary(cwb::QuantMethod method) {
    switch (method) {
    case cwb::QuantMethod::Rtn:
        return tr("Round to nearest: each group of weights onto its grid. Needs no calibration.");
    case cwb::QuantMethod::SmoothQuant:
        return tr("SmoothQuant: per-input-channel scales max|x|^α / max|w|^(1−α) move activation "
                  "outliers into the weights, for w8a8; α as the plan sets it, or searched per "
                  "layer. Needs calibration.");
    case cwb::QuantMethod::Awq:
        return tr("AWQ: activation-aware scales mean|x|^α with α searched per layer for the "
                  "least output error, and grids chosen by the channels' importance. Needs "
                  "calibration.");
    case cwb::QuantMethod::Gptq:
        return tr("GPTQ: columns quantized one by one, each one's error compensated in the "
                  "columns not yet quantized through the inverse Hessian of the calibration "
                  "inputs. Needs calibration; integer precisions only.");
    }
    return {};
}

QString methodToolTip(cwb::QuantMethod method) {
    return QStringLiteral("%1 — %2").arg(cwb::methodName(method), methodSummary(method));
}

void fillMethodCombo(QComboBox* combo, bool defaultEntry, cwb::QuantMethod defaultMethod) {
    if (defaultEntry) {
        combo->addItem(tr("plan default (%1)").arg(cwb::methodName(defaultMethod)), -1);
        combo->setItemData(0, tr("Follow the plan's default method, set over the table"),
                           Qt::ToolTipRole);
    }
    for (auto m : {cwb::QuantMethod::Rtn, cwb::QuantMethod::SmoothQuant, cwb::QuantMethod::Awq,
                   cwb::QuantMethod::Gptq}) {
        combo->addItem(cwb::methodName(m), int(m));
        combo->setItemData(combo->count() - 1, methodSummary(m), Qt::ToolTipRole);
    }
}
