// SPDX-License-Identifier: GPL-3.0-or-later
#include "runlistpanel.h"

#include "errordialog.h"
#include "runlibrary.h"
#include "runlistmodel.h"
#include "runlistproxy.h"
#include "tooltip.h"
#include "warningstrip.h"

#include <QAction>
#include <QCheckBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStyle>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace {
const QString kThisModelOnlyKey = QStringLiteral("runs/thisModelOnly");
const QString kHeaderKey = QStringLiteral("runs/listHeader");
} // namespace

RunListPanel::RunListPanel(RunLibrary* library, QWidget* parent)
    : QWidget(parent)
    , m_library(library)
    , m_model(new RunListModel(this))
    , m_proxy(new RunListProxy(this))
    , m_problem(new WarningStrip(this))
    , m_filter(new QLineEdit(this))
    , m_thisModelOnly(new QCheckBox(tr("This model only"), this))
    , m_view(new QTableView(this))
    , m_status(new QLabel(this)) {
    setObjectName(QStringLiteral("runListPanel"));
    m_proxy->setSourceModel(m_model);

    m_filter->setObjectName(QStringLiteral("runFilter"));
    m_filter->setPlaceholderText(tr("Filter by run, kind, model, plan or status"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_proxy->setFilterText(text);
        updateStatus();
    });
    m_thisModelOnly->setObjectName(QStringLiteral("thisModelOnly"));
    m_thisModelOnly->setToolTip(tr(
        "Only the runs of the open model (the same file contents, wherever it was opened from)"));
    m_thisModelOnly->setChecked(QSettings().value(kThisModelOnlyKey, true).toBool());
    m_proxy->setThisModelOnly(m_thisModelOnly->isChecked());
    connect(m_thisModelOnly, &QCheckBox::toggled, this, [this](bool on) {
        m_proxy->setThisModelOnly(on);
        QSettings().setValue(kThisModelOnlyKey, on);
        // One model's runs need no column to say which model.
        m_view->setColumnHidden(RunListModel::Model, on);
        updateStatus();
    });

    m_view->setObjectName(QStringLiteral("runListView"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(RunListModel::Id, Qt::DescendingOrder); // newest first
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    QHeaderView* header = m_view->horizontalHeader();
    header->setHighlightSections(false);
    header->setSectionsMovable(true);
    header->setStretchLastSection(false);
    header->setSectionResizeMode(QHeaderView::Interactive);
    // Room for the values the columns hold, so a fresh window needs no dragging.
    const QFontMetrics fm = m_view->fontMetrics();
    const auto width = [&fm](const QString& sample) { return fm.horizontalAdvance(sample) + 24; };
    header->resizeSection(RunListModel::Id, width(QStringLiteral("Run 000")));
    header->resizeSection(RunListModel::Started, width(QStringLiteral("2026-11-30 23:59")));
    header->resizeSection(RunListModel::Kind, width(QStringLiteral("calibration")));
    header->resizeSection(RunListModel::Model, width(QStringLiteral("stories260K.bin")));
    header->resizeSection(RunListModel::Name, width(QStringLiteral("int4, attention int8")));
    header->resizeSection(RunListModel::Status, width(QStringLiteral("interrupted")));
    header->resizeSection(RunListModel::Ppl, width(QStringLiteral("12.3456")));
    header->resizeSection(RunListModel::DeltaPpl, width(QStringLiteral("+12.34%")));
    header->resizeSection(RunListModel::KldMean, width(QStringLiteral("Mean KLD")));
    header->resizeSection(RunListModel::Top1, width(QStringLiteral("99.99%")));
    header->resizeSection(RunListModel::Size, width(QStringLiteral("1.06 MB")));
    header->resizeSection(RunListModel::Bpw, width(QStringLiteral("32.0000")));
    header->restoreState(QSettings().value(kHeaderKey).toByteArray());
    m_view->setColumnHidden(RunListModel::Model, m_thisModelOnly->isChecked());
    connect(header, &QHeaderView::sectionResized, this,
            [header] { QSettings().setValue(kHeaderKey, header->saveState()); });
    connect(header, &QHeaderView::sortIndicatorChanged, this,
            [header] { QSettings().setValue(kHeaderKey, header->saveState()); });

    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        if (index.isValid() && m_openPlan->isEnabled())
            emit planRequested(index.data(RunListModel::RunIdRole).toLongLong());
    });
    connect(m_view, &QTableView::customContextMenuRequested, this, &RunListPanel::showContextMenu);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &RunListPanel::onCurrentChanged);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateActions();
        emit selectionChanged(selectedRuns());
    });

    createActions();
    m_status->setObjectName(QStringLiteral("runListStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* top = new QHBoxLayout;
    top->addWidget(m_filter, 1);
    top->addWidget(m_thisModelOnly);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(m_status, 1);
    for (QAction* a : {m_openPlan, m_compare, m_delete}) {
        auto* button = new QToolButton(this);
        button->setDefaultAction(a);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        button->setAutoRaise(true);
        bottom->addWidget(button);
    }
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 4);
    layout->setSpacing(4);
    layout->addWidget(m_problem);
    layout->addLayout(top);
    layout->addWidget(m_view, 1);
    layout->addLayout(bottom);

    connect(m_library, &RunLibrary::runsChanged, this, &RunListPanel::refresh);
    refresh();
}

