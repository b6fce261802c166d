// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStyledItemDelegate>

class QComboBox;

// Edits a cell with a combo box whose list opens at once; a choice is committed as soon as it
// is made, so choosing is one gesture, not three. Only a real change reaches the model, so
// closing the list unchanged leaves no undo step. Editable cells draw a small arrow to say they
// open a list. Subclasses say what the list holds and which value of the cell it edits.
class ListDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
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

protected:
    // `editorName` names the combo box (for tests); `role` is the model role a choice is written
    // to; a list `wide` than its column grows to the left, over its neighbours.
    ListDelegate(QObject* parent, const QString& editorName, int role, bool wide);
    virtual void fillList(QComboBox* combo, const QModelIndex& index) const = 0;
    // The item data of the entry the cell holds now.
    virtual QVariant currentChoice(const QModelIndex& index) const = 0;

private:
    void commitAndCloseEditor();

    QString m_editorName;
    int m_role;
    bool m_wide;
};
