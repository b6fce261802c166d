// SPDX-License-Identifier: GPL-3.0-or-later
#include "evaluationpanel.h"

#include "errordialog.h"
#include "evaluationresultview.h"
#include "jobrunner.h"
#include "resources.h"
#include "textfile.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace {
constexpr int kProgressSteps = 1000;
}

EvaluationPanel::EvaluationPanel(JobRunner* jobs, QWidget* parent)
    : QGroupBox(tr("Perplexity"), parent)
    , m_jobs(jobs) {
    setObjectName(QStringLiteral("evaluationPanel"));
    m_options = createOptions();

    m_evaluate = new QPushButton(tr("&Evaluate"), this);
    m_evaluate->setObjectName(QStringLiteral("evaluateButton"));
    m_evaluate->setDefault(true);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("cancelButton"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("evaluationProgress"));
    m_progress->setRange(0, kProgressSteps);
    m_progress->setValue(0);
    m_result = new EvaluationResultView(this);

    auto* run = new QHBoxLayout;
    run->addWidget(m_evaluate);
    run->addWidget(m_progress, 1);
    run->addWidget(m_cancel);
    auto* right = new QVBoxLayout;
    right->addLayout(run);
    right->addWidget(m_result);
    right->addStretch(1);

    auto* layout = new QHBoxLayout(this);
    layout->addWidget(m_options, 2);
    layout->addSpacing(12);
    layout->addLayout(right, 3);

    connect(m_evaluate, &QPushButton::clicked, this, &EvaluationPanel::evaluate);
    connect(m_cancel, &QPushButton::clicked, this, &EvaluationPanel::cancel);
    connect(m_jobs, &JobRunner::progress, this, &EvaluationPanel::onProgress);
    setTextPath(cwb::resources::demoEvaluationText());
    setRunning(false);
}

QWidget* EvaluationPanel::createOptions() {
    auto* box = new QWidget(this);
    auto* form = new QFormLayout(box);
    form->setContentsMargins(0, 0, 0, 0);
    form->setLabelAlignment(Qt::AlignRight);

    m_text = new QLineEdit(box);
    m_text->setReadOnly(true);
    auto* choose = new QPushButton(tr("Choose…"), box);
    connect(choose, &QPushButton::clicked, this, &EvaluationPanel::chooseText);
    auto* textRow = new QHBoxLayout;
    textRow->addWidget(m_text, 1);
    textRow->addWidget(choose);
    form->addRow(tr("Text:"), textRow);

    m_split = new QComboBox(box);
    m_split->addItem(tr("Chunks of the context (llama-perplexity)"), int(cwb::SplitMode::Chunks));
    m_split->addItem(tr("Documents, one sequence each"), int(cwb::SplitMode::Documents));
    m_split->setToolTip(tr("Chunks: the whole text cut into context-sized chunks, the second half "
                           "of each scored. Documents: each document from its start, all scored."));
    form->addRow(tr("Split:"), m_split);

    m_separator = new QLineEdit(QStringLiteral("<|endoftext|>"), box);
    m_separator->setToolTip(tr("The string that separates documents in the text"));
    form->addRow(tr("Separator:"), m_separator);
    connect(m_split, &QComboBox::currentIndexChanged, this,
            [this] { m_separator->setEnabled(options().split == cwb::SplitMode::Documents); });

    m_ctx = new QSpinBox(box);
    m_ctx->setRange(2, 1 << 20);
    m_ctx->setValue(512);
    m_ctx->setSuffix(tr(" tokens"));
    form->addRow(tr("Context:"), m_ctx);

    m_threads = new QSpinBox(box);
    m_threads->setRange(0, 1024);
    m_threads->setSpecialValueText(tr("All cores (%1)").arg(QThread::idealThreadCount()));
    form->addRow(tr("Threads:"), m_threads);

    m_maxTokens = new QSpinBox(box);
    m_maxTokens->setObjectName(QStringLiteral("maxTokens"));
    m_maxTokens->setRange(0, 1'000'000'000);
    m_maxTokens->setSingleStep(1000);
    m_maxTokens->setSpecialValueText(tr("No limit"));
    m_maxTokens->setSuffix(tr(" tokens"));
    m_maxTokens->setToolTip(tr("Stop after this many scored tokens: a quick, rougher estimate"));
    form->addRow(tr("Stop after:"), m_maxTokens);

    m_separator->setEnabled(false);
    return box;
}

void EvaluationPanel::setModel(std::shared_ptr<const cwb::Model> model) {
    if (isRunning()) {
        cancel();
    } else {
        m_result->showIdle();
    }
    m_model = std::move(model);
    setRunning(false);
}

void EvaluationPanel::setTextPath(const QString& path) {
    m_textPath = path;
    const QString name = QFileInfo(path).fileName();
    m_text->setText(path.startsWith(QLatin1String(":/")) ? tr("%1 (bundled)").arg(name) : name);
    m_text->setToolTip(path);
}

void EvaluationPanel::setOptions(const cwb::EvalOptions& o) {
    m_split->setCurrentIndex(m_split->findData(int(o.split)));
    m_separator->setText(QString::fromUtf8(o.separator));
    m_ctx->setValue(o.ctx);
    m_threads->setValue(o.threads);
    m_maxTokens->setValue(int(std::min<std::int64_t>(o.maxTokens, m_maxTokens->maximum())));
}

cwb::EvalOptions EvaluationPanel::options() const {
    cwb::EvalOptions o;
    o.split = cwb::SplitMode(m_split->currentData().toInt());
    if (!m_separator->text().isEmpty())
        o.separator = m_separator->text().toUtf8();
    o.ctx = m_ctx->value();
    o.threads = m_threads->value();
    o.maxTokens = m_maxTokens->value();
    return o;
}

void EvaluationPanel::chooseText() {
    const QString start =
        m_textPath.startsWith(QLatin1String(":/")) ? QString() : QFileInfo(m_textPath).path();
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose an Evaluation Text"), start,
                                                      tr("Text files (*.txt);;All files (*)"));
    if (!path.isEmpty())
        setTextPath(path);
}

