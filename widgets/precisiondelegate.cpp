// SPDX-License-Identifier: GPL-3.0-or-later
#include "precisiondelegate.h"

#include "precisionplanmodel.h"
#include "precisionstyle.h"

#include <QAbstractItemView>
#include <QComboBox>
#include <QPainter>
#include <QTimer>

void PrecisionDelegate::fillPrecisionCombo(QComboBox* combo) {
    for (const cwb::PrecisionInfo& info : cwb::precisions()) {
        combo->addItem(precisionIcon(info.id), QLatin1String(info.name), int(info.id));
        combo->setItemData(combo->count() - 1, QLatin1String(info.summary), Qt::ToolTipRole);
    }
}

QWidget* PrecisionDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem&,
                                         const QModelIndex&) const {
    auto* combo = new QComboBox(parent);
    combo->setObjectName(QStringLiteral("precisionEditor"));
    fillPrecisionCombo(combo);
    connect(combo, &QComboBox::activated, this, &PrecisionDelegate::commitAndCloseEditor);
    // Once the editor is placed and shown: the user opened it to choose.
    QTimer::singleShot(0, combo, [combo] {
        if (combo->isVisible())
            combo->showPopup();
    });
    return combo;
}

void PrecisionDelegate::commitAndCloseEditor() {
    auto* editor = qobject_cast<QWidget*>(sender());
    emit commitData(editor);
    emit closeEditor(editor);
}

void PrecisionDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
    auto* combo = static_cast<QComboBox*>(editor);
    combo->setCurrentIndex(combo->findData(index.data(PrecisionPlanModel::PrecisionRole)));
}

void PrecisionDelegate::setModelData(QWidget* editor, QAbstractItemModel* model,
                                     const QModelIndex& index) const {
    auto* combo = static_cast<QComboBox*>(editor);
    // Only a real change reaches the model, so closing the list unchanged leaves no undo step.
    const QVariant chosen = combo->currentData();
    if (chosen.isValid() && chosen != index.data(PrecisionPlanModel::PrecisionRole))
        model->setData(index, chosen, PrecisionPlanModel::PrecisionRole);
}

void PrecisionDelegate::updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option,
                                             const QModelIndex&) const {
    // The combo box is taller than a compact row; centred on the cell it overlaps its
    // neighbours evenly instead of hanging below.
    QRect r = option.rect;
    const int height = std::max(r.height(), editor->sizeHint().height());
    r.setTop(r.center().y() - height / 2);
    r.setHeight(height);
    editor->setGeometry(r);
}

void PrecisionDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const {
    QStyledItemDelegate::paint(painter, option, index);
    paintListArrow(painter, option, index);
}

void PrecisionDelegate::paintListArrow(QPainter* painter, const QStyleOptionViewItem& option,
                                       const QModelIndex& index) {
    if (!(index.flags() & Qt::ItemIsEditable))
        return;
    QStyleOptionViewItem arrow = option;
    const int size = std::min(option.rect.height() - 6, 9);
    arrow.rect =
        QRect(option.rect.right() - size - 6, option.rect.center().y() - size / 2 + 1, size, size);
    arrow.palette.setColor(QPalette::ButtonText,
                           option.palette.color(option.state & QStyle::State_Selected
                                                    ? QPalette::HighlightedText
                                                    : QPalette::PlaceholderText));
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : nullptr;
    if (style)
        style->drawPrimitive(QStyle::PE_IndicatorArrowDown, &arrow, painter, widget);
}
