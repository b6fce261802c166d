// SPDX-License-Identifier: GPL-3.0-or-later
#include "evaluationpanel.h"

#include "calibrationpanel.h"
#include "errordialog.h"
#include "evaluationresultview.h"
#include "jobrecords.h"
#include "jobrunner.h"
#include "modelsummary.h"
#include "precisionplanmodel.h"
#include "resources.h"
#include "runlibrary.h"
#include "runrecording.h"
#include "textfile.h"
#include "tooltip.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace {
constexpr int kProgressSteps = 1000;
// Of an evaluation that calibrates first: calibration is a forward pass over fewer tokens than
// the FP32 baseline and the plan together.
constexpr double kCalibrationShare = 0.3;
} // namespace

EvaluationPanel::EvaluationPanel(JobRunner* jobs, QWidget* parent)
    : QGroupBox(tr("Evaluation"), parent)
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
    // The result grows with what a calibrated plan adds; it scrolls rather than overlaps when
    // the window gives the panel less height than that.
    auto* scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("resultScroll"));
    scroll->setWidget(m_result);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_resultScroll = scroll;
    m_runNote = new QLabel(this);
    m_runNote->setObjectName(QStringLiteral("evaluationRunNote"));
    m_runNote->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Wrapped rather than widening the panel, whose width is the tensor table's.
    m_runNote->setWordWrap(true);
    m_runNote->hide();
    auto* right = new QVBoxLayout;
    right->addLayout(run);
    right->addWidget(scroll, 1);
    right->addWidget(m_runNote);

    // The options at their natural width, the rest to the result: its table of metrics is what
    // gets cut first.
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(m_options, 0);
    layout->addSpacing(12);
    layout->addLayout(right, 1);

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

    m_target = new QLabel(box);
    m_target->setObjectName(QStringLiteral("evaluationTarget"));
    // As few lines as it can: the panel's height is the tensor table's loss. A long plan name is
    // elided, and the tooltip has it whole; a narrow column wraps the rest.
    m_target->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_target->setWordWrap(true);
    form->addRow(tr("Evaluates:"), m_target);

    m_calibrationState = new QLabel(box);
    m_calibrationState->setObjectName(QStringLiteral("evaluationCalibration"));
    m_calibrationState->setWordWrap(true);
    form->addRow(tr("Statistics:"), m_calibrationState);
    m_optionsForm = form;

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
    updateTarget();
}

void EvaluationPanel::setPlanModel(const PrecisionPlanModel* plan) {
    m_plan = plan;
    connect(plan, &PrecisionPlanModel::choicesChanged, this, &EvaluationPanel::updateTarget);
    connect(plan, &PrecisionPlanModel::nameChanged, this, &EvaluationPanel::updateTarget);
    updateTarget();
}

void EvaluationPanel::setCalibrationPanel(CalibrationPanel* calibration) {
    m_calibration = calibration;
    connect(calibration, &CalibrationPanel::statisticsChanged, this,
            &EvaluationPanel::updateTarget);
    updateTarget();
}

void EvaluationPanel::updateTarget() {
    const QString how = tr("Evaluate compares the plan in the tensor table with the FP32 model; "
                           "with every tensor in f32 it measures the model's perplexity.");
    if (!m_model) {
        m_target->setText(tr("no model open"));
        m_target->setToolTip(how);
        updateCalibrationState();
        return;
    }
    if (!m_plan || m_plan->isAllFp32()) {
        m_target->setText(tr("the FP32 model's perplexity"));
        m_target->setToolTip(how);
        updateCalibrationState();
        return;
    }
    const QString name = m_plan->name().isEmpty() ? tr("untitled plan") : m_plan->name();
    const double bpw = m_plan->size().bitsPerWeight;
    m_target->setText(tr("plan “%1” (%2 bpw) vs. FP32")
                          .arg(m_target->fontMetrics().elidedText(name, Qt::ElideRight, 120))
                          .arg(bpw, 0, 'f', 2));
    m_target->setToolTip(wrappedToolTip(tr("Plan “%1”, %2 bits per weight, against the FP32 "
                                           "model. %3")
                                            .arg(name)
                                            .arg(bpw, 0, 'f', 2)
                                            .arg(how)));
    updateCalibrationState();
}

// A plan with calibrated methods needs statistics: whether there are some, or whether Evaluate
// will calibrate first.
void EvaluationPanel::updateCalibrationState() {
    const bool needed = m_model && m_plan && m_calibration && m_plan->model() == m_model &&
                        !m_plan->isAllFp32() && m_plan->needsCalibration();
    m_optionsForm->setRowVisible(m_calibrationState, needed);
    if (!needed)
        return;
    const auto stats = m_calibration->statistics();
    if (stats) {
        m_calibrationState->setText(
            tr("%1 tokens (Calibration tab)").arg(cwb::formatCount(stats->tokens)));
        m_calibrationState->setToolTip(tr("The plan's methods use the statistics the Calibration "
                                          "tab holds"));
    } else {
        m_calibrationState->setText(tr("none yet: Evaluate calibrates first"));
        m_calibrationState->setToolTip(wrappedToolTip(
            tr("The plan's methods need calibration statistics. Evaluate collects them first, as "
               "the Calibration tab is set, and keeps them for the next evaluation.")));
    }
}

