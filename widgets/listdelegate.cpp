// SPDX-License-Identifier: GPL-3.0-or-later
#include "listdelegate.h"

#include <QComboBox>
#include <QPainter>
#include <QTimer>

ListDelegate::ListDelegate(QObject* parent, const QString& editorName, int role, bool wide)
    : QStyledItemDelegate(parent)
    , m_editorName(editorName)
    , m_role(role)
    , m_wide(wide) {}

QWidget* ListDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem&,
                                    const QModelIndex& index) const {
    auto* combo = new QComboBox(parent);
    combo->setObjectName(m_editorName);
    fillList(combo, index);
    connect(combo, &QComboBox::activated, this, &ListDelegate::commitAndCloseEditor);
    // Once the editor is placed and shown: the user opened it to choose.
    QTimer::singleShot(0, combo, [combo] {
        if (combo->isVisible())
            combo->showPopup();
    });
    return combo;
}

void ListDelegate::commitAndCloseEditor() {
    auto* editor = qobject_cast<QWidget*>(sender());
    emit commitData(editor);
    emit closeEditor(editor);
}

void ListDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
    auto* combo = static_cast<QComboBox*>(editor);
    combo->setCurrentIndex(combo->findData(currentChoice(index)));
}

void ListDelegate::setModelData(QWidget* editor, QAbstractItemModel* model,
                                const QModelIndex& index) const {
    auto* combo = static_cast<QComboBox*>(editor);
    const QVariant chosen = combo->currentData();
    if (chosen.isValid() && chosen != currentChoice(index))
        model->setData(index, chosen, m_role);
}

void ListDelegate::updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option,
                                        const QModelIndex&) const {
    // The combo box is taller than a compact row; centred on the cell it overlaps its
    // neighbours evenly instead of hanging below.
    QRect r = option.rect;
    const int height = std::max(r.height(), editor->sizeHint().height());
    r.setTop(r.center().y() - height / 2);
    r.setHeight(height);
    if (m_wide)
        r.setLeft(std::min(r.left(), r.right() - editor->sizeHint().width()));
    editor->setGeometry(r);
}

void ListDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                         const QModelIndex& index) const {
    QStyledItemDelegate::paint(painter, option, index);
    paintListArrow(painter, option, index);
}

void ListDelegate::paintListArrow(QPainter* painter, const QStyleOptionViewItem& option,
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
