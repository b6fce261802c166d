// SPDX-License-Identifier: GPL-3.0-or-later
#include "methoddelegate.h"

#include "methodstyle.h"
#include "precisiondelegate.h"
#include "precisionplanmodel.h"

#include <QComboBox>
#include <QTimer>

QWidget* MethodDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem&,
                                      const QModelIndex& index) const {
    auto* combo = new QComboBox(parent);
    combo->setObjectName(QStringLiteral("methodEditor"));
    fillMethodCombo(combo, true,
                    cwb::QuantMethod(index.data(PrecisionPlanModel::DefaultMethodRole).toInt()));
    connect(combo, &QComboBox::activated, this, &MethodDelegate::commitAndCloseEditor);
    // Once the editor is placed and shown: the user opened it to choose.
    QTimer::singleShot(0, combo, [combo] {
        if (combo->isVisible())
            combo->showPopup();
    });
    return combo;
}

void MethodDelegate::commitAndCloseEditor() {
    auto* editor = qobject_cast<QWidget*>(sender());
    emit commitData(editor);
    emit closeEditor(editor);
}

void MethodDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
    auto* combo = static_cast<QComboBox*>(editor);
    const bool own = index.data(PrecisionPlanModel::ExplicitMethodRole).toBool();
    combo->setCurrentIndex(
        combo->findData(own ? index.data(PrecisionPlanModel::MethodRole).toInt() : -1));
}

void MethodDelegate::setModelData(QWidget* editor, QAbstractItemModel* model,
                                  const QModelIndex& index) const {
    auto* combo = static_cast<QComboBox*>(editor);
    const QVariant chosen = combo->currentData();
    if (!chosen.isValid())
        return;
    // Only a real change reaches the model, so closing the list unchanged leaves no undo step.
    const bool own = index.data(PrecisionPlanModel::ExplicitMethodRole).toBool();
    const int current = own ? index.data(PrecisionPlanModel::MethodRole).toInt() : -1;
    if (chosen.toInt() != current)
        model->setData(index, chosen, PrecisionPlanModel::MethodRole);
}

void MethodDelegate::updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option,
                                          const QModelIndex&) const {
    // Centred on the cell, as the precision editor is.
    QRect r = option.rect;
    const int height = std::max(r.height(), editor->sizeHint().height());
    r.setTop(r.center().y() - height / 2);
    r.setHeight(height);
    // "plan default (smoothquant)" is wider than the column, the last one: grow to the left.
    r.setLeft(std::min(r.left(), r.right() - editor->sizeHint().width()));
    editor->setGeometry(r);
}

void MethodDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                           const QModelIndex& index) const {
    QStyledItemDelegate::paint(painter, option, index);
    PrecisionDelegate::paintListArrow(painter, option, index);
}
