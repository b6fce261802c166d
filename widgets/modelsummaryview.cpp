// SPDX-License-Identifier: GPL-3.0-or-later
#include "modelsummaryview.h"

#include <QFormLayout>
#include <QLabel>

ModelSummaryView::ModelSummaryView(QWidget* parent)
    : QScrollArea(parent) {
    setObjectName(QStringLiteral("modelSummary"));
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
    // Read as part of the group box around it, not as a sunken well.
    viewport()->setAutoFillBackground(false);
    auto* content = new QWidget(this);
    content->setAutoFillBackground(false);
    m_form = new QFormLayout(content);
    m_form->setLabelAlignment(Qt::AlignRight | Qt::AlignTop);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    setWidget(content);
    setSummary({}, {});
}

void ModelSummaryView::setSummary(const Rows& rows, const QStringList& warnings) {
    while (m_form->rowCount() > 0)
        m_form->removeRow(0);
    m_rows = rows;
    if (rows.isEmpty()) {
        auto* hint = new QLabel(tr("No model is open. Use File ▸ Open Model, or drop a GGUF file "
                                   "or a llama2.c checkpoint on the window."));
        hint->setWordWrap(true);
        hint->setForegroundRole(QPalette::PlaceholderText);
        m_form->addRow(hint);
    }
    for (const auto& [label, value] : rows)
        addRow(label, value);
    for (const QString& w : warnings)
        addRow(tr("Warning"), w, true);
}

QString ModelSummaryView::value(const QString& label) const {
    for (const auto& [l, v] : m_rows)
        if (l == label)
            return v;
    return {};
}

void ModelSummaryView::addRow(const QString& label, const QString& value, bool warning) {
    auto* name = new QLabel(label + QLatin1Char(':'));
    name->setForegroundRole(QPalette::PlaceholderText);
    auto* field = new QLabel(value);
    field->setWordWrap(true);
    field->setTextInteractionFlags(Qt::TextSelectableByMouse);
    if (warning) {
        QPalette p = field->palette();
        p.setColor(QPalette::WindowText, QColor(0xb3, 0x5c, 0x00));
        field->setPalette(p);
    }
    m_form->addRow(name, field);
}
