// SPDX-License-Identifier: GPL-3.0-or-later
#include "distillpanel.h"

#include "jobrunner.h"
#include "prune.h"
#include "runlibrary.h"

#include <qcustomplot.h>

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMetaObject>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <atomic>

namespace {

constexpr int kProgressSteps = 1000;

} // namespace

DistillPanel::DistillPanel(JobRunner* jobs, QWidget* parent)
    : QWidget(parent)
    , m_jobs(jobs)
    , m_spec(new QLineEdit(QStringLiteral("blocks=0,2,4"), this))
    , m_steps(new QSpinBox(this))
    , m_start(new QPushButton(tr("Distil"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_open(new QPushButton(tr("Open Student"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(tr("Load a model to distil a student from it."), this))
    , m_plot(new QCustomPlot(this)) {
    m_spec->setToolTip(tr("blocks=0,2,4 | drop=N | ffn=F | kv=N | prune=PLAN.json, joined by ;"));
    m_steps->setRange(1, 1000000);
    m_steps->setValue(m_options.steps);
    m_progress->setRange(0, kProgressSteps);
    m_cancel->setEnabled(false);
    m_start->setEnabled(false);
    m_open->setEnabled(false);
    m_open->setToolTip(tr("Open the distilled student in the window, to quantize or evaluate it"));
    m_spec->setObjectName(QStringLiteral("distillStudentSpec"));
    m_steps->setObjectName(QStringLiteral("distillSteps"));
    m_start->setObjectName(QStringLiteral("distillStart"));
    m_cancel->setObjectName(QStringLiteral("distillCancel"));
    m_open->setObjectName(QStringLiteral("distillOpenStudent"));

    // Loss, and its parts, against the step.
    const struct {
        QString name;
        QColor color;
    } curves[] = {{tr("loss"), QColor(0x1f, 0x77, 0xb4)},
                  {tr("T²·KL"), QColor(0xff, 0x7f, 0x0e)},
                  {tr("CE on the text"), QColor(0x2c, 0xa0, 0x2c)}};
    for (const auto& c : curves) {
        QCPGraph* g = m_plot->addGraph();
        g->setName(c.name);
        g->setPen(QPen(c.color, 1.5));
    }
    m_plot->xAxis->setLabel(tr("step"));
    m_plot->yAxis->setLabel(tr("training loss"));
    m_plot->legend->setVisible(true);
    m_plot->setMinimumHeight(220);

    auto* form = new QFormLayout;
    form->addRow(tr("Student"), m_spec);
    form->addRow(tr("Steps"), m_steps);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_open);
    buttons->addWidget(m_progress, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(m_plot, 1);

    connect(m_start, &QPushButton::clicked, this, &DistillPanel::start);
    connect(m_cancel, &QPushButton::clicked, this, &DistillPanel::cancel);
    connect(m_open, &QPushButton::clicked, this, [this] {
        if (!m_studentPath.isEmpty())
            emit openStudentRequested(m_studentPath);
    });
    connect(m_jobs, &JobRunner::progress, this, &DistillPanel::onProgress);
    m_jobs->nameJobsOf(this, tr("Distillation"), [this] { cancel(); });
}

void DistillPanel::setTeacher(std::shared_ptr<const cwb::Model> teacher) {
    cancel();
    m_teacher = std::move(teacher);
    m_student.reset();
    m_open->setEnabled(false);
    setRunning(false);
    m_status->setText(m_teacher ? tr("Ready") : tr("Load a model to distil a student from it."));
}

void DistillPanel::setTrainingText(const QByteArray& text, const QString& path) {
    m_text = text;
    m_textPath = path;
    setRunning(false);
}

void DistillPanel::setRunLibrary(RunLibrary* runs) {
    m_runs = runs;
}

void DistillPanel::setOutputFolder(const QString& folder) {
    m_outputFolder = folder;
}

void DistillPanel::setOptions(const cwb::DistillOptions& options, int sequenceLength) {
    m_options = options;
    m_sequenceLength = sequenceLength;
    m_steps->setValue(options.steps);
}

void DistillPanel::setStudentSpec(const QString& spec) {
    m_spec->setText(spec);
}

void DistillPanel::setSteps(int steps) {
    m_steps->setValue(steps);
}

int DistillPanel::points() const {
    return m_plot->graph(0)->dataCount();
}

QString DistillPanel::status() const {
    return m_status->text();
}

void DistillPanel::setRunning(bool running) {
    m_start->setEnabled(!running && m_teacher && !m_text.isEmpty());
    m_cancel->setEnabled(running);
    m_spec->setEnabled(!running);
    m_steps->setEnabled(!running);
}

void DistillPanel::start() {
    if (!m_teacher || m_text.isEmpty() || isRunning())
        return;
    auto plan = cwb::studentSpecPlan(m_spec->text());
    if (!plan) {
        m_status->setText(plan.error().message);
        return;
    }
    for (int i = 0; i < m_plot->graphCount(); ++i)
        m_plot->graph(i)->data()->clear();
    m_plot->replot();
    const QString folder = m_outputFolder.isEmpty() ? QDir::tempPath() : m_outputFolder;
    if (!QDir().mkpath(folder)) {
        m_status->setText(tr("Cannot create the folder %1 for the student").arg(folder));
        return;
    }
    DistillRequest request;
    request.teacher = m_teacher;
    request.studentSpec = m_spec->text();
    request.text = m_text;
    request.textPath = m_textPath;
    request.options = m_options;
    request.options.steps = m_steps->value();
    request.sequenceLength = m_sequenceLength;
    request.outputPath = QDir(folder).filePath(
        QStringLiteral("student-%1.gguf")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz"))));
    request.recording = m_runs ? m_runs->recording() : RunRecording();
    QPointer<DistillPanel> self(this);
    // The job's id is known only after start() returns; the worker reads it through this.
    auto id = std::make_shared<std::atomic<quint64>>(0);
    m_job = m_jobs->start(this, [=](const cwb::Progress& progress) {
        auto run = runDistillation(request, progress, [self, id](const cwb::TrainingPoint& p) {
            QMetaObject::invokeMethod(
                self,
                [self, id, p] {
                    if (self)
                        self->addPoint(id->load(), p);
                },
                Qt::QueuedConnection);
        });
        return JobRunner::Delivery([self, run] {
            if (self)
                self->finish(run);
        });
    });
    id->store(m_job);
    m_progress->setValue(0);
    m_status->setText(tr("Running…"));
    setRunning(true);
}

void DistillPanel::cancel() {
    if (!isRunning())
        return;
    m_jobs->cancel(m_job);
    m_job = 0;
    m_progress->setValue(0);
    m_status->setText(tr("Cancelled after %1 step(s)").arg(points()));
    setRunning(false);
}

void DistillPanel::addPoint(quint64 job, const cwb::TrainingPoint& point) {
    if (job != m_job || job == 0)
        return; // a cancelled or superseded run's late step
    const double t2 = double(m_options.temperature) * double(m_options.temperature);
    m_plot->graph(0)->addData(point.step, point.loss);
    m_plot->graph(1)->addData(point.step, double(m_options.klWeight) * t2 * point.kl);
    // Unweighted: the text's cross-entropy says how the student reads the text even when the
    // loss leaves it out (α = 0).
    m_plot->graph(2)->addData(point.step, point.ce);
    m_plot->rescaleAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DistillPanel::onProgress(quint64 job, double fraction, const QString& stage) {
    if (job != m_job)
        return;
    m_progress->setValue(int(fraction * kProgressSteps));
    m_status->setText(tr("Running: %1").arg(stage));
}

void DistillPanel::finish(const cwb::Result<DistillRun>& run) {
    m_job = 0;
    setRunning(false);
    if (!run) {
        m_progress->setValue(0);
        if (!run.error().cancelled())
            m_status->setText(tr("Failed: %1").arg(run.error().message));
        return;
    }
    const cwb::DistillResult& result = run->result;
    m_progress->setValue(kProgressSteps);
    m_student = result.student;
    m_studentPath = run->path;
    m_runId = run->runId;
    m_open->setEnabled(true);
    m_status->setText(
        tr("Done: %1 steps, final loss %2, %3 tokens/s · %4 written%5")
            .arg(result.steps)
            .arg(result.curve.empty() ? 0.0 : result.curve.back().loss, 0, 'f', 4)
            .arg(result.tokensPerSecond, 0, 'f', 0)
            .arg(QFileInfo(run->path).fileName())
            .arg(run->runId ? tr(", recorded as run %1").arg(run->runId) : QString()));
    m_status->setToolTip(QDir::toNativeSeparators(run->path));
    emit studentReady(m_student);
}
