// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "evaluation.h"
#include "planevaluation.h"

#include <QGroupBox>

#include <memory>

class CalibrationPanel;
class EvaluationResultView;
class JobRunner;
class PrecisionPlanModel;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class RunLibrary;

// Evaluation of the loaded model on a text: the options, Evaluate and Cancel, progress, and the
// result. With a plan that quantizes anything, Evaluate compares the plan with the FP32 model;
// with every tensor in f32 it measures the model's perplexity. The evaluation itself runs on the
// JobRunner's worker.
//
// A plan whose methods need calibration is evaluated with the calibration panel's statistics;
// if there are none yet, the same job calibrates first, as the panel is set, and hands the
// statistics to the panel for the next evaluation.
class EvaluationPanel : public QGroupBox {
    Q_OBJECT
public:
    explicit EvaluationPanel(JobRunner* jobs, QWidget* parent = nullptr);

    // A running evaluation of the previous model is cancelled: its numbers would be misread.
    void setModel(std::shared_ptr<const cwb::Model> model);
    // The plan Evaluate compares with the FP32 model; read when an evaluation starts.
    void setPlanModel(const PrecisionPlanModel* plan);
    // Where the statistics come from for plans with calibrated methods.
    void setCalibrationPanel(CalibrationPanel* calibration);
    // Where evaluations are recorded as runs (none: not recorded).
    void setRunLibrary(RunLibrary* runs) { m_runs = runs; }
    // A line under the result about its recorded run (its cost); cleared when a job starts.
    void setRunNote(const QString& text, const QString& toolTip = {});
    QString runNote() const;
    void setTextPath(const QString& path);
    QString textPath() const { return m_textPath; }
    void setOptions(const cwb::EvalOptions& options);
    cwb::EvalOptions options() const;

    bool isRunning() const { return m_job != 0; }
    EvaluationResultView* resultView() const { return m_result; }
    // Another panel's job holds the worker: starting one here would cancel it.
    void setWorkerBusy(bool busy);

public slots:
    void evaluate();
    void cancel();
    void chooseText();

    // The height that shows the whole result, which a calibrated plan's makes taller.
    int resultHeight() const;

signals:
    void runningChanged(bool running);
    // A result is shown; the window may make room for it.
    void resultShown();

private:
    QWidget* createOptions();
    void onProgress(quint64 job, double fraction, const QString& stage);
    void finish(const cwb::Result<cwb::PerplexityResult>& result);
    void finishPlan(const cwb::Result<cwb::PlanEvaluation>& result, const QString& planName);
    void finishFailed(const cwb::Error& error);
    void startPlanEvaluation();
    void updateTarget();
    void updateCalibrationState();
    void setRunning(bool running);

    JobRunner* m_jobs;
    std::shared_ptr<const cwb::Model> m_model;
    const PrecisionPlanModel* m_plan = nullptr;
    CalibrationPanel* m_calibration = nullptr;
    RunLibrary* m_runs = nullptr;
    quint64 m_job = 0;
    bool m_workerBusy = false;
    QString m_textPath;

    QWidget* m_options = nullptr;
    QFormLayout* m_optionsForm = nullptr;
    QLabel* m_target = nullptr;
    QLabel* m_calibrationState = nullptr;
    QLineEdit* m_text = nullptr;
    QComboBox* m_split = nullptr;
    QLineEdit* m_separator = nullptr;
    QSpinBox* m_ctx = nullptr;
    QSpinBox* m_threads = nullptr;
    QSpinBox* m_maxTokens = nullptr;
    QPushButton* m_evaluate = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    EvaluationResultView* m_result = nullptr;
    QWidget* m_resultScroll = nullptr;
    QLabel* m_runNote = nullptr;
};