void RunListPanel::createActions() {
    m_openPlan =
        new QAction(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("Open Plan"), this);
    m_openPlan->setObjectName(QStringLiteral("openRunPlanAction"));
    m_openPlan->setToolTip(tr("Give the tensors the precisions and methods of the run's plan "
                              "(double-click a run does the same)"));
    connect(m_openPlan, &QAction::triggered, this, [this] {
        if (const qint64 id = currentRun())
            emit planRequested(id);
    });
    m_compare =
        new QAction(style()->standardIcon(QStyle::SP_FileDialogContentsView), tr("Compare"), this);
    m_compare->setObjectName(QStringLiteral("compareRunsAction"));
    m_compare->setToolTip(tr("Show the two selected runs side by side: metric changes and every "
                             "tensor whose precision or method differs"));
    connect(m_compare, &QAction::triggered, this, [this] {
        QList<qint64> ids = selectedRuns();
        if (ids.size() != 2)
            return;
        std::sort(ids.begin(), ids.end()); // the older run first: "what changed since"
        emit compareRequested(ids[0], ids[1]);
    });
    m_delete = new QAction(style()->standardIcon(QStyle::SP_TrashIcon), tr("Delete…"), this);
    m_delete->setObjectName(QStringLiteral("deleteRunsAction"));
    m_delete->setShortcut(QKeySequence::Delete);
    m_delete->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_delete->setToolTip(tr("Delete the selected runs from the database, after asking"));
    connect(m_delete, &QAction::triggered, this, &RunListPanel::deleteSelected);
    addAction(m_delete);
    m_exportReport = new QAction(style()->standardIcon(QStyle::SP_FileDialogDetailedView),
                                 tr("Export Report…"), this);
    m_exportReport->setObjectName(QStringLiteral("exportReportAction"));
    m_exportReport->setToolTip(tr("Write the selected run's compression report for review (PDF, "
                                  "HTML or JSON); with two runs selected, the older is the "
                                  "baseline"));
    connect(m_exportReport, &QAction::triggered, this, [this] {
        QList<qint64> ids = selectedRuns();
        std::sort(ids.begin(), ids.end());
        if (ids.size() == 1)
            emit reportRequested(ids[0], 0);
        else if (ids.size() == 2)
            emit reportRequested(ids[1], ids[0]);
    });
    updateActions();
}

void RunListPanel::setModelIdentity(const QString& path, const QString& sha256) {
    m_proxy->setModelIdentity(path, sha256);
    updateStatus();
}

qint64 RunListPanel::currentRun() const {
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    if (!current.isValid() || !m_view->selectionModel()->isRowSelected(current.row(), {}))
        return 0;
    return current.data(RunListModel::RunIdRole).toLongLong();
}

QList<qint64> RunListPanel::selectedRuns() const {
    QList<qint64> ids;
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(),
              [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    for (const QModelIndex& row : rows)
        ids << row.data(RunListModel::RunIdRole).toLongLong();
    return ids;
}

bool RunListPanel::selectRun(qint64 id) {
    if (m_model->rowOf(id) < 0)
        refresh();
    const int row = m_model->rowOf(id);
    if (row < 0)
        return false;
    QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid()) {
        // Asked for by name: the filters give way rather than hide it.
        m_filter->clear();
        index = m_proxy->mapFromSource(m_model->index(row, 0));
        if (!index.isValid())
            m_thisModelOnly->setChecked(false);
        index = m_proxy->mapFromSource(m_model->index(row, 0));
    }
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect |
                                                         QItemSelectionModel::Rows);
    m_view->scrollTo(index);
    return true;
}

void RunListPanel::selectRuns(const QList<qint64>& ids) {
    if (ids.isEmpty())
        return;
    selectRun(ids.first());
    for (qint64 id : ids.mid(1)) {
        const int row = m_model->rowOf(id);
        const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
        if (index.isValid())
            m_view->selectionModel()->select(index, QItemSelectionModel::Select |
                                                        QItemSelectionModel::Rows);
    }
}

