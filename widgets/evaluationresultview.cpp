// SPDX-License-Identifier: GPL-3.0-or-later
#include "evaluationresultview.h"

#include "evaluation.h"
#include "modelsummary.h"

#include <QFormLayout>
#include <QLabel>

namespace {
const QString kDash = QStringLiteral("–");
}

EvaluationResultView::EvaluationResultView(QWidget* parent)
    : QWidget(parent) {
    auto* form = new QFormLayout(this);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignTop);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
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
    m_warnings = addValue(tr("Warnings"), QStringLiteral("evalWarnings"),
                          tr("Things about this measurement to keep in mind when reading it."));
    m_ppl->setStyleSheet(QStringLiteral("font-weight: bold"));
    for (QLabel* value : {m_status, m_ppl, m_tokens, m_speed, m_method, m_warnings})
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);
    m_warnings->setWordWrap(true);
    showIdle();
}

QLabel* EvaluationResultView::addValue(const QString& label, const QString& name,
                                       const QString& tip) {
    auto* value = new QLabel(this);
    value->setObjectName(name);
    value->setToolTip(tip);
    auto* caption = new QLabel(label + QLatin1Char(':'), this);
    caption->setToolTip(tip);
    caption->setForegroundRole(QPalette::PlaceholderText);
    static_cast<QFormLayout*>(layout())->addRow(caption, value);
    return value;
}

void EvaluationResultView::clearMetrics() {
    for (QLabel* label : {m_ppl, m_tokens, m_speed, m_method})
        label->setText(kDash);
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
QString EvaluationResultView::warningsText() const {
    return m_warnings->text();
}
