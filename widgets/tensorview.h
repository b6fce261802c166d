// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plan.h"
#include "precision.h"
#include "tensorrow.h"

#include <optional>

#include <QWidget>

class PrecisionPlanModel;
class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QSortFilterProxyModel;
class QTableView;
class TensorTableModel;

// The tensor table with a name filter: sortable by any column, file order until the user sorts.
// With a plan model, its Precision and Method columns are edited in place, and the selected rows
// can be set to one precision or one method together (the combo boxes over the table, or the
// context menu).
class TensorView : public QWidget {
    Q_OBJECT
public:
    explicit TensorView(QWidget* parent = nullptr);

    void setRows(QList<TensorRow> rows);
    void setPlanModel(PrecisionPlanModel* plan);

    // Rows of the source model (and of the plan model) that are selected, in file order.
    QList<int> selectedRows() const;
    // "Set Precision of N Tensors ▸ fp32, fp16…", acting on the selection; nullptr if no model.
    QMenu* createPrecisionMenu(QWidget* parent);
    // "Set Method of N Tensors ▸ plan default, rtn, smoothquant…"; nullptr if no model.
    QMenu* createMethodMenu(QWidget* parent);
    // The tensor of the current row, or an empty string.
    QString currentTensor() const;
    // Makes `name`'s row current and the only one selected, clearing a filter that hides it, and
    // scrolls to it. Returns false if the table has no such tensor.
    bool selectTensor(const QString& name);

    TensorTableModel* sourceModel() const { return m_model; }
    QSortFilterProxyModel* proxyModel() const { return m_proxy; }
    QTableView* tableView() const { return m_table; }
    QLineEdit* filterEdit() const { return m_filter; }
    QComboBox* applyCombo() const { return m_apply; }
    QComboBox* applyMethodCombo() const { return m_applyMethod; }

signals:
    // The current row moved to another tensor (an empty name: none).
    void currentTensorChanged(const QString& name);

private:
    void applyFilter(const QString& pattern);
    void updateCount();
    void updateSelectionActions();
    void applyToSelection(cwb::PrecisionId precision);
    void applyMethodToSelection(std::optional<cwb::QuantMethod> method);
    int selectedQuantizable() const;
    void showContextMenu(const QPoint& position);

    TensorTableModel* m_model;
    QSortFilterProxyModel* m_proxy;
    PrecisionPlanModel* m_plan = nullptr;
    QLineEdit* m_filter;
    QLabel* m_count;
    QComboBox* m_apply;
    QComboBox* m_applyMethod;
    QTableView* m_table;
};
