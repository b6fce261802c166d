// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "distill.h"
#include "distillrun.h"
#include "model.h"

#include <QByteArray>
#include <QWidget>

#include <memory>

class JobRunner;
class RunLibrary;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

// Distils a student from the loaded teacher as a background job: the student spec and step count
// to choose, a live plot of the loss and its KL and CE parts step by step, and Cancel (which
// keeps the checkpoint, if the options name one, so a later run resumes). The finished student is
// written as GGUF into the output folder and recorded, with the prune run that made it, in the
// run library; Open Student asks for it to be opened.
class DistillPanel : public QWidget {
    Q_OBJECT
public:
    explicit DistillPanel(JobRunner* jobs, QWidget* parent = nullptr);

    void setTeacher(std::shared_ptr<const cwb::Model> teacher);
    // The text and the file it was read from (for the run record).
    void setTrainingText(const QByteArray& text, const QString& path = {});
    // Where runs are recorded (none: not recorded) and students written.
    void setRunLibrary(RunLibrary* runs);
    void setOutputFolder(const QString& folder);
    // Everything but the step count, which the spin box holds; and the sequence length.
    void setOptions(const cwb::DistillOptions& options, int sequenceLength);
    void setStudentSpec(const QString& spec);
    void setSteps(int steps);

    bool isRunning() const { return m_job != 0; }
    int points() const;
    QString status() const;
    std::shared_ptr<const cwb::Model> student() const { return m_student; }
    // The last student's file and its distillation run (0: not recorded).
    QString studentPath() const { return m_studentPath; }
    qint64 runId() const { return m_runId; }

public slots:
    void start();
    void cancel();

signals:
    void studentReady(std::shared_ptr<const cwb::Model> student);
    // Open Student was clicked: open the student written to `path`.
    void openStudentRequested(const QString& path);

private:
    void addPoint(quint64 job, const cwb::TrainingPoint& point);
    void onProgress(quint64 job, double fraction, const QString& stage);
    void finish(const cwb::Result<DistillRun>& result);
    void setRunning(bool running);

    JobRunner* m_jobs;
    std::shared_ptr<const cwb::Model> m_teacher;
    std::shared_ptr<const cwb::Model> m_student;
    QByteArray m_text;
    QString m_textPath;
    RunLibrary* m_runs = nullptr;
    QString m_outputFolder;
    QString m_studentPath;
    qint64 m_runId = 0;
    cwb::DistillOptions m_options;
    int m_sequenceLength = 128;
    quint64 m_job = 0;

    QLineEdit* m_spec;
    QSpinBox* m_steps;
    QPushButton* m_start;
    QPushButton* m_cancel;
    QPushButton* m_open;
    QProgressBar* m_progress;
    QLabel* m_status;
    QCustomPlot* m_plot;
};
