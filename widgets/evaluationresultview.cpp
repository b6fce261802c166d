// SPDX-License-Identifier: GPL-3.0-or-later
#include "evaluationresultview.h"

#include "comparisonmodel.h"
#include "evaluation.h"
#include "methodreportmodel.h"
#include "modelsummary.h"
#include "planevaluation.h"
#include "tooltip.h"

#include <QAction>
#include <QClipboard>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace {
const QString kDash = QStringLiteral("–");
}

EvaluationResultView::EvaluationResultView(QWidget* parent)
    : QWidget(parent)
    , m_form(new QFormLayout)
    , m_comparison(new ComparisonModel(this))
    , m_methodReports(new MethodReportModel(this))
    , m_mismatch(new QLabel(this)) {
    m_form->setLabelAlignment(Qt::AlignRight | Qt::AlignTop);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    // A plan's comparison sits beside the details rather than above them: the panel shares the
    // window's height with the tensor table, which deserves it more.
    m_comparisonView = createComparisonView();
    m_mismatch->setObjectName(QStringLiteral("mismatchLine"));
    m_mismatch->setWordWrap(true);
    m_mismatch->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_mismatch->setToolTip(wrappedToolTip(
        tr("The Jensen–Shannon divergence between the token frequencies of the calibration text "
           "and of the evaluation text. Methods tuned on text of another kind can make the plan "
           "look better or worse than it is on the text it will see. The threshold is 0.08 bits "
           "(measured on samples of 8,192 tokens) plus twice what two samples of these sizes "
           "from one source differ by chance.")));
    m_methodsBox = createMethodsBox();
    // The mismatch over everything, as a strip is; the methods under the metrics they explain.
    m_metrics = new QBoxLayout(QBoxLayout::LeftToRight);
    auto* metrics = m_metrics;
    metrics->addWidget(m_comparisonView, 5, Qt::AlignTop);
    metrics->addLayout(m_form, 3);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_mismatch);
    layout->addLayout(metrics);
    layout->addWidget(m_methodsBox);
    layout->addStretch(1);
    m_status = addValue(tr("Status"), QStringLiteral("evalStatus"),
                        tr("Whether the last evaluation finished, is running, was cancelled or "
                           "failed."));
    m_ppl = addValue(tr("Perplexity"), QStringLiteral("evalPerplexity"),
                     tr("The exponential of the mean negative log-likelihood of the scored tokens "
                        "(lower is better), ± its standard error as llama.cpp reports it."));
    m_tokens = addValue(tr("Tokens evaluated"), QStringLiteral("evalTokens"),
                        tr("Tokens whose prediction was scored, and all tokens run through the "
                           "model to get there."));
    m_speed = addValue(tr("Speed"), QStringLiteral("evalSpeed"),
                       tr("Tokens run through the model per second of forward passes, on the "
                          "stated number of threads."));
    m_method = addValue(tr("Method"), QStringLiteral("evalMethod"),
                        tr("How the text was split into scored sequences, and the context "
                           "length each ran with."));
    m_baseline = addValue(tr("FP32 baseline"), QStringLiteral("evalBaseline"),
                          tr("The FP32 model's predictions are computed once per model, text and "
                             "settings, and kept in the cache for every plan evaluated on them."));
    m_warnings = addValue(tr("Warnings"), QStringLiteral("evalWarnings"),
                          tr("Things about this measurement to keep in mind when reading it."));
    m_ppl->setStyleSheet(QStringLiteral("font-weight: bold"));
    for (QLabel* value : {m_status, m_ppl, m_tokens, m_speed, m_method, m_baseline, m_warnings}) {
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        value->setWordWrap(true);
    }
    setMode(Mode::Perplexity);
    showIdle();
}

QTableView* EvaluationResultView::createComparisonView() {
    auto* view = new QTableView(this);
    view->setObjectName(QStringLiteral("comparisonView"));
    view->setModel(m_comparison);
    // A card to read, not a list to navigate: no focus frame on a current cell.
    view->setSelectionMode(QAbstractItemView::NoSelection);
    view->setFocusPolicy(Qt::NoFocus);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->setShowGrid(false);
    view->setWordWrap(false);
    view->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    view->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    view->verticalHeader()->hide();
    const int rowHeight = view->fontMetrics().height() + 6;
    view->verticalHeader()->setDefaultSectionSize(rowHeight);
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    auto* header = view->horizontalHeader();
    header->setSectionResizeMode(ComparisonModel::Metric, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ComparisonModel::Baseline, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ComparisonModel::Plan, QHeaderView::Stretch);
    header->setHighlightSections(false);
    // Every row shows: the table is a fixed card, not a list to scroll.
    view->setFixedHeight(header->sizeHint().height() + ComparisonModel::RowCount * rowHeight +
                         2 * view->frameWidth());

    // For a note or a review: the whole table as tab-separated text.
    auto* copy = new QAction(tr("&Copy Table"), view);
    copy->setObjectName(QStringLiteral("copyComparison"));
    connect(copy, &QAction::triggered, this, [this] {
        QStringList lines;
        QStringList cells;
        for (int c = 0; c < ComparisonModel::ColumnCount; ++c)
            cells << m_comparison->headerData(c, Qt::Horizontal).toString();
        lines << cells.join(QLatin1Char('\t'));
        for (int r = 0; r < ComparisonModel::RowCount; ++r) {
            cells.clear();
            for (int c = 0; c < ComparisonModel::ColumnCount; ++c)
                cells << m_comparison->index(r, c).data().toString();
            lines << cells.join(QLatin1Char('\t'));
        }
        QGuiApplication::clipboard()->setText(lines.join(QLatin1Char('\n')) + QLatin1Char('\n'));
    });
    view->addAction(copy);
    view->setContextMenuPolicy(Qt::ActionsContextMenu);
    return view;
}

