// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchmarkpanel.h"

#include "errordialog.h"
#include "jobrecords.h"
#include "jobrunner.h"
#include "model.h"
#include "modelsummary.h"
#include "precisionplanmodel.h"
#include "runlibrary.h"
#include "runrecording.h"
#include "systeminfo.h"
#include "tooltip.h"
#include "weightset.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace {

constexpr int kProgressSteps = 1000;
// Of a benchmark: packing the weights, then the timed passes.
constexpr double kPackingShare = 0.2;

QString planNameOf(const PrecisionPlanModel* plan) {
    if (!plan || plan->isAllFp32())
        return QStringLiteral("fp32");
    return plan->name().isEmpty() ? BenchmarkPanel::tr("untitled plan") : plan->name();
}

// The job: pack the plan's weights as `cwb bench` does and time them; record the run as it does.
cwb::Result<cwb::BenchResult> measure(const cwb::Model& model, const cwb::ResolvedPlan& resolved,
                                      const cwb::BenchOptions& options,
                                      const cwb::Progress& progress) {
    // Refuse what cannot fit rather than let the machine swap.
    const std::uint64_t memory = cwb::physicalMemoryBytes();
    const cwb::SizeSummary size = cwb::sizeOf(model, resolved);
    if (memory && size.totalBytes > memory * 9 / 10)
        return cwb::Error{
            BenchmarkPanel::tr("the plan's weights take %1 but this machine has %2 of memory")
                .arg(cwb::formatBytes(size.totalBytes), cwb::formatBytes(memory))};
    auto weights =
        cwb::WeightSet::fromPlan(model, resolved, cwb::WeightMode::Speed, nullptr,
                                 progress.slice(0.0, kPackingShare, BenchmarkPanel::tr("packing")));
    if (!weights)
        return weights.error();
    return cwb::runBenchmark(std::move(weights.value()), options,
                             progress.slice(kPackingShare, 1.0));
}

} // namespace

