// SPDX-License-Identifier: GPL-3.0-or-later
#include "methodoptionsbar.h"

#include "methodstyle.h"
#include "precisionplanmodel.h"
#include "tooltip.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QJsonObject>
#include <QLabel>

namespace {

const QString kMethod = QStringLiteral("method");
const QString kAlpha = QStringLiteral("smoothquant_alpha");
const QString kDamping = QStringLiteral("gptq_damping");
const QString kActOrder = QStringLiteral("gptq_act_order");

// One step below α's range: the spin box's special value, "search".
constexpr double kSearch = -0.05;

QLabel* caption(const QString& text, QWidget* buddy, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    label->setBuddy(buddy);
    label->setToolTip(buddy->toolTip());
    return label;
}

} // namespace

MethodOptionsBar::MethodOptionsBar(PrecisionPlanModel* plan, QWidget* parent)
    : QWidget(parent)
    , m_plan(plan)
    , m_method(new QComboBox(this))
    , m_alpha(new QDoubleSpinBox(this))
    , m_damping(new QDoubleSpinBox(this))
    , m_actOrder(new QCheckBox(tr("Act order"), this)) {
    setObjectName(QStringLiteral("methodOptions"));

    m_method->setObjectName(QStringLiteral("defaultMethod"));
    fillMethodCombo(m_method);
    m_method->setToolTip(wrappedToolTip(
        tr("The method of every tensor whose Method cell is in italics. Every method but rtn "
           "needs calibration statistics: Evaluate calibrates first if there are none yet.")));

    m_alpha->setObjectName(QStringLiteral("smoothQuantAlpha"));
    m_alpha->setRange(kSearch, 1.0);
    m_alpha->setSingleStep(0.05);
    m_alpha->setDecimals(2);
    m_alpha->setSpecialValueText(tr("search"));
    m_alpha->setToolTip(wrappedToolTip(
        tr("SmoothQuant's migration strength α: 0 keeps the activations as they are, 1 moves all "
           "of their range into the weights. “search” tries α from 0 to 1 per layer and keeps "
           "the one with the least output error on the calibration samples.")));

    m_damping->setObjectName(QStringLiteral("gptqDamping"));
    m_damping->setRange(0.001, 1.0);
    m_damping->setSingleStep(0.005);
    m_damping->setDecimals(3);
    m_damping->setToolTip(wrappedToolTip(
        tr("GPTQ's damping: added to the Hessian's diagonal as a fraction of its mean, so that "
           "its inverse stays stable. 0.01 is GPTQ's usual value.")));

    m_actOrder->setObjectName(QStringLiteral("gptqActOrder"));
    m_actOrder->setToolTip(wrappedToolTip(
        tr("GPTQ's act order: quantize the columns whose inputs matter most (largest Hessian "
           "diagonal) first, while there are many columns left to take up their error.")));

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(caption(tr("&Method:"), m_method, this));
    layout->addWidget(m_method);
    layout->addSpacing(12);
    layout->addWidget(caption(tr("SmoothQuant &α:"), m_alpha, this));
    layout->addWidget(m_alpha);
    layout->addSpacing(12);
    layout->addWidget(caption(tr("GPTQ &damping:"), m_damping, this));
    layout->addWidget(m_damping);
    layout->addWidget(m_actOrder);
    layout->addStretch(1);

    connect(m_method, &QComboBox::activated, this, [this](int i) {
        edit(kMethod, cwb::methodName(cwb::QuantMethod(m_method->itemData(i).toInt())),
             tr("Set the Default Method to %1").arg(m_method->itemText(i)));
    });
    connect(m_alpha, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        const bool search = v <= kSearch + 1e-9;
        edit(kAlpha, search ? QJsonValue(QStringLiteral("search")) : QJsonValue(v),
             tr("Set SmoothQuant α"));
    });
    connect(m_damping, &QDoubleSpinBox::valueChanged, this,
            [this](double v) { edit(kDamping, v, tr("Set GPTQ Damping")); });
    connect(m_actOrder, &QCheckBox::toggled, this, [this](bool on) {
        edit(kActOrder, on, on ? tr("Turn GPTQ Act Order On") : tr("Turn GPTQ Act Order Off"));
    });
    connect(plan, &PrecisionPlanModel::calibrationSettingsChanged, this,
            &MethodOptionsBar::showSettings);
    connect(plan, &QAbstractItemModel::modelReset, this, &MethodOptionsBar::showSettings);
    showSettings();
}

void MethodOptionsBar::showSettings() {
    m_showing = true;
    const cwb::MethodOptions o = m_plan->methodOptions();
    m_method->setCurrentIndex(m_method->findData(int(m_plan->defaultMethod())));
    m_alpha->setValue(o.alpha.value_or(kSearch));
    m_damping->setValue(o.gptqDamping);
    m_actOrder->setChecked(o.gptqActOrder);
    setEnabled(m_plan->model() != nullptr);
    m_showing = false;
}

void MethodOptionsBar::edit(const QString& key, const QJsonValue& value, const QString& text) {
    if (m_showing)
        return;
    QJsonObject settings = m_plan->calibrationSettings();
    settings.insert(key, value);
    // A spin box reports every value it passes through; its steps are one undo step.
    const bool spin = key == kAlpha || key == kDamping;
    m_plan->setCalibrationSettings(settings, text, spin ? key : QString());
}
