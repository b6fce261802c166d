// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStyledItemDelegate>

class QComboBox;

// Edits a Precision cell with a combo box of every precision in the table, each with its summary
// as tooltip. The list opens at once and a choice is committed as soon as it is made: choosing a
// precision is one gesture, not three.
class PrecisionDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    // A combo box listing every precision, with its colour and its summary as tooltip; the item
    // data is int(cwb::PrecisionId). Also used outside item views.
    static void fillPrecisionCombo(QComboBox* combo);
    // The small arrow an editable cell draws to say it opens a list, as a combo box would.
    static void paintListArrow(QPainter* painter, const QStyleOptionViewItem& option,
                               const QModelIndex& index);

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                          const QModelIndex& index) const override;
    void setEditorData(QWidget* editor, const QModelIndex& index) const override;
    void setModelData(QWidget* editor, QAbstractItemModel* model,
                      const QModelIndex& index) const override;
    void updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const override;
    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;

private:
    void commitAndCloseEditor();
};
