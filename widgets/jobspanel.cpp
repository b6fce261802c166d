// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobspanel.h"

#include "joblistmodel.h"
#include "jobrunner.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace {

// The Progress column as a progress bar, empty while the job waits.
class ProgressDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override {
        const double fraction = index.data(JobListModel::FractionRole).toDouble();
        if (fraction < 0) {
            QStyledItemDelegate::paint(painter, option, index);
            return;
        }
        QStyleOptionProgressBar bar;
        bar.rect = option.rect.adjusted(2, 3, -2, -3);
        bar.minimum = 0;
        bar.maximum = 1000;
        bar.progress = int(fraction * 1000);
        bar.text = index.data().toString();
        bar.textVisible = true;
        bar.textAlignment = Qt::AlignCenter;
        bar.state = option.state | QStyle::State_Horizontal;
        bar.palette = option.palette;
        const QWidget* widget = option.widget;
        QStyle* style = widget ? widget->style() : QApplication::style();
        style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
    }
};

} // namespace

JobsPanel::JobsPanel(JobRunner* runner, QWidget* parent)
    : QWidget(parent)
    , m_runner(runner)
    , m_model(new JobListModel(runner, this))
    , m_view(new QTreeView(this))
    , m_empty(new QLabel(tr("No job is running or waiting."), this))
    , m_cancelAll(new QToolButton(this)) {
    m_view->setObjectName(QStringLiteral("jobsView"));
    m_view->setModel(m_model);
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true);
    m_view->setSelectionMode(QAbstractItemView::NoSelection);
    m_view->setFocusPolicy(Qt::NoFocus);
    m_view->setItemDelegateForColumn(JobListModel::Progress, new ProgressDelegate(m_view));
    QHeaderView* header = m_view->header();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(JobListModel::Name, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(JobListModel::Stage, QHeaderView::Stretch);
    header->setSectionResizeMode(JobListModel::Progress, QHeaderView::Fixed);
    header->resizeSection(JobListModel::Progress, 110);
    header->setSectionResizeMode(JobListModel::Elapsed, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(JobListModel::Cancel, QHeaderView::ResizeToContents);

    m_empty->setObjectName(QStringLiteral("noJobsLabel"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setEnabled(false);

    m_cancelAll->setObjectName(QStringLiteral("cancelAllJobsButton"));
    m_cancelAll->setText(tr("Cancel All"));
    m_cancelAll->setToolTip(tr("Cancel every running and waiting job"));
    connect(m_cancelAll, &QToolButton::clicked, runner, &JobRunner::requestCancelAll);

    auto* bottom = new QHBoxLayout;
    bottom->addWidget(m_empty, 1);
    bottom->addWidget(m_cancelAll);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_view, 1);
    layout->addLayout(bottom);

    connect(m_model, &QAbstractItemModel::modelReset, this, &JobsPanel::rebuildButtons);
    rebuildButtons();
}

QToolButton* JobsPanel::cancelButton(int row) const {
    return qobject_cast<QToolButton*>(
        m_view->indexWidget(m_model->index(row, JobListModel::Cancel)));
}

// The model is reset whenever a job comes or goes, which takes the index widgets with it.
void JobsPanel::rebuildButtons() {
    for (int row = 0; row < m_model->rowCount(); ++row) {
        auto* button = new QToolButton(m_view);
        button->setObjectName(QStringLiteral("cancelJobButton"));
        button->setAutoRaise(true);
        button->setIcon(style()->standardIcon(QStyle::SP_DialogCancelButton));
        button->setText(tr("Cancel"));
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        const QModelIndex at = m_model->index(row, JobListModel::Cancel);
        button->setToolTip(at.data(Qt::ToolTipRole).toString());
        const quint64 id = m_model->jobId(row);
        connect(button, &QToolButton::clicked, m_runner,
                [this, id] { m_runner->requestCancel(id); });
        m_view->setIndexWidget(at, button);
    }
    const bool empty = m_model->rowCount() == 0;
    m_empty->setVisible(empty);
    m_cancelAll->setEnabled(!empty);
}