QWidget* EvaluationResultView::createMethodsBox() {
    auto* box = new QWidget(this);
    box->setObjectName(QStringLiteral("methodsBox"));
    auto* caption = new QLabel(tr("What the calibrated methods did, per input:"), box);
    caption->setForegroundRole(QPalette::PlaceholderText);
    m_methodsNote = new QLabel(box);
    m_methodsNote->setObjectName(QStringLiteral("methodsNote"));
    m_methodsNote->setWordWrap(true);
    m_methodsView = new QTableView(box);
    m_methodsView->setObjectName(QStringLiteral("methodReportView"));
    m_methodsView->setModel(m_methodReports);
    m_methodsView->setSelectionMode(QAbstractItemView::NoSelection);
    m_methodsView->setFocusPolicy(Qt::NoFocus);
    m_methodsView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_methodsView->setAlternatingRowColors(true);
    m_methodsView->setShowGrid(false);
    m_methodsView->setWordWrap(false);
    m_methodsView->verticalHeader()->hide();
    const int rowHeight = m_methodsView->fontMetrics().height() + 6;
    m_methodsView->verticalHeader()->setDefaultSectionSize(rowHeight);
    m_methodsView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    auto* header = m_methodsView->horizontalHeader();
    for (int c = 0; c < MethodReportModel::ColumnCount; ++c)
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    header->setStretchLastSection(true);
    header->setHighlightSections(false);
    // A few rows, then it scrolls: a model has one input per block and kind.
    constexpr int kRowsShown = 3;
    m_methodsView->setFixedHeight(header->sizeHint().height() + kRowsShown * rowHeight +
                                  2 * m_methodsView->frameWidth());
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(caption);
    layout->addWidget(m_methodsNote);
    layout->addWidget(m_methodsView);
    box->hide();
    return box;
}

void EvaluationResultView::showMethods(const cwb::PlanEvaluation& r) {
    m_methodReports->setReports(r.methodReports);
    // Statistics are passed, and the texts compared, only for a plan with calibrated methods.
    if (!r.mismatch) {
        m_methodsBox->hide();
        m_mismatch->hide();
        m_mismatch->clear();
        m_mismatchWarning = false;
        return;
    }
    m_methodsBox->show();
    const bool none = r.methodReports.empty();
    m_methodsView->setVisible(!none);
    m_methodsNote->setVisible(none);
    m_methodsNote->setText(tr("No input was rescaled: GPTQ and rtn choose no α. SmoothQuant and "
                              "AWQ list each input they scaled here."));

    m_mismatchWarning = r.mismatch->mismatched;
    QString line = r.mismatch->message();
    if (!line.isEmpty())
        line[0] = line[0].toUpper();
    m_mismatch->setText(m_mismatchWarning
                            ? tr("⚠ %1. Calibrate on text like the evaluation text.").arg(line)
                            : line + QLatin1Char('.'));
    m_mismatch->setStyleSheet(
        m_mismatchWarning
            ? QStringLiteral("QLabel { background: #fff4de; border: 1px solid #e3b14f; "
                             "border-radius: 4px; color: #5c3b00; padding: 4px 6px; }")
            : QString());
    m_mismatch->setForegroundRole(m_mismatchWarning ? QPalette::WindowText
                                                    : QPalette::PlaceholderText);
    m_mismatch->show();
}

QString EvaluationResultView::mismatchText() const {
    return m_mismatch->isHidden() ? QString() : m_mismatch->text();
}

void EvaluationResultView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    arrangeMetrics();
}

// The details beside the table where there is room for both, under it where there is not: a
// column of one word per line helps no one.
void EvaluationResultView::arrangeMetrics() {
    constexpr int kDetailsWidth = 240;
    const bool beside =
        m_comparisonView->isHidden() || width() >= m_comparisonView->minimumWidth() + kDetailsWidth;
    const auto direction = beside ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom;
    if (m_metrics->direction() != direction)
        m_metrics->setDirection(direction);
}

void EvaluationResultView::setMode(Mode mode) {
    m_mode = mode;
    const bool comparison = mode == Mode::Comparison;
    m_comparisonView->setVisible(comparison);
    if (!comparison) {
        m_methodsBox->hide();
        m_mismatch->hide();
    }
    m_form->setRowVisible(m_baseline, comparison);
    m_form->setRowVisible(m_ppl, !comparison);
}

