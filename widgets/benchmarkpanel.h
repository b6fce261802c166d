// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchmark.h"
#include "plan.h"

#include <QWidget>

#include <memory>
#include <optional>

class JobRunner;
class PrecisionPlanModel;
class QCheckBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class RunLibrary;

namespace cwb {
struct Model;
}

// Speed of the plan as edited, with its weights packed as a deployment runs them: prefill and
// decode tokens/s, the weights' size and the process's peak memory, measured as `cwb bench
// --plan` measures them, on the JobRunner's worker with progress and Cancel. Each benchmark is
// recorded as a run of kind "benchmark", with the metrics `cwb bench` records.
class BenchmarkPanel : public QWidget {
    Q_OBJECT
public:
    explicit BenchmarkPanel(JobRunner* jobs, QWidget* parent = nullptr);

    // A running benchmark of the previous model is cancelled and its result cleared.
    void setModel(std::shared_ptr<const cwb::Model> model);
    // The plan Benchmark measures; read when a benchmark starts.
    void setPlanModel(const PrecisionPlanModel* plan);
    // Where benchmarks are recorded as runs (none: not recorded).
    void setRunLibrary(RunLibrary* runs) { m_runs = runs; }
    void setOptions(const cwb::BenchOptions& options);
    cwb::BenchOptions options() const;

    bool isRunning() const { return m_job != 0; }
    // Another panel's job holds the worker: starting one here would cancel it.
    void setWorkerBusy(bool busy);
    QString statusText() const;
    // The last benchmark's result, if it finished; and the run it was recorded as (0: none).
    const std::optional<cwb::BenchResult>& result() const { return m_result; }
    qint64 runId() const { return m_runId; }

public slots:
    void benchmark();
    void cancel();

signals:
    void runningChanged(bool running);

private:
    struct Outcome {
        cwb::Result<cwb::BenchResult> result;
        cwb::SizeSummary size;
        QString planName;
        qint64 runId = 0;
    };
    QWidget* createOptions();
    QWidget* createResult();
    void onProgress(quint64 job, double fraction, const QString& stage);
    void finish(const Outcome& outcome);
    void showResult(const cwb::BenchResult& r, const cwb::SizeSummary& size,
                    const QString& planName);
    void clearResult();
    void updateTarget();
    void setRunning(bool running);

    JobRunner* m_jobs;
    std::shared_ptr<const cwb::Model> m_model;
    const PrecisionPlanModel* m_plan = nullptr;
    RunLibrary* m_runs = nullptr;
    quint64 m_job = 0;
    bool m_workerBusy = false;
    std::optional<cwb::BenchResult> m_result;
    qint64 m_runId = 0;

    QWidget* m_options = nullptr;
    QLabel* m_target = nullptr;
    QSpinBox* m_prompt = nullptr;
    QSpinBox* m_generated = nullptr;
    QSpinBox* m_threads = nullptr;
    QCheckBox* m_bandwidth = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QWidget* m_resultBox = nullptr;
    QLabel* m_weights = nullptr;
    QLabel* m_prefill = nullptr;
    QLabel* m_decode = nullptr;
    QLabel* m_memory = nullptr;
    QLabel* m_machine = nullptr;
};
