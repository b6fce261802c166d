// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorview.h"

#include "tensortablemodel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

TensorView::TensorView(QWidget* parent)
    : QWidget(parent)
    , m_model(new TensorTableModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_filter(new QLineEdit(this))
    , m_count(new QLabel(this))
    , m_table(new QTableView(this)) {
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(TensorTableModel::SortRole);
    m_proxy->setFilterKeyColumn(TensorTableModel::Name);

    m_filter->setObjectName(QStringLiteral("tensorFilter"));
    m_filter->setPlaceholderText(tr("Filter by name (regular expression, as plans match)"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, &TensorView::applyFilter);

    m_table->setObjectName(QStringLiteral("tensorTable"));
    m_table->setModel(m_proxy);
    m_table->setAlternatingRowColors(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    auto* header = m_table->horizontalHeader();
    header->setSectionResizeMode(TensorTableModel::Name, QHeaderView::Stretch);
    for (int c = TensorTableModel::Shape; c < TensorTableModel::ColumnCount; ++c)
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    // No sort indicator: the table starts in file order, blocks in sequence.
    header->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);

    connect(m_proxy, &QAbstractItemModel::modelReset, this, &TensorView::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &TensorView::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &TensorView::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &TensorView::updateCount);

    auto* top = new QHBoxLayout;
    top->addWidget(m_filter, 1);
    top->addWidget(m_count);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);
    updateCount();
}

void TensorView::setRows(QList<TensorRow> rows) {
    m_model->setRows(std::move(rows));
}

void TensorView::applyFilter(const QString& pattern) {
    const QRegularExpression re(pattern, QRegularExpression::CaseInsensitiveOption);
    // Keep the last good filter while a pattern is half typed.
    if (!re.isValid()) {
        m_filter->setToolTip(re.errorString());
        return;
    }
    m_filter->setToolTip({});
    m_proxy->setFilterRegularExpression(re);
    updateCount();
}

void TensorView::updateCount() {
    const int total = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    const QString tensors = total == 1 ? tr("1 tensor") : tr("%1 tensors").arg(total);
    m_count->setText(shown == total ? tensors : tr("%1 of %2").arg(shown).arg(tensors));
}
