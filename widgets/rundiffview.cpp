// SPDX-License-Identifier: GPL-3.0-or-later
#include "rundiffview.h"

#include "rundiff.h"
#include "rundiffmetricsmodel.h"
#include "rundifftensorsmodel.h"
#include "runlibrary.h"
#include "warningstrip.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

QString choiceText(const cwb::RunRecord& run) {
    QString text = QStringLiteral("%1 · %2").arg(run.id).arg(run.kind);
    if (!run.name.isEmpty())
        text += QStringLiteral(" · %1").arg(run.name);
    if (run.model)
        text += QStringLiteral(" · %1").arg(QFileInfo(run.model->path).fileName());
    return text;
}

QString describe(const cwb::RunRecord& run) {
    return run.name.isEmpty() ? QObject::tr("run %1").arg(run.id)
                              : QObject::tr("run %1 “%2”").arg(run.id).arg(run.name);
}

} // namespace

RunDiffView::RunDiffView(RunLibrary* library, QWidget* parent)
    : QWidget(parent)
    , m_library(library)
    , m_metrics(new RunDiffMetricsModel(this))
    , m_tensors(new RunDiffTensorsModel(this))
    , m_pickA(new QComboBox(this))
    , m_pickB(new QComboBox(this))
    , m_swap(new QToolButton(this))
    , m_summary(new QLabel(this))
    , m_notesStrip(new WarningStrip(this))
    , m_tensorsTitle(new QLabel(this)) {
    setObjectName(QStringLiteral("runDiffView"));
    m_pickA->setObjectName(QStringLiteral("runDiffA"));
    m_pickB->setObjectName(QStringLiteral("runDiffB"));
    for (QComboBox* pick : {m_pickA, m_pickB}) {
        pick->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        pick->setMinimumContentsLength(12);
        connect(pick, &QComboBox::activated, this, &RunDiffView::onChoice);
    }
    m_pickA->setToolTip(tr("Run A: the one to compare from"));
    m_pickB->setToolTip(tr("Run B: the one to compare with A"));
    m_swap->setObjectName(QStringLiteral("swapRuns"));
    m_swap->setText(QStringLiteral("⇄"));
    m_swap->setToolTip(tr("Swap A and B"));
    m_swap->setAutoRaise(true);
    connect(m_swap, &QToolButton::clicked, this, &RunDiffView::swap);
    m_summary->setObjectName(QStringLiteral("runDiffSummary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);

    m_metricsView = createTable(this);
    m_metricsView->setObjectName(QStringLiteral("runDiffMetrics"));
    m_metricsView->setModel(m_metrics);
    m_metricsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    m_tensorsView = createTable(this);
    m_tensorsView->setObjectName(QStringLiteral("runDiffTensors"));
    m_tensorsView->setModel(m_tensors);
    m_tensorsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    auto* pickers = new QHBoxLayout;
    pickers->addWidget(new QLabel(tr("A:"), this));
    pickers->addWidget(m_pickA, 1);
    pickers->addWidget(m_swap);
    pickers->addWidget(new QLabel(tr("B:"), this));
    pickers->addWidget(m_pickB, 1);

    auto* metricsBox = new QWidget(this);
    auto* ml = new QVBoxLayout(metricsBox);
    ml->setContentsMargins(0, 0, 0, 0);
    auto* metricsTitle = new QLabel(tr("<b>Metrics</b>"), metricsBox);
    ml->addWidget(metricsTitle);
    ml->addWidget(m_metricsView, 1);
    auto* tensorsBox = new QWidget(this);
    auto* tl = new QVBoxLayout(tensorsBox);
    tl->setContentsMargins(0, 0, 0, 0);
    m_tensorsTitle->setObjectName(QStringLiteral("runDiffTensorsTitle"));
    tl->addWidget(m_tensorsTitle);
    tl->addWidget(m_tensorsView, 1);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(metricsBox);
    split->addWidget(tensorsBox);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setObjectName(QStringLiteral("runDiffSplitter"));
    split->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 4);
    layout->setSpacing(4);
    layout->addLayout(pickers);
    layout->addWidget(m_summary);
    layout->addWidget(m_notesStrip);
    layout->addWidget(split, 1);

    connect(m_library, &RunLibrary::runsChanged, this, &RunDiffView::refresh);
    fillChoices();
    clearDiff(tr("Select two runs in the run list and choose Compare, or pick them here."));
}

QTableView* RunDiffView::createTable(QWidget* parent) {
    auto* view = new QTableView(parent);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->setShowGrid(false);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setHighlightSections(false);
    return view;
}

void RunDiffView::fillChoices() {
    auto runs = m_library->runs();
    for (QComboBox* pick : {m_pickA, m_pickB}) {
        const QSignalBlocker block(pick);
        pick->clear();
        if (!runs)
            continue;
        // Newest first, as the run list opens.
        for (auto it = runs->rbegin(); it != runs->rend(); ++it)
            pick->addItem(choiceText(*it), qint64(it->id));
    }
    m_pickA->setCurrentIndex(m_pickA->findData(qint64(m_a)));
    m_pickB->setCurrentIndex(m_pickB->findData(qint64(m_b)));
}

void RunDiffView::refresh() {
    fillChoices();
    if (!m_a || !m_b)
        return;
    if (m_pickA->findData(qint64(m_a)) < 0 || m_pickB->findData(qint64(m_b)) < 0) {
        clearDiff(tr("A run compared here was deleted."));
        return;
    }
    compare(m_a, m_b); // a run that was running when compared may have finished since
}

void RunDiffView::onChoice() {
    const qint64 a = m_pickA->currentData().toLongLong();
    const qint64 b = m_pickB->currentData().toLongLong();
    if (a && b)
        compare(a, b);
}

void RunDiffView::swap() {
    if (m_a && m_b)
        compare(m_b, m_a);
}

bool RunDiffView::compare(qint64 a, qint64 b) {
    auto ra = m_library->run(a);
    auto rb = m_library->run(b);
    if (!ra || !rb) {
        clearDiff((!ra ? ra.error() : rb.error()).message);
        return false;
    }
    const cwb::RunDiff diff = cwb::diffRuns(*ra, *rb);
    const bool changed = a != m_a || b != m_b;
    m_a = a;
    m_b = b;
    m_metrics->setDiff(diff);
    m_tensors->setDiff(diff);
    m_notes = diff.notes;
    {
        const QSignalBlocker blockA(m_pickA), blockB(m_pickB);
        m_pickA->setCurrentIndex(m_pickA->findData(qint64(a)));
        m_pickB->setCurrentIndex(m_pickB->findData(qint64(b)));
    }
    const std::size_t n = diff.tensors.size();
    const QString differ = n == 0   ? tr("no tensor differs in precision or method")
                           : n == 1 ? tr("1 tensor differs in precision or method")
                                    : tr("%1 tensors differ in precision or method").arg(n);
    m_summary->setText(tr("From %1 to %2: %3.").arg(describe(*ra), describe(*rb), differ));
    m_tensorsTitle->setText(n == 0 ? tr("<b>Tensors</b> — all alike")
                                   : tr("<b>Tensors</b> — %1 that differ").arg(n));
    if (diff.notes.isEmpty())
        m_notesStrip->dismiss();
    else
        m_notesStrip->showWarnings(tr("Compare with care:"), diff.notes);
    if (changed)
        emit compared(a, b);
    return true;
}

void RunDiffView::clearDiff(const QString& message) {
    const bool changed = m_a || m_b;
    m_a = m_b = 0;
    m_metrics->clear();
    m_tensors->clear();
    m_notes.clear();
    m_notesStrip->dismiss();
    m_summary->setText(message);
    m_tensorsTitle->setText(tr("<b>Tensors</b>"));
    if (changed)
        emit compared(0, 0);
}

QString RunDiffView::summaryText() const {
    return m_summary->text();
}