void EvaluationPanel::evaluate() {
    if (!m_model || isRunning())
        return;
    // The job owns copies of everything it reads; the model stays alive while it runs even if
    // the window opens another one meanwhile.
    const auto model = m_model;
    const QString path = m_textPath;
    const cwb::EvalOptions o = options();
    m_job = m_jobs->start(this, [this, model, path, o](const cwb::Progress& progress) {
        auto text = cwb::readTextFile(path);
        auto result = text ? cwb::evaluatePerplexity(*model, *text, o, progress)
                           : cwb::Result<cwb::PerplexityResult>(text.error());
        return JobRunner::Delivery([this, result] { finish(result); });
    });
    m_progress->setValue(0);
    m_result->showRunning();
    setRunning(true);
}

void EvaluationPanel::cancel() {
    if (!isRunning())
        return;
    m_jobs->cancel(m_job);
    m_job = 0;
    m_progress->setValue(0);
    m_result->showCancelled();
    setRunning(false);
}

void EvaluationPanel::onProgress(quint64 job, double fraction, const QString& stage) {
    if (job != m_job)
        return;
    m_progress->setValue(int(fraction * kProgressSteps));
    m_result->showStage(stage);
}

void EvaluationPanel::finish(const cwb::Result<cwb::PerplexityResult>& result) {
    m_job = 0;
    setRunning(false);
    if (result.ok()) {
        m_progress->setValue(kProgressSteps);
        m_result->showResult(result.value());
    } else if (result.error().cancelled()) {
        m_progress->setValue(0);
        m_result->showCancelled();
    } else {
        m_progress->setValue(0);
        m_result->showFailed(result.error().message);
        showErrorDialog(this, tr("Evaluation failed"), result.error().message);
    }
}

void EvaluationPanel::setRunning(bool running) {
    m_options->setEnabled(!running);
    m_evaluate->setEnabled(!running && m_model);
    m_cancel->setEnabled(running);
    emit runningChanged(running);
}
