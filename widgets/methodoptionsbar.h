// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonValue>
#include <QWidget>

class PrecisionPlanModel;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;

// The plan's calibration settings in one row over the tensor table: the default method, and
// the options of the methods that have some (SmoothQuant's α, a number or searched per layer;
// GPTQ's damping and act order). They are the plan file's "calibration" object, and every change
// is an undo step of the plan.
class MethodOptionsBar : public QWidget {
    Q_OBJECT
public:
    explicit MethodOptionsBar(PrecisionPlanModel* plan, QWidget* parent = nullptr);

    QComboBox* defaultMethodCombo() const { return m_method; }
    // At its minimum it shows "search": α searched per layer.
    QDoubleSpinBox* alphaSpin() const { return m_alpha; }
    QDoubleSpinBox* dampingSpin() const { return m_damping; }
    QCheckBox* actOrderCheck() const { return m_actOrder; }

private:
    void showSettings();
    void edit(const QString& key, const QJsonValue& value, const QString& text);

    PrecisionPlanModel* m_plan;
    QComboBox* m_method;
    QDoubleSpinBox* m_alpha;
    QDoubleSpinBox* m_damping;
    QCheckBox* m_actOrder;
    bool m_showing = false;
};