BenchmarkPanel::BenchmarkPanel(JobRunner* jobs, QWidget* parent)
    : QWidget(parent)
    , m_jobs(jobs) {
    setObjectName(QStringLiteral("benchmarkPanel"));
    m_options = createOptions();

    m_run = new QPushButton(tr("&Benchmark"), this);
    m_run->setObjectName(QStringLiteral("benchmarkButton"));
    m_run->setToolTip(tr("Pack the plan's weights as a deployment runs them and time prefill "
                         "and decode on this machine"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("cancelBenchmarkButton"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("benchmarkProgress"));
    m_progress->setRange(0, kProgressSteps);
    m_progress->setValue(0);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("benchmarkStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* run = new QHBoxLayout;
    run->addWidget(m_run);
    run->addWidget(m_progress, 1);
    run->addWidget(m_cancel);
    auto* right = new QVBoxLayout;
    right->addLayout(run);
    right->addWidget(m_status);
    right->addWidget(createResult());
    right->addStretch(1);

    auto* layout = new QHBoxLayout(this);
    layout->addWidget(m_options, 2);
    layout->addSpacing(12);
    layout->addLayout(right, 3);

    connect(m_run, &QPushButton::clicked, this, &BenchmarkPanel::benchmark);
    connect(m_cancel, &QPushButton::clicked, this, &BenchmarkPanel::cancel);
    connect(m_jobs, &JobRunner::progress, this, &BenchmarkPanel::onProgress);
    clearResult();
    setRunning(false);
}

QWidget* BenchmarkPanel::createOptions() {
    auto* box = new QWidget(this);
    auto* form = new QFormLayout(box);
    form->setContentsMargins(0, 0, 0, 0);
    form->setLabelAlignment(Qt::AlignRight);

    m_target = new QLabel(box);
    m_target->setObjectName(QStringLiteral("benchmarkTarget"));
    m_target->setWordWrap(true);
    form->addRow(tr("Measures:"), m_target);

    const cwb::BenchOptions defaults;
    m_prompt = new QSpinBox(box);
    m_prompt->setObjectName(QStringLiteral("benchmarkPrompt"));
    m_prompt->setRange(1, 1 << 16);
    m_prompt->setValue(defaults.promptTokens);
    m_prompt->setSuffix(tr(" tokens"));
    m_prompt->setToolTip(tr("Random tokens prefilled in one pass"));
    form->addRow(tr("Prompt:"), m_prompt);

    m_generated = new QSpinBox(box);
    m_generated->setObjectName(QStringLiteral("benchmarkGenerated"));
    m_generated->setRange(1, 1 << 16);
    m_generated->setValue(defaults.generatedTokens);
    m_generated->setSuffix(tr(" tokens"));
    m_generated->setToolTip(tr("Tokens decoded greedily after the prompt, one pass each"));
    form->addRow(tr("Generate:"), m_generated);

    m_threads = new QSpinBox(box);
    m_threads->setRange(0, 1024);
    m_threads->setSpecialValueText(tr("All cores (%1)").arg(QThread::idealThreadCount()));
    form->addRow(tr("Threads:"), m_threads);

    m_bandwidth = new QCheckBox(tr("Measure memory bandwidth"), box);
    m_bandwidth->setObjectName(QStringLiteral("benchmarkBandwidth"));
    m_bandwidth->setChecked(defaults.measureBandwidth);
    m_bandwidth->setToolTip(wrappedToolTip(
        tr("Also read 1 GiB and run a large matmul, to say how much of the machine's bandwidth "
           "decoding uses (a few seconds)")));
    form->addRow(QString(), m_bandwidth);
    return box;
}

QWidget* BenchmarkPanel::createResult() {
    m_resultBox = new QWidget(this);
    m_resultBox->setObjectName(QStringLiteral("benchmarkResult"));
    auto* form = new QFormLayout(m_resultBox);
    form->setContentsMargins(0, 0, 0, 0);
    const auto row = [&](const QString& label, const char* name) {
        auto* value = new QLabel(m_resultBox);
        value->setObjectName(QLatin1String(name));
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        form->addRow(label, value);
        return value;
    };
    m_weights = row(tr("Weights:"), "benchmarkWeights");
    m_prefill = row(tr("Prefill:"), "benchmarkPrefill");
    m_decode = row(tr("Decode:"), "benchmarkDecode");
    m_memory = row(tr("Peak memory:"), "benchmarkMemory");
    m_machine = row(tr("Machine:"), "benchmarkMachine");
    return m_resultBox;
}

void BenchmarkPanel::setModel(std::shared_ptr<const cwb::Model> model) {
    cancel();
    m_model = std::move(model);
    clearResult();
    m_progress->setValue(0);
    setRunning(false);
}

void BenchmarkPanel::setPlanModel(const PrecisionPlanModel* plan) {
    m_plan = plan;
    connect(plan, &PrecisionPlanModel::choicesChanged, this, &BenchmarkPanel::updateTarget);
    connect(plan, &PrecisionPlanModel::nameChanged, this, &BenchmarkPanel::updateTarget);
    updateTarget();
}

void BenchmarkPanel::updateTarget() {
    if (!m_model || !m_plan || m_plan->model() != m_model) {
        m_target->setText(m_model ? tr("the FP32 model") : tr("no model open"));
        return;
    }
    m_target->setText(tr("plan “%1” (%2 bpw), packed")
                          .arg(planNameOf(m_plan))
                          .arg(m_plan->size().bitsPerWeight, 0, 'f', 2));
}

void BenchmarkPanel::setOptions(const cwb::BenchOptions& o) {
    m_prompt->setValue(o.promptTokens);
    m_generated->setValue(o.generatedTokens);
    m_threads->setValue(o.threads);
    m_bandwidth->setChecked(o.measureBandwidth);
}

cwb::BenchOptions BenchmarkPanel::options() const {
    cwb::BenchOptions o;
    o.promptTokens = m_prompt->value();
    o.generatedTokens = m_generated->value();
    o.threads = m_threads->value();
    o.measureBandwidth = m_bandwidth->isChecked();
    return o;
}

void BenchmarkPanel::benchmark() {
    if (!m_model || isRunning() || m_workerBusy)
        return;
    // The job owns copies of what it reads: edits made while it runs are for the next one.
    const auto model = m_model;
    const bool ownPlan = m_plan && m_plan->model() == m_model;
    const cwb::Plan plan = ownPlan ? m_plan->plan() : cwb::Plan{};
    const QString name = planNameOf(ownPlan ? m_plan : nullptr);
    const cwb::BenchOptions o = options();
    const RunRecording recording = m_runs ? m_runs->recording() : RunRecording();
    m_job =
        m_jobs->start(this, [this, model, plan, name, o, recording](const cwb::Progress& progress) {
            cwb::ResolvedPlan resolved = cwb::resolvePlan(plan, *model);
            // Calibrated methods change the values, not the layout: speed is the same as rtn's.
            for (cwb::TensorChoice& t : resolved.tensors)
                t.method = cwb::QuantMethod::Rtn;
            const cwb::SizeSummary size = cwb::sizeOf(*model, resolved);
            auto recorded = RecordedRun::begin(recording, benchmarkRecord(*model, plan, name, o));
            auto result = measure(*model, resolved, o, progress);
            if (recorded && result)
                recorded->finish(benchmarkOutcome(*model, resolved, *result, size, o));
            else if (recorded)
                recorded->fail(result.error());
            const Outcome outcome{result, size, name, recorded ? recorded->id() : 0};
            return JobRunner::Delivery([this, outcome] { finish(outcome); });
        });
    m_progress->setValue(0);
    m_status->setText(tr("Running…"));
    setRunning(true);
}

void BenchmarkPanel::cancel() {
    if (!isRunning())
        return;
    m_jobs->cancel(m_job);
    m_job = 0;
    m_progress->setValue(0);
    m_status->setText(m_result ? tr("Cancelled; the figures below are of the benchmark before")
                               : tr("Cancelled"));
    setRunning(false);
}

void BenchmarkPanel::onProgress(quint64 job, double fraction, const QString& stage) {
    if (job != m_job)
        return;
    m_progress->setValue(int(fraction * kProgressSteps));
    m_status->setText(tr("Running: %1").arg(stage));
}

void BenchmarkPanel::finish(const Outcome& outcome) {
    m_job = 0;
    setRunning(false);
    if (!outcome.result) {
        m_progress->setValue(0);
        if (outcome.result.error().cancelled()) {
            m_status->setText(tr("Cancelled"));
            return;
        }
        m_status->setText(tr("Failed: %1").arg(outcome.result.error().message));
        showErrorDialog(this, tr("Benchmark failed"), outcome.result.error().message);
        return;
    }
    m_progress->setValue(kProgressSteps);
    m_runId = outcome.runId;
    showResult(*outcome.result, outcome.size, outcome.planName);
}

void BenchmarkPanel::showResult(const cwb::BenchResult& r, const cwb::SizeSummary& size,
                                const QString& planName) {
    m_result = r;
    m_status->setText(m_runId ? tr("Plan “%1”, recorded as run %2").arg(planName).arg(m_runId)
                              : tr("Plan “%1”").arg(planName));
    m_weights->setText(tr("%1 (%2 bpw); KV cache %3 for %4 tokens")
                           .arg(cwb::formatBytes(r.weightBytes))
                           .arg(size.bitsPerWeight, 0, 'f', 2)
                           .arg(cwb::formatBytes(r.kvCacheBytes))
                           .arg(r.promptTokens + r.generatedTokens));
    m_prefill->setText(tr("%1 tokens/s (%2 tokens in one pass)")
                           .arg(r.prefillTokensPerSecond, 0, 'f', 1)
                           .arg(r.promptTokens));
    QString decode = tr("%1 tokens/s (%2 tokens)")
                         .arg(r.decodeTokensPerSecond, 0, 'f', 1)
                         .arg(r.generatedTokens);
    if (r.readBandwidthGBs > 0)
        decode += tr(": %1 GB/s of weights, %2% of the %3 GB/s measured")
                      .arg(double(r.decodeBytesPerToken) * r.decodeTokensPerSecond / 1e9, 0, 'f', 1)
                      .arg(100 * r.decodeBandwidthFraction, 0, 'f', 0)
                      .arg(r.readBandwidthGBs, 0, 'f', 1);
    m_decode->setText(decode);
    m_memory->setText(tr("%1, the whole application's high-water mark")
                          .arg(cwb::formatBytes(r.peakResidentBytes)));
    m_machine->setText(tr("%1 threads on %2").arg(r.threads).arg(r.cpu));
    m_resultBox->setVisible(true);
}

void BenchmarkPanel::clearResult() {
    m_result.reset();
    m_runId = 0;
    m_resultBox->setVisible(false);
    m_status->setText(m_model ? tr("Not measured yet: Benchmark times the plan as edited")
                              : tr("No model open"));
    updateTarget();
}

QString BenchmarkPanel::statusText() const {
    return m_status->text();
}

void BenchmarkPanel::setWorkerBusy(bool busy) {
    m_workerBusy = busy;
    m_run->setEnabled(!isRunning() && m_model && !m_workerBusy);
    m_run->setToolTip(m_workerBusy ? tr("Another job is running: benchmark when it ends")
                                   : tr("Pack the plan's weights as a deployment runs them and "
                                        "time prefill and decode on this machine"));
}

void BenchmarkPanel::setRunning(bool running) {
    m_options->setEnabled(!running);
    m_run->setEnabled(!running && m_model && !m_workerBusy);
    m_cancel->setEnabled(running);
    emit runningChanged(running);
}