QLabel* EvaluationResultView::addValue(const QString& label, const QString& name,
                                       const QString& tip) {
    auto* value = new QLabel(this);
    value->setObjectName(name);
    value->setToolTip(tip);
    auto* caption = new QLabel(label + QLatin1Char(':'), this);
    caption->setToolTip(tip);
    caption->setForegroundRole(QPalette::PlaceholderText);
    m_form->addRow(caption, value);
    return value;
}

void EvaluationResultView::clearMetrics() {
    for (QLabel* label : {m_ppl, m_tokens, m_speed, m_method, m_baseline})
        label->setText(kDash);
    m_comparison->clear();
    m_methodReports->setReports({});
    m_methodsBox->hide();
    m_mismatch->hide();
    m_mismatch->clear();
    m_mismatchWarning = false;
    setWarnings({});
}

void EvaluationResultView::setWarnings(const QStringList& warnings) {
    m_warnings->setText(warnings.isEmpty() ? tr("none") : warnings.join(QLatin1Char('\n')));
    QPalette p = palette();
    if (!warnings.isEmpty())
        p.setColor(QPalette::WindowText, QColor(0xb3, 0x5c, 0x00));
    m_warnings->setPalette(p);
}

void EvaluationResultView::showIdle() {
    clearMetrics();
    m_status->setText(tr("Not run yet"));
}

void EvaluationResultView::showRunning() {
    clearMetrics();
    m_status->setText(tr("Running…"));
}

void EvaluationResultView::showStage(const QString& stage) {
    m_status->setText(tr("Running: %1").arg(stage));
}

void EvaluationResultView::showCancelled() {
    clearMetrics();
    m_status->setText(tr("Cancelled"));
}

void EvaluationResultView::showFailed(const QString& reason) {
    clearMetrics();
    m_status->setText(tr("Failed: %1").arg(reason));
}

void EvaluationResultView::showResult(const cwb::PerplexityResult& r) {
    setMode(Mode::Perplexity);
    m_status->setText(tr("Finished in %1 s").arg(r.seconds, 0, 'f', 2));
    m_ppl->setText(QStringLiteral("%1 ± %2").arg(r.ppl, 0, 'f', 4).arg(r.pplStderr, 0, 'f', 4));
    m_tokens->setText(
        tr("%1 scored, %2 run through the model")
            .arg(cwb::formatCount(r.tokensScored), cwb::formatCount(r.tokensProcessed)));
    m_speed->setText(tr("%1 tokens/s on %2 threads")
                         .arg(cwb::formatCount(std::int64_t(r.tokensPerSecond + 0.5)))
                         .arg(r.threads));
    m_method->setText(tr("%1, context %2, %3 sequences")
                          .arg(cwb::splitModeName(r.split))
                          .arg(r.ctx)
                          .arg(r.sequences));
    setWarnings(r.warnings);
}

void EvaluationResultView::showComparison(const cwb::PlanEvaluation& r, const QString& planName) {
    setMode(Mode::Comparison);
    // Shorter than a perplexity's rows: these share the width with the table.
    m_status->setText(tr("Finished in %1 s: plan “%2”").arg(r.seconds, 0, 'f', 2).arg(planName));
    m_comparison->setResult(r, planName);
    // Every number whole: the details beside the table wrap before the table cuts a number.
    const QAbstractItemView* view = m_comparisonView; // where sizeHintForColumn() is public
    int width = 2 * m_comparisonView->frameWidth();
    for (int c = 0; c < ComparisonModel::ColumnCount; ++c)
        width += std::max(view->sizeHintForColumn(c),
                          m_comparisonView->horizontalHeader()->sectionSizeHint(c));
    m_comparisonView->setMinimumWidth(width);
    arrangeMetrics();
    m_tokens->setText(
        tr("%1 scored, %2 run")
            .arg(cwb::formatCount(r.metrics.tokens), cwb::formatCount(r.tokensProcessed)));
    m_speed->setText(tr("%1 tokens/s on %2 threads")
                         .arg(cwb::formatCount(std::int64_t(r.tokensPerSecond + 0.5)))
                         .arg(r.threads));
    m_method->setText(tr("%1, context %2, %3 sequences")
                          .arg(cwb::splitModeName(r.split))
                          .arg(r.ctx)
                          .arg(r.sequences));
    m_baseline->setText(r.baselineFromCache ? tr("from the cache")
                                            : tr("computed now, and cached for the next plan"));
    showMethods(r);
    // The mismatch has its own line; the other warnings stay in the list.
    QStringList warnings = r.warnings;
    if (r.mismatch)
        warnings.removeAll(r.mismatch->message());
    setWarnings(warnings);
}

QString EvaluationResultView::statusText() const {
    return m_status->text();
}
QString EvaluationResultView::perplexityText() const {
    return m_ppl->text();
}
QString EvaluationResultView::tokensText() const {
    return m_tokens->text();
}
QString EvaluationResultView::speedText() const {
    return m_speed->text();
}
QString EvaluationResultView::baselineText() const {
    return m_baseline->text();
}
QString EvaluationResultView::warningsText() const {
    return m_warnings->text();
}
