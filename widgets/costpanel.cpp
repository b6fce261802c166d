// SPDX-License-Identifier: GPL-3.0-or-later
#include "costpanel.h"

#include "costprofilemodel.h"
#include "metricformat.h"
#include "runcost.h"
#include "runlibrary.h"
#include "tooltip.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

namespace {
const QString kPromptKey = QStringLiteral("cost/promptTokens");
const QString kOutputKey = QStringLiteral("cost/outputTokens");
const QString kQueriesKey = QStringLiteral("cost/queriesPerMonth");
} // namespace

CostPanel::CostPanel(RunLibrary* library, QWidget* parent)
    : QWidget(parent)
    , m_library(library)
    , m_model(new CostProfileModel(this))
    , m_runLabel(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_view(new QTableView(this))
    , m_efficiency(new QLabel(this))
    , m_explain(new QPushButton(tr("How was this computed?"), this)) {
    setObjectName(QStringLiteral("costPanel"));
    m_runLabel->setObjectName(QStringLiteral("costRun"));
    m_runLabel->setWordWrap(true);
    m_summary->setObjectName(QStringLiteral("costSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_efficiency->setObjectName(QStringLiteral("costEfficiency"));
    QPalette dim = m_efficiency->palette();
    dim.setColor(QPalette::WindowText, dim.color(QPalette::Disabled, QPalette::WindowText));
    m_efficiency->setPalette(dim);

    m_view->setObjectName(QStringLiteral("costProfiles"));
    m_view->setModel(m_model);
    m_view->setSelectionMode(QAbstractItemView::NoSelection);
    m_view->setFocusPolicy(Qt::NoFocus);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    QHeaderView* header = m_view->horizontalHeader();
    header->setHighlightSections(false);
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(CostProfileModel::Profile, QHeaderView::Stretch);

    m_explain->setObjectName(QStringLiteral("explainCost"));
    m_explain->setToolTip(tr("The cost model's account of every number: memory, tokens per "
                             "second, seconds per query, dollars, and where the efficiencies "
                             "come from"));
    connect(m_explain, &QPushButton::clicked, this, &CostPanel::showExplanation);

    auto* top = new QHBoxLayout;
    top->addWidget(m_runLabel, 1);
    top->addWidget(m_efficiency);
    auto* summary = new QHBoxLayout;
    summary->addWidget(m_summary, 1);
    summary->addWidget(m_explain, 0, Qt::AlignTop);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 4);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addWidget(createWorkload());
    layout->addLayout(summary);
    layout->addWidget(m_view, 1);

    connect(m_library, &RunLibrary::hardwareChanged, this, &CostPanel::recompute);
    // A benchmark recorded since changes the efficiencies; a run that was running has a size now.
    connect(m_library, &RunLibrary::runsChanged, this, &CostPanel::recompute);
    recompute();
}

// One line that reads as a sentence: "[512 prompt] + [128 output] tokens per query,
// [1,000,000] queries a month".
QWidget* CostPanel::createWorkload() {
    auto* box = new QWidget(this);
    auto* row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    const QSettings settings;
    const cwb::Workload defaults;
    m_prompt = new QSpinBox(box);
    m_prompt->setObjectName(QStringLiteral("costPromptTokens"));
    m_prompt->setRange(1, 1'000'000);
    m_prompt->setSuffix(tr(" prompt"));
    m_prompt->setValue(settings.value(kPromptKey, defaults.promptTokens).toInt());
    m_prompt->setToolTip(tr("Prompt tokens per query: processed at once (prefill)"));
    m_output = new QSpinBox(box);
    m_output->setObjectName(QStringLiteral("costOutputTokens"));
    m_output->setRange(1, 1'000'000);
    m_output->setSuffix(tr(" output"));
    m_output->setValue(settings.value(kOutputKey, defaults.outputTokens).toInt());
    m_output->setToolTip(tr("Generated tokens per query: one at a time (decode)"));
    m_queries = new QDoubleSpinBox(box);
    m_queries->setObjectName(QStringLiteral("costQueriesPerMonth"));
    m_queries->setDecimals(0);
    m_queries->setRange(1, 1e11);
    m_queries->setGroupSeparatorShown(true);
    m_queries->setValue(settings.value(kQueriesKey, defaults.queriesPerMonth).toDouble());
    m_queries->setToolTip(tr("Queries per month: how many instances run, and the monthly bill"));
    row->addWidget(m_prompt);
    row->addWidget(new QLabel(QStringLiteral("+"), box));
    row->addWidget(m_output);
    row->addWidget(new QLabel(tr("tokens per query,"), box));
    row->addWidget(m_queries);
    row->addWidget(new QLabel(tr("queries a month"), box));
    row->addStretch(1);
    for (QSpinBox* s : {m_prompt, m_output})
        connect(s, &QSpinBox::valueChanged, this, [this] {
            saveWorkload();
            recompute();
        });
    connect(m_queries, &QDoubleSpinBox::valueChanged, this, [this] {
        saveWorkload();
        recompute();
    });
    return box;
}

void CostPanel::saveWorkload() const {
    QSettings settings;
    settings.setValue(kPromptKey, m_prompt->value());
    settings.setValue(kOutputKey, m_output->value());
    settings.setValue(kQueriesKey, m_queries->value());
}

void CostPanel::setRun(qint64 id) {
    if (id == m_run)
        return;
    m_run = id;
    recompute();
}

void CostPanel::setWorkload(const cwb::Workload& w) {
    {
        const QSignalBlocker b1(m_prompt), b2(m_output), b3(m_queries);
        m_prompt->setValue(w.promptTokens);
        m_output->setValue(w.outputTokens);
        m_queries->setValue(w.queriesPerMonth);
    }
    saveWorkload();
    recompute();
}

cwb::Workload CostPanel::workload() const {
    cwb::Workload w;
    w.promptTokens = m_prompt->value();
    w.outputTokens = m_output->value();
    w.queriesPerMonth = m_queries->value();
    return w;
}

void CostPanel::recompute() {
    m_projection.reset();
    m_model->clear();
    m_explain->setEnabled(false);
    m_efficiency->clear();
    m_efficiency->setToolTip({});
    const auto done = [this](const QString& run, const QString& summary) {
        m_runLabel->setText(run);
        m_summary->setText(summary);
        emit projectionChanged();
    };
    if (!m_run)
        return done(tr("Select a run in the run list to price it."), {});
    auto run = m_library->run(m_run);
    if (!run)
        return done(run.error().message, {});
    QString what = tr("<b>Run %1</b>").arg(run->id);
    if (!run->name.isEmpty())
        what += tr(" “%1”").arg(run->name.toHtmlEscaped());
    if (run->model)
        what += tr(" of %1").arg(QFileInfo(run->model->path).fileName().toHtmlEscaped());
    if (const auto size = run->metrics.find(QStringLiteral("size_bytes"));
        size != run->metrics.end())
        what += tr(", %1").arg(formatMetric(size->first, size->second.value));
    auto projection = projectRunCost(*m_library, *run, workload());
    if (!projection)
        return done(what, projection.error().message);
    m_projection = std::move(projection.value());
    m_model->setProjection(*m_projection);
    m_explain->setEnabled(true);
    // In short: whether this machine's speed calibrates the projection; the tooltip and the
    // explanation say how.
    m_efficiency->setText(m_projection->efficiency.measured ? tr("efficiency measured here")
                                                            : tr("efficiency assumed"));
    m_efficiency->setToolTip(
        wrappedToolTip(tr("Efficiencies: %1").arg(m_projection->efficiency.source)));
    QString summary;
    if (m_projection->cheapest) {
        const cwb::ProfileCost& c = m_projection->profiles[*m_projection->cheapest];
        summary = tr("<b>%1 per 1,000 queries</b>, %2 a month on %3, the cheapest profile that "
                     "fits")
                      .arg(formatDollars(c.dollarsPer1000Queries), formatDollars(c.dollarsPerMonth),
                           c.profile.name.toHtmlEscaped());
    } else if (m_projection->profiles.empty()) {
        summary = tr("No hardware profiles: add some in Tools ▸ Hardware Profiles…");
    } else {
        summary = tr("No profile has the %1 GiB this model needs.")
                      .arg(m_projection->profiles[0].memoryNeededGiB, 0, 'f', 2);
    }
    done(what, summary);
}

QString CostPanel::runText() const {
    return m_runLabel->text();
}

QString CostPanel::summaryText() const {
    return m_summary->text();
}

QString CostPanel::explanationText() const {
    if (!m_projection)
        return {};
    const cwb::Workload& w = m_projection->workload;
    QString text = tr("Run %1, %2 prompt + %3 output tokens per query, %4 queries a month\n\n")
                       .arg(m_run)
                       .arg(w.promptTokens)
                       .arg(w.outputTokens)
                       .arg(w.queriesPerMonth, 0, 'g', 6);
    for (const QString& line : m_projection->explanation)
        text += QStringLiteral("• %1\n").arg(line);
    return text;
}

QDialog* CostPanel::explanationDialog() const {
    return findChild<QDialog*>(QStringLiteral("costExplanationDialog"));
}

void CostPanel::showExplanation() {
    if (!m_projection)
        return;
    if (QDialog* open = explanationDialog()) {
        open->raise();
        return;
    }
    auto* dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("costExplanationDialog"));
    dialog->setWindowTitle(tr("How the Cost Was Computed"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto* text = new QPlainTextEdit(explanationText(), dialog);
    text->setObjectName(QStringLiteral("costExplanation"));
    text->setReadOnly(true);
    text->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    connect(dialog, &QDialog::finished, dialog, [dialog] { dialog->setObjectName({}); });
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(new QLabel(tr("As the cost model computes it (the same account as `cwb "
                                    "cost RUN`):"),
                                 dialog));
    layout->addWidget(text, 1);
    layout->addWidget(buttons);
    dialog->resize(760, 380);
    dialog->open();
}
