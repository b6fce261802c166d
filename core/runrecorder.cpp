// SPDX-License-Identifier: GPL-3.0-or-later
#include "runrecorder.h"

#include "fingerprint.h"
#include "modelsummary.h"
#include "quanterror.h"
#include "systeminfo.h"
#include "version.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>

namespace cwb {

ModelIdentity modelIdentity(const Model& model) {
    ModelIdentity m;
    m.path = model.path.startsWith(QLatin1Char(':')) ? model.path
                                                     : QFileInfo(model.path).absoluteFilePath();
    m.sizeBytes = std::int64_t(model.fileBytes());
    m.sha256 = modelFingerprint(model);
    m.format = model.formatName;
    m.architecture = model.config.architecture;
    m.parameters = model.parameterCount();
    m.config = modelToJson(model).value(QStringLiteral("config")).toObject();
    return m;
}

Result<QJsonObject> modelOutputJson(const QString& path) {
    QFile file(path);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!file.open(QIODevice::ReadOnly) || !hash.addData(&file))
        return Error{QStringLiteral("cannot read %1: %2").arg(path, file.errorString())};
    return QJsonObject{
        {QStringLiteral("out"), QFileInfo(path).absoluteFilePath()},
        {QStringLiteral("output_sha256"), QString::fromLatin1(hash.result().toHex())}};
}

RunRecord newRunRecord(const QString& kind, const Model* model, const QString& command) {
    RunRecord r;
    r.kind = kind;
    if (model)
        r.model = modelIdentity(*model);
    r.toolVersion = QStringLiteral(CWB_VERSION);
    r.toolCommit = QStringLiteral(CWB_GIT_COMMIT);
    r.onednnVersion = oneDnnVersion();
    r.cpu = cpuModelName();
    r.command = command;
    return r;
}

namespace {

MetricValue value(double v, std::optional<double> u = std::nullopt) {
    return MetricValue{v, u};
}

} // namespace

std::map<QString, MetricValue> metricsOf(const PerplexityResult& r) {
    return {
        {QStringLiteral("ppl"), value(r.ppl, r.pplStderr)},
        {QStringLiteral("nll_mean"), value(r.nllMean)},
        {QStringLiteral("tokens_scored"), value(double(r.tokensScored))},
        {QStringLiteral("tokens_processed"), value(double(r.tokensProcessed))},
        {QStringLiteral("tok_per_s"), value(r.tokensPerSecond)},
        {QStringLiteral("seconds"), value(r.seconds)},
    };
}

std::map<QString, MetricValue> metricsOf(const Model& model, const PerplexityResult& r) {
    auto out = metricsOf(r);
    out[QStringLiteral("size_bytes")] = value(double(model.storedBytes()));
    return out;
}

std::map<QString, MetricValue> metricsOf(const PlanEvaluation& e) {
    const ComparisonMetrics& m = e.metrics;
    std::map<QString, MetricValue> out = {
        {QStringLiteral("ppl"), value(m.ppl, m.pplStderr)},
        {QStringLiteral("base_ppl"), value(m.basePpl, m.basePplStderr)},
        {QStringLiteral("ppl_ratio"), value(m.pplRatio, m.pplRatioStderr)},
        {QStringLiteral("delta_ppl_percent"),
         value(100 * (m.pplRatio - 1), 100 * m.pplRatioStderr)},
        {QStringLiteral("kld_mean"), value(m.kldMean, m.kldStderr)},
        {QStringLiteral("kld_median"), value(m.kldMedian)},
        {QStringLiteral("kld_p99"), value(m.kldP99)},
        {QStringLiteral("kld_max"), value(m.kldMax)},
        {QStringLiteral("top1_agreement"), value(m.top1Agreement, m.top1Stderr)},
        {QStringLiteral("delta_p_mean"), value(m.deltaPMean, m.deltaPStderr)},
        {QStringLiteral("size_bytes"), value(double(e.size.totalBytes))},
        {QStringLiteral("bpw"), value(e.size.bitsPerWeight)},
        {QStringLiteral("base_size_bytes"), value(double(e.baselineSize.totalBytes))},
        {QStringLiteral("tokens_scored"), value(double(m.tokens))},
        {QStringLiteral("tok_per_s"), value(e.tokensPerSecond)},
        {QStringLiteral("seconds"), value(e.seconds)},
    };
    if (e.mismatch)
        out[QStringLiteral("calibration_mismatch_bits")] = value(e.mismatch->divergenceBits);
    return out;
}

std::map<QString, MetricValue> metricsOf(const BenchResult& r, const SizeSummary& size) {
    return {
        {QStringLiteral("prefill_tok_s"), value(r.prefillTokensPerSecond)},
        {QStringLiteral("decode_tok_s"), value(r.decodeTokensPerSecond)},
        {QStringLiteral("peak_rss_bytes"), value(double(r.peakResidentBytes))},
        {QStringLiteral("weight_bytes"), value(double(r.weightBytes))},
        {QStringLiteral("kv_cache_bytes"), value(double(r.kvCacheBytes))},
        {QStringLiteral("bandwidth_gb_s"), value(r.readBandwidthGBs)},
        {QStringLiteral("decode_bandwidth_fraction"), value(r.decodeBandwidthFraction)},
        {QStringLiteral("prefill_gflops"), value(r.prefillGflops)},
        {QStringLiteral("matmul_gflops"), value(r.matmulGflops)},
        {QStringLiteral("size_bytes"), value(double(size.totalBytes))},
        {QStringLiteral("bpw"), value(size.bitsPerWeight)},
    };
}

std::vector<TensorResult> tensorResultsOf(const Model& model, const ResolvedPlan& plan) {
    std::vector<TensorResult> out;
    for (const Tensor& t : model.tensors) {
        const TensorChoice* c = plan.find(t.name);
        const PrecisionId id = c ? c->precision : PrecisionId::Fp32;
        TensorResult r;
        r.tensor = t.name;
        r.precision = QLatin1String(precisionInfo(id).name);
        r.method = methodName(c ? c->method : QuantMethod::Rtn);
        r.bytes = packedRowBytes(id, t.rowLength()) * std::uint64_t(t.rows());
        if (id != PrecisionId::Fp32 && t.isMatrix())
            if (auto e = relativeQuantError(t, id))
                r.quantError = *e;
        out.push_back(r);
    }
    return out;
}

Result<RunRecorder> RunRecorder::start(RunStore& store, RunRecord run) {
    // A model some recorded run wrote continues that run's lineage, unless told otherwise.
    if (!run.parentId && run.model)
        if (auto producer = store.runProducing(run.model->sha256); producer && *producer)
            run.parentId = **producer;
    const std::optional<std::int64_t> parent = run.parentId;
    auto id = store.begin(std::move(run));
    if (!id)
        return Error{QStringLiteral("cannot record the run in %1: %2")
                         .arg(store.path(), id.error().message)};
    return RunRecorder(store, *id, parent);
}

RunRecorder::~RunRecorder() {
    if (m_store)
        (void)m_store->finish(m_id, RunStatus::Failed, {},
                              QStringLiteral("the run ended without a result"));
}

Result<void> RunRecorder::finish(const RunOutcome& outcome) {
    RunStore* store = std::exchange(m_store, nullptr);
    return store->finish(m_id, RunStatus::Finished, outcome);
}

Result<void> RunRecorder::fail(const Error& error) {
    RunStore* store = std::exchange(m_store, nullptr);
    return store->finish(m_id, error.cancelled() ? RunStatus::Cancelled : RunStatus::Failed, {},
                         error.message);
}

} // namespace cwb
