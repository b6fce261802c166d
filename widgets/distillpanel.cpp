// SPDX-License-Identifier: GPL-3.0-or-later
#include "distillpanel.h"

#include "jobrunner.h"
#include "prune.h"

#include <qcustomplot.h>

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
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(tr("Load a model to distil a student from it."), this))
    , m_plot(new QCustomPlot(this)) {
    m_spec->setToolTip(tr("blocks=0,2,4 | drop=N | ffn=F | kv=N | prune=PLAN.json, joined by ;"));
    m_steps->setRange(1, 1000000);
    m_steps->setValue(m_options.steps);
    m_progress->setRange(0, kProgressSteps);
    m_cancel->setEnabled(false);
    m_start->setEnabled(false);

    // Loss, and its parts, against the step.
    const struct {
        QString name;
        QColor color;
    } curves[] = {{tr("loss"), QColor(0x1f, 0x77, 0xb4)},
                  {tr("T²·KL"), QColor(0xff, 0x7f, 0x0e)},
                  {tr("CE"), QColor(0x2c, 0xa0, 0x2c)}};
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
    buttons->addWidget(m_progress, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(m_plot, 1);

    connect(m_start, &QPushButton::clicked, this, &DistillPanel::start);
    connect(m_cancel, &QPushButton::clicked, this, &DistillPanel::cancel);
    connect(m_jobs, &JobRunner::progress, this, &DistillPanel::onProgress);
    m_jobs->nameJobsOf(this, tr("Distillation"), [this] { cancel(); });
}

void DistillPanel::setTeacher(std::shared_ptr<const cwb::Model> teacher) {
    cancel();
    m_teacher = std::move(teacher);
    m_student.reset();
    setRunning(false);
    m_status->setText(m_teacher ? tr("Ready") : tr("Load a model to distil a student from it."));
}

void DistillPanel::setTrainingText(const QByteArray& text) {
    m_text = text;
    setRunning(false);
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
    cwb::DistillOptions options = m_options;
    options.steps = m_steps->value();
    const auto teacher = m_teacher;
    const QByteArray text = m_text;
    const int sequenceLength = m_sequenceLength;
    const cwb::PrunePlan studentPlan = *plan;
    QPointer<DistillPanel> self(this);
    // The job's id is known only after start() returns; the worker reads it through this.
    auto id = std::make_shared<std::atomic<quint64>>(0);
    m_job = m_jobs->start(this, [=](const cwb::Progress& progress) {
        auto run = [&]() -> cwb::Result<cwb::DistillResult> {
            auto windows = cwb::tokenizeTrainingText(*teacher, text, sequenceLength);
            if (!windows)
                return windows.error();
            if (studentPlan.needsStatistics())
                return cwb::Error{QStringLiteral("this student needs calibration statistics: "
                                                 "use cwb distill for it")};
            auto student = cwb::pruneModel(*teacher, studentPlan, nullptr);
            if (!student)
                return student.error();
            return cwb::distill(*teacher, *student->model, *windows, options, progress,
                                [self, id](const cwb::TrainingPoint& p) {
                                    QMetaObject::invokeMethod(
                                        self,
                                        [self, id, p] {
                                            if (self)
                                                self->addPoint(id->load(), p);
                                        },
                                        Qt::QueuedConnection);
                                });
        }();
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
    m_plot->graph(2)->addData(point.step, double(m_options.alpha) * point.ce);
    m_plot->rescaleAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DistillPanel::onProgress(quint64 job, double fraction, const QString& stage) {
    if (job != m_job)
        return;
    m_progress->setValue(int(fraction * kProgressSteps));
    m_status->setText(tr("Running: %1").arg(stage));
}

void DistillPanel::finish(const cwb::Result<cwb::DistillResult>& result) {
    m_job = 0;
    setRunning(false);
    if (!result) {
        m_progress->setValue(0);
        if (!result.error().cancelled())
            m_status->setText(tr("Failed: %1").arg(result.error().message));
        return;
    }
    m_progress->setValue(kProgressSteps);
    m_student = result->student;
    m_status->setText(tr("Done: %1 steps, final loss %2, %3 tokens/s")
                          .arg(result->steps)
                          .arg(result->curve.empty() ? 0.0 : result->curve.back().loss, 0, 'f', 4)
                          .arg(result->tokensPerSecond, 0, 'f', 0));
    emit studentReady(m_student);
}
