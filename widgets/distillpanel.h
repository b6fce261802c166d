// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "distill.h"
#include "model.h"

#include <QByteArray>
#include <QWidget>

#include <memory>

class JobRunner;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

// Distils a student from the loaded teacher as a background job: the student spec and step count
// to choose, a live plot of the loss and its KL and CE parts step by step, and Cancel (which
// keeps the checkpoint, if the options name one, so a later run resumes).
class DistillPanel : public QWidget {
    Q_OBJECT
public:
    explicit DistillPanel(JobRunner* jobs, QWidget* parent = nullptr);

    void setTeacher(std::shared_ptr<const cwb::Model> teacher);
    void setTrainingText(const QByteArray& text);
    // Everything but the step count, which the spin box holds; and the sequence length.
    void setOptions(const cwb::DistillOptions& options, int sequenceLength);
    void setStudentSpec(const QString& spec);
    void setSteps(int steps);

    bool isRunning() const { return m_job != 0; }
    int points() const;
    QString status() const;
    std::shared_ptr<const cwb::Model> student() const { return m_student; }

public slots:
    void start();
    void cancel();

signals:
    void studentReady(std::shared_ptr<const cwb::Model> student);

private:
    void addPoint(quint64 job, const cwb::TrainingPoint& point);
    void onProgress(quint64 job, double fraction, const QString& stage);
    void finish(const cwb::Result<cwb::DistillResult>& result);
    void setRunning(bool running);

    JobRunner* m_jobs;
    std::shared_ptr<const cwb::Model> m_teacher;
    std::shared_ptr<const cwb::Model> m_student;
    QByteArray m_text;
    cwb::DistillOptions m_options;
    int m_sequenceLength = 128;
    quint64 m_job = 0;

    QLineEdit* m_spec;
    QSpinBox* m_steps;
    QPushButton* m_start;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_status;
    QCustomPlot* m_plot;
};
