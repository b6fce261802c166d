// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "tensorrow.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class TensorTableModel;

// The tensor table with a name filter: sortable by any column, file order until the user sorts.
class TensorView : public QWidget {
    Q_OBJECT
public:
    explicit TensorView(QWidget* parent = nullptr);

    void setRows(QList<TensorRow> rows);

    TensorTableModel* sourceModel() const { return m_model; }
    QSortFilterProxyModel* proxyModel() const { return m_proxy; }
    QTableView* tableView() const { return m_table; }
    QLineEdit* filterEdit() const { return m_filter; }

private:
    void applyFilter(const QString& pattern);
    void updateCount();

    TensorTableModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QLineEdit* m_filter;
    QLabel* m_count;
    QTableView* m_table;
};
