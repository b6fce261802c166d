// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class BudgetBar;
class MethodOptionsBar;
class PrecisionPlanModel;
class QLabel;
class QLineEdit;
class TensorView;
class WarningStrip;

// The plan being edited, around the tensor table: its name, its calibration settings, the table
// with its Precision and Method columns, the budget bar under it, and a strip for what loading a
// plan had to say.
class PlanPage : public QWidget {
    Q_OBJECT
public:
    PlanPage(PrecisionPlanModel* plan, QWidget* parent = nullptr);

    TensorView* tensorView() const { return m_tensors; }
    BudgetBar* budgetBar() const { return m_budget; }
    WarningStrip* warningStrip() const { return m_warnings; }
    QLineEdit* nameEdit() const { return m_name; }
    MethodOptionsBar* methodOptions() const { return m_methods; }

private:
    void updateBudget();
    void updateState();

    PrecisionPlanModel* m_plan;
    WarningStrip* m_warnings;
    QLineEdit* m_name;
    QLabel* m_state;
    MethodOptionsBar* m_methods;
    TensorView* m_tensors;
    BudgetBar* m_budget;
};
