// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "benchmark.h"
#include "evaluation.h"
#include "model.h"
#include "plan.h"
#include "planevaluation.h"
#include "store/runstore.h"

#include <QString>

namespace cwb {

// A run's record with what every run carries: the model's identity, the tool's version and
// commit, this machine's CPU, oneDNN's version, the command that reproduces it.
RunRecord newRunRecord(const QString& kind, const Model* model, const QString& command);
ModelIdentity modelIdentity(const Model& model);
// What a run that wrote a model file records of it in its settings: "out", the absolute path, and
// "output_sha256", the file's sha256, which is the fingerprint of the model read back from it
// (GGUF holds its tokenizer). RunRecorder::start() makes a run on that file the writer's child.
Result<QJsonObject> modelOutputJson(const QString& path);

// Metrics and per-tensor results of the core calls, named as the CLI's JSON names them.
std::map<QString, MetricValue> metricsOf(const PerplexityResult& r);
// With the model's weights as stored ("size_bytes"): what a run on an already compressed file
// (a quantized student) is placed by on the trade-off plot.
std::map<QString, MetricValue> metricsOf(const Model& model, const PerplexityResult& r);
std::map<QString, MetricValue> metricsOf(const PlanEvaluation& e);
std::map<QString, MetricValue> metricsOf(const BenchResult& r, const SizeSummary& size);
// Each tensor's precision, method and bytes, and for a quantized matrix its quantization error:
// the relative RMS error of round-to-nearest at its precision (what the method starts from; the
// method's own gain shows in the run's KLD).
std::vector<TensorResult> tensorResultsOf(const Model& model, const ResolvedPlan& plan);

// Records one run from start to end. A recorder destroyed before finish() marks its run failed,
// so nothing is ever left "running" by a process that is still alive.
class RunRecorder {
public:
    // A run without a parent whose model some finished run wrote (RunStore::runProducing) gets
    // that run as its parent.
    static Result<RunRecorder> start(RunStore& store, RunRecord run);
    RunRecorder(RunRecorder&& other) noexcept
        : m_store(other.m_store)
        , m_id(other.m_id)
        , m_parentId(other.m_parentId) {
        other.m_store = nullptr;
    }
    RunRecorder& operator=(RunRecorder&&) = delete;
    ~RunRecorder();

    std::int64_t id() const { return m_id; }
    // The parent as recorded: the one given, or the run that wrote the model.
    std::optional<std::int64_t> parentId() const { return m_parentId; }
    Result<void> finish(const RunOutcome& outcome);
    // A cancelled job is recorded as cancelled, any other failure as failed, with its reason.
    Result<void> fail(const Error& error);

private:
    RunRecorder(RunStore& store, std::int64_t id, std::optional<std::int64_t> parentId)
        : m_store(&store)
        , m_id(id)
        , m_parentId(parentId) {}
    RunStore* m_store;
    std::int64_t m_id;
    std::optional<std::int64_t> m_parentId;
};

} // namespace cwb