void EvaluationPanel::setTextPath(const QString& path) {
    m_textPath = path;
    const QString name = QFileInfo(path).fileName();
    m_text->setText(path.startsWith(QLatin1String(":/")) ? tr("%1 (bundled)").arg(name) : name);
    m_text->setCursorPosition(0); // the name's start, where a narrow field cuts it
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
    if (!m_model || isRunning() || m_workerBusy)
        return;
    if (m_plan && m_plan->model() == m_model && !m_plan->isAllFp32()) {
        startPlanEvaluation();
        return;
    }
    // The job owns copies of everything it reads; the model stays alive while it runs even if
    // the window opens another one meanwhile.
    const auto model = m_model;
    const QString path = m_textPath;
    const cwb::EvalOptions o = options();
    const RunRecording recording = m_runs ? m_runs->recording() : RunRecording();
    setRunNote({});
    m_job = m_jobs->start(this, [this, model, path, o, recording](const cwb::Progress& progress) {
        auto text = cwb::readTextFile(path);
        std::unique_ptr<RecordedRun> recorded;
        if (text)
            recorded = RecordedRun::begin(
                recording, evaluationRecord(*model, path, *text, o, nullptr, {}, nullptr));
        auto result = text ? cwb::evaluatePerplexity(*model, *text, o, progress)
                           : cwb::Result<cwb::PerplexityResult>(text.error());
        if (recorded && result)
            recorded->finish(evaluationOutcome(*model, *result));
        else if (recorded)
            recorded->fail(result.error());
        return JobRunner::Delivery([this, result] { finish(result); });
    });
    m_progress->setValue(0);
    m_result->setMode(EvaluationResultView::Mode::Perplexity);
    m_result->showRunning();
    setRunning(true);
}

void EvaluationPanel::startPlanEvaluation() {
    // The plan as it is now: edits made while it runs are for the next evaluation.
    const auto model = m_model;
    const cwb::Plan plan = m_plan->plan();
    const QString name = plan.name.isEmpty() ? tr("untitled plan") : plan.name;
    const QString path = m_textPath;
    const cwb::EvalOptions o = options();
    const RunRecording recording = m_runs ? m_runs->recording() : RunRecording();
    setRunNote({});
    // Statistics only for methods that use them: they also make the evaluation compare the
    // calibration text with its own, which says nothing about a plan of rtn alone.
    std::shared_ptr<const cwb::CalibrationStats> stats;
    std::optional<CalibrationRequest> calibrate;
    if (m_calibration && m_plan->needsCalibration()) {
        stats = m_calibration->statistics();
        if (!stats)
            calibrate = m_calibration->request();
    }
    m_job = m_jobs->start(this, [this, model, plan, name, path, o, stats, calibrate,
                                 recording](const cwb::Progress& progress) {
        std::optional<CalibrationRun> calibrated;
        auto used = stats;
        if (calibrate) {
            auto run = runCalibration(*calibrate,
                                      progress.slice(0.0, kCalibrationShare, tr("calibration")));
            if (!run) {
                const cwb::Error error{tr("calibration: %1").arg(run.error().message),
                                       run.error().kind};
                return JobRunner::Delivery([this, error] {
                    m_job = 0;
                    setRunning(false);
                    finishFailed(error);
                });
            }
            calibrated = run.value();
            used = run->stats;
        }
        const cwb::PlanEvaluationOptions options{o, {}, used.get()};
        auto text = cwb::readTextFile(path);
        // Recorded as `cwb eval --plan` records it, with the statistics it used.
        std::unique_ptr<RecordedRun> recorded;
        if (text)
            recorded = RecordedRun::begin(
                recording, evaluationRecord(*model, path, *text, o, &plan, name, used.get()));
        auto result =
            text ? cwb::evaluatePlan(*model, *text, plan, options,
                                     progress.slice(calibrate ? kCalibrationShare : 0.0, 1.0))
                 : cwb::Result<cwb::PlanEvaluation>(text.error());
        if (recorded && result)
            recorded->finish(evaluationOutcome(*model, plan, *result, used.get()));
        else if (recorded)
            recorded->fail(result.error());
        return JobRunner::Delivery([this, model, result, name, calibrated] {
            // A new model cancels the job, so these are the current model's statistics.
            if (calibrated && m_calibration && model == m_model)
                m_calibration->adopt(*calibrated, tr("calibrated to evaluate “%1”").arg(name));
            finishPlan(result, name);
        });
    });
    m_progress->setValue(0);
    m_result->setMode(EvaluationResultView::Mode::Comparison);
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
    } else {
        finishFailed(result.error());
    }
}

void EvaluationPanel::finishPlan(const cwb::Result<cwb::PlanEvaluation>& result,
                                 const QString& planName) {
    m_job = 0;
    setRunning(false);
    if (result.ok()) {
        m_progress->setValue(kProgressSteps);
        m_result->showComparison(result.value(), planName);
        emit resultShown();
    } else {
        finishFailed(result.error());
    }
}

void EvaluationPanel::finishFailed(const cwb::Error& error) {
    m_progress->setValue(0);
    if (error.cancelled()) {
        m_result->showCancelled();
        return;
    }
    m_result->showFailed(error.message);
    showErrorDialog(this, tr("Evaluation failed"), error.message);
}

void EvaluationPanel::setRunNote(const QString& text, const QString& toolTip) {
    m_runNote->setText(text);
    m_runNote->setToolTip(toolTip);
    m_runNote->setVisible(!text.isEmpty());
}

QString EvaluationPanel::runNote() const {
    return m_runNote->text();
}

int EvaluationPanel::resultHeight() const {
    return height() - m_resultScroll->height() + m_result->sizeHint().height();
}

void EvaluationPanel::setWorkerBusy(bool busy) {
    m_workerBusy = busy;
    m_evaluate->setEnabled(!isRunning() && m_model && !m_workerBusy);
}

void EvaluationPanel::setRunning(bool running) {
    m_options->setEnabled(!running);
    m_evaluate->setEnabled(!running && m_model && !m_workerBusy);
    m_cancel->setEnabled(running);
    emit runningChanged(running);
}
