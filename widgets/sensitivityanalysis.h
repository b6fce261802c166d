// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "evaluation.h"
#include "planevaluation.h"
#include "result.h"
#include "search.h"
#include "sensitivity.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

class JobRunner;
class RunLibrary;

// What a sensitivity measurement reads: the model, the evaluation text and how it is cut (the
// evaluation panel's), and the calibration statistics with the plan's method when there are any.
struct AnalysisInputs {
    std::shared_ptr<const cwb::Model> model;
    QString textPath;
    cwb::EvalOptions eval;
    std::shared_ptr<const cwb::CalibrationStats> stats; // null: rtn
    QJsonObject calibration;                            // the plan's section: its "method"
    std::vector<cwb::PrecisionId> precisions;           // empty: the default candidates
};

// A search as the Search dialog sets it: the budget (priced on a profile for $), the quality
// limit, and the budgets of a sweep (empty: none).
struct SearchRequest {
    cwb::SearchOptions options;
    std::vector<double> sweep;
};

// A searched plan evaluated for real and recorded, and the frontier of a sweep.
struct SearchOutcome {
    cwb::SensitivityResult sensitivity;
    cwb::SearchResult search;
    cwb::PlanEvaluation measured;
    qint64 runId = 0;                 // 0: not recorded (no writable run database)
    std::vector<qint64> frontierRuns; // the sweep's runs, children of runId
    QStringList skipped;              // budgets of the sweep no plan reaches, with the reason
};

// Run Sensitivity and Search on the JobRunner's worker, through the same core calls as `cwb
// sensitivity` and `cwb search`, recorded as the same runs. One job at a time; it waits behind
// the job already running rather than superseding it, and Cancel drops it.
class SensitivityAnalysis : public QObject {
    Q_OBJECT
public:
    SensitivityAnalysis(JobRunner* jobs, RunLibrary* runs, QObject* parent = nullptr);

    // Measures every quantizable tensor at every candidate precision; emits measured().
    void measure(const AnalysisInputs& inputs);
    // Measures (or reads back the measurement), searches, evaluates the plan found and records
    // it, then the sweep's plans; emits searched(), or failed() with core's reason when no plan
    // fits the budget.
    void search(const AnalysisInputs& inputs, const SearchRequest& request);
    void cancel();
    bool isRunning() const { return m_job != 0; }

signals:
    void runningChanged(bool running);
    void progressed(double fraction, const QString& stage);
    void measured(const cwb::SensitivityResult& result, qint64 runId);
    void searched(const SearchOutcome& outcome);
    // `what` names the job ("Sensitivity", "Search"); a cancelled job emits nothing.
    void failed(const QString& what, const cwb::Error& error);

private:
    void setJob(quint64 job);
    void deliverFailure(const QString& what, const cwb::Error& error);

    JobRunner* m_jobs;
    RunLibrary* m_runs;
    quint64 m_job = 0;
};
