// SPDX-License-Identifier: GPL-3.0-or-later
#include "sensitivityanalysis.h"

#include "jobrecords.h"
#include "jobrunner.h"
#include "runlibrary.h"
#include "runrecording.h"
#include "searchrecord.h"
#include "textfile.h"

namespace {

// Of a search: measuring is the long part unless it is read back; each evaluation is one plan
// against the cached FP32 logits.
constexpr double kMeasureShare = 0.6;

cwb::SensitivityOptions sensitivityOptions(const AnalysisInputs& in) {
    cwb::SensitivityOptions o;
    o.eval = in.eval;
    o.precisions = in.precisions;
    // A calibrated method only with the statistics it needs; rtn otherwise.
    if (in.stats) {
        o.calibration = in.calibration;
        o.stats = in.stats.get();
    }
    return o;
}

struct Evaluated {
    cwb::PlanEvaluation measured;
    qint64 runId = 0;
};

// One searched plan evaluated and recorded as `cwb search` does.
cwb::Result<Evaluated>
evaluateAndRecord(const AnalysisInputs& in, const QByteArray& text,
                  const cwb::SensitivityOptions& options, const cwb::SensitivityResult& sensitivity,
                  const cwb::SearchResult& search, const std::optional<double>& maxKld,
                  std::optional<std::int64_t> parent, const RunRecording& recording,
                  const cwb::Progress& progress) {
    cwb::RunRecord record = searchRecord(*in.model, in.textPath, text, options, search, maxKld);
    record.parentId = parent;
    auto recorded = RecordedRun::begin(recording, record);
    const cwb::PlanEvaluationOptions o{in.eval, {}, options.stats};
    auto measured = cwb::evaluatePlan(*in.model, text, search.plan, o, progress);
    if (!measured) {
        if (recorded)
            recorded->fail(measured.error());
        return measured.error();
    }
    if (recorded)
        recorded->finish(
            cwb::searchOutcome(*in.model, search, *measured, sensitivity.method, options.stats));
    return Evaluated{std::move(measured.value()), recorded ? recorded->id() : 0};
}

} // namespace

SensitivityAnalysis::SensitivityAnalysis(JobRunner* jobs, RunLibrary* runs, QObject* parent)
    : QObject(parent)
    , m_jobs(jobs)
    , m_runs(runs) {
    connect(m_jobs, &JobRunner::progress, this,
            [this](quint64 job, double fraction, const QString& stage) {
                if (job == m_job)
                    emit progressed(fraction, stage);
            });
}

void SensitivityAnalysis::measure(const AnalysisInputs& in) {
    if (!in.model || isRunning())
        return;
    const RunRecording recording = m_runs ? m_runs->recording() : RunRecording();
    const auto job = [this, in, recording](const cwb::Progress& progress) {
        const cwb::SensitivityOptions options = sensitivityOptions(in);
        auto text = cwb::readTextFile(in.textPath);
        if (!text) {
            const cwb::Error error = text.error();
            return JobRunner::Delivery([this, error] { deliverFailure(tr("Sensitivity"), error); });
        }
        auto recorded = RecordedRun::begin(
            recording, sensitivityRecord(*in.model, in.textPath, *text, options));
        auto result = cwb::measureSensitivity(*in.model, *text, options, progress);
        if (!result) {
            if (recorded)
                recorded->fail(result.error());
            const cwb::Error error = result.error();
            return JobRunner::Delivery([this, error] { deliverFailure(tr("Sensitivity"), error); });
        }
        qint64 id = 0;
        if (recorded) {
            recorded->finish(cwb::sensitivityOutcome(*result));
            id = recorded->id();
        }
        return JobRunner::Delivery([this, r = std::move(result.value()), id] {
            setJob(0);
            emit measured(r, id);
        });
    };
    setJob(m_jobs->enqueue(this, job, tr("Sensitivity")));
}

void SensitivityAnalysis::search(const AnalysisInputs& in, const SearchRequest& request) {
    if (!in.model || isRunning())
        return;
    const RunRecording recording = m_runs ? m_runs->recording() : RunRecording();
    const auto job = [this, in, request, recording](const cwb::Progress& progress) {
        const auto fail = [this](const cwb::Error& error) {
            return JobRunner::Delivery([this, error] { deliverFailure(tr("Search"), error); });
        };
        const cwb::SensitivityOptions options = sensitivityOptions(in);
        auto text = cwb::readTextFile(in.textPath);
        if (!text)
            return fail(text.error());
        auto sensitivity = cwb::measureSensitivity(
            *in.model, *text, options, progress.slice(0, kMeasureShare, tr("sensitivity")));
        if (!sensitivity)
            return fail(sensitivity.error());
        auto found = cwb::searchPlan(*in.model, *sensitivity, request.options);
        if (!found)
            return fail(found.error());
        const cwb::Frontier frontier =
            request.sweep.empty()
                ? cwb::Frontier{}
                : cwb::searchFrontier(*in.model, *sensitivity, request.options, request.sweep);
        const double step = (1 - kMeasureShare) / double(1 + frontier.plans.size());
        auto main = evaluateAndRecord(
            in, *text, options, *sensitivity, *found, request.options.maxKld, std::nullopt,
            recording, progress.slice(kMeasureShare, kMeasureShare + step, tr("evaluation")));
        if (!main)
            return fail(main.error());
        SearchOutcome outcome{std::move(sensitivity.value()),
                              std::move(found.value()),
                              std::move(main->measured),
                              main->runId,
                              {},
                              frontier.skipped};
        for (std::size_t i = 0; i < frontier.plans.size(); ++i) {
            const double from = kMeasureShare + step * double(i + 1);
            auto e = evaluateAndRecord(
                in, *text, options, outcome.sensitivity, frontier.plans[i], request.options.maxKld,
                outcome.runId > 0 ? std::optional<std::int64_t>(outcome.runId) : std::nullopt,
                recording,
                progress.slice(from, from + step,
                               tr("sweep %1/%2").arg(i + 1).arg(frontier.plans.size())));
            if (!e)
                return fail(e.error());
            outcome.frontierRuns.push_back(e->runId);
        }
        return JobRunner::Delivery([this, outcome = std::move(outcome)] {
            setJob(0);
            emit searched(outcome);
        });
    };
    setJob(m_jobs->enqueue(this, job, tr("Search")));
}

void SensitivityAnalysis::cancel() {
    if (!isRunning())
        return;
    m_jobs->cancel(m_job);
    setJob(0);
}

void SensitivityAnalysis::deliverFailure(const QString& what, const cwb::Error& error) {
    setJob(0);
    if (!error.cancelled())
        emit failed(what, error);
}

void SensitivityAnalysis::setJob(quint64 job) {
    const bool was = isRunning();
    m_job = job;
    if (was != isRunning())
        emit runningChanged(isRunning());
}
