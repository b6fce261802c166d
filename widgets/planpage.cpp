// SPDX-License-Identifier: GPL-3.0-or-later
#include "planpage.h"

#include "budgetbar.h"
#include "methodoptionsbar.h"
#include "precisionplanmodel.h"
#include "tensorview.h"
#include "warningstrip.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QUndoStack>
#include <QVBoxLayout>

PlanPage::PlanPage(PrecisionPlanModel* plan, QWidget* parent)
    : QWidget(parent)
    , m_plan(plan)
    , m_warnings(new WarningStrip(this))
    , m_name(new QLineEdit(this))
    , m_state(new QLabel(this))
    , m_methods(new MethodOptionsBar(plan, this))
    , m_tensors(new TensorView(this))
    , m_budget(new BudgetBar(this)) {
    setObjectName(QStringLiteral("planPage"));
    m_tensors->setPlanModel(plan);

    m_name->setObjectName(QStringLiteral("planName"));
    m_name->setPlaceholderText(tr("Untitled plan"));
    m_name->setToolTip(tr("The plan's name, saved in the plan file and shown with its results"));
    connect(m_name, &QLineEdit::textEdited, plan, &PrecisionPlanModel::setName);
    connect(plan, &PrecisionPlanModel::nameChanged, this, [this](const QString& name) {
        if (m_name->text() != name)
            m_name->setText(name);
    });
    m_state->setObjectName(QStringLiteral("planState"));
    m_state->setForegroundRole(QPalette::PlaceholderText);

    auto* nameRow = new QHBoxLayout;
    auto* caption = new QLabel(tr("&Plan:"), this);
    caption->setBuddy(m_name);
    nameRow->addWidget(caption);
    nameRow->addWidget(m_name, 1);
    nameRow->addWidget(m_state);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_warnings);
    layout->addLayout(nameRow);
    layout->addWidget(m_methods);
    layout->addWidget(m_tensors, 1);
    layout->addSpacing(2);
    layout->addWidget(m_budget);

    connect(plan, &PrecisionPlanModel::choicesChanged, this, &PlanPage::updateBudget);
    connect(plan, &PrecisionPlanModel::choicesChanged, this, &PlanPage::updateState);
    connect(plan->undoStack(), &QUndoStack::cleanChanged, this, &PlanPage::updateState);
    connect(plan, &QAbstractItemModel::modelReset, m_warnings, &WarningStrip::dismiss);
    updateBudget();
    updateState();
}

void PlanPage::updateBudget() {
    if (m_plan->model())
        m_budget->setSize(m_plan->size());
    else
        m_budget->clear();
}

void PlanPage::updateState() {
    m_name->setEnabled(m_plan->model() != nullptr);
    // Saved or loaded plans are "clean"; an edit since then is worth a word, not a dialog.
    m_state->setText(m_plan->undoStack()->isClean() ? QString() : tr("modified"));
}
