// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "evaluation.h"

#include <QGroupBox>

#include <memory>

class EvaluationResultView;
class JobRunner;
class QComboBox;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

// Perplexity of the loaded model on a text: the options, Evaluate and Cancel, progress, and
// the result. The evaluation itself runs on the JobRunner's worker.
class EvaluationPanel : public QGroupBox {
    Q_OBJECT
public:
    explicit EvaluationPanel(JobRunner* jobs, QWidget* parent = nullptr);

    // A running evaluation of the previous model is cancelled: its numbers would be misread.
    void setModel(std::shared_ptr<const cwb::Model> model);
    void setTextPath(const QString& path);
    QString textPath() const { return m_textPath; }
    void setOptions(const cwb::EvalOptions& options);
    cwb::EvalOptions options() const;

    bool isRunning() const { return m_job != 0; }
    EvaluationResultView* resultView() const { return m_result; }

public slots:
    void evaluate();
    void cancel();
    void chooseText();

signals:
    void runningChanged(bool running);

private:
    QWidget* createOptions();
    void onProgress(quint64 job, double fraction, const QString& stage);
    void finish(const cwb::Result<cwb::PerplexityResult>& result);
    void setRunning(bool running);

    JobRunner* m_jobs;
    std::shared_ptr<const cwb::Model> m_model;
    quint64 m_job = 0;
    QString m_textPath;

    QWidget* m_options = nullptr;
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
};