void RunListPanel::refresh() {
    const qint64 current = currentRun();
    const QList<qint64> selected = selectedRuns();
    auto runs = m_library->runs();
    m_model->setRuns(runs ? std::move(runs.value()) : std::vector<cwb::RunRecord>{});
    if (!m_library->problem().isEmpty())
        m_problem->showWarnings(m_library->canRecord() || m_library->isOpen()
                                    ? tr("Read-only run database")
                                    : tr("No run database"),
                                {m_library->problem()});
    else if (!runs)
        m_problem->showWarnings(tr("The runs cannot be read"), {runs.error().message});
    else
        m_problem->dismiss();

    // The same runs stay selected, the same one current, without announcing a change.
    QItemSelectionModel* selection = m_view->selectionModel();
    const QSignalBlocker block(selection);
    QItemSelection restored;
    for (qint64 id : selected) {
        const QModelIndex index = m_proxy->mapFromSource(m_model->index(m_model->rowOf(id), 0));
        if (index.isValid())
            restored.select(index, index.siblingAtColumn(RunListModel::ColumnCount - 1));
    }
    selection->select(restored, QItemSelectionModel::ClearAndSelect);
    const QModelIndex currentIndex =
        m_proxy->mapFromSource(m_model->index(m_model->rowOf(current), 0));
    selection->setCurrentIndex(currentIndex, QItemSelectionModel::NoUpdate);
    m_view->viewport()->update();
    updateActions();
    updateStatus();
    if (currentRun() != m_lastCurrent)
        onCurrentChanged();
}

void RunListPanel::onCurrentChanged() {
    const qint64 id = currentRun();
    updateActions();
    if (id == m_lastCurrent)
        return;
    m_lastCurrent = id;
    emit currentRunChanged(id);
}

void RunListPanel::updateActions() {
    const QList<qint64> ids = selectedRuns();
    const cwb::RunRecord* one = ids.size() == 1 ? m_model->runAt(m_model->rowOf(ids[0])) : nullptr;
    m_openPlan->setEnabled(one && !one->plan.isEmpty());
    m_compare->setEnabled(ids.size() == 2);
    m_exportReport->setEnabled(ids.size() == 1 || ids.size() == 2);
    m_delete->setEnabled(!ids.isEmpty() && m_library->canRecord());
}

void RunListPanel::updateStatus() {
    const int all = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    const QString file = QFileInfo(m_library->path()).fileName();
    m_status->setToolTip(m_library->path());
    if (!m_library->isOpen()) {
        m_status->setText(tr("No runs are kept"));
        return;
    }
    const QString runs = all == 1 ? tr("1 run") : tr("%1 runs").arg(all);
    m_status->setText(shown == all ? tr("%1 in %2").arg(runs, file)
                                   : tr("%1 of %2 in %3").arg(shown).arg(runs, file));
}

QString RunListPanel::statusText() const {
    return m_status->text();
}

void RunListPanel::showContextMenu(const QPoint& at) {
    const QModelIndex index = m_view->indexAt(at);
    if (index.isValid() && !m_view->selectionModel()->isRowSelected(index.row(), {}))
        m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect |
                                                             QItemSelectionModel::Rows);
    QMenu menu(this);
    menu.addAction(m_openPlan);
    menu.addAction(m_compare);
    menu.addAction(m_exportReport);
    menu.addSeparator();
    menu.addAction(m_delete);
    menu.exec(m_view->viewport()->mapToGlobal(at));
}

QMessageBox* RunListPanel::deleteConfirmation() const {
    return findChild<QMessageBox*>(QStringLiteral("deleteRunsDialog"));
}

void RunListPanel::deleteSelected() {
    const QList<qint64> ids = selectedRuns();
    if (ids.isEmpty() || !m_library->canRecord() || deleteConfirmation())
        return;
    QString what;
    if (ids.size() == 1) {
        const cwb::RunRecord* run = m_model->runAt(m_model->rowOf(ids.first()));
        what = run && !run->name.isEmpty()
                   ? tr("run %1 (%2 “%3”)").arg(ids.first()).arg(run->kind, run->name)
                   : tr("run %1").arg(ids.first());
    } else {
        what = tr("%1 runs").arg(ids.size());
    }
    auto* box = new QMessageBox(QMessageBox::Question, tr("Delete Runs"),
                                tr("Delete %1 from %2? Its metrics and per-tensor results go "
                                   "with it; this cannot be undone.")
                                    .arg(what, QFileInfo(m_library->path()).fileName()),
                                QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("deleteRunsDialog"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->button(QMessageBox::Yes)->setText(tr("Delete"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, ids](int result) {
        box->setObjectName({}); // gone for deleteConfirmation() though deleted later
        if (result != QMessageBox::Yes)
            return;
        for (qint64 id : ids)
            if (auto removed = m_library->removeRun(id); !removed) {
                showErrorDialog(this, tr("Cannot Delete Run %1").arg(id), removed.error().message);
                break;
            }
    });
    box->open();
}
