// SPDX-License-Identifier: GPL-3.0-or-later
#include "sensitivity.h"

#include "baselinecache.h"
#include "comparison.h"
#include "engine.h"
#include "fingerprint.h"
#include "planevaluation.h"
#include "textfile.h"
#include "weightset.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QtEndian>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <random>
#include <set>

namespace cwb {
namespace {

// The first stage a tensor's values reach: -1 when the embedding changes (stage 0's input is
// the embedding itself), the block's index for block tensors, `layers` for an untied classifier.
int stageOf(const QString& name, int layers) {
    static const QRegularExpression block(QStringLiteral("^blk\\.(\\d+)\\."));
    if (const auto m = block.match(name); m.hasMatch())
        return m.captured(1).toInt();
    if (name == QLatin1String("output.weight"))
        return layers;
    return -1;
}

double seconds(const QElapsedTimer& t) {
    return double(t.nsecsElapsed()) / 1e9;
}

double cpuSeconds() {
    return double(std::clock()) / double(CLOCKS_PER_SEC);
}

QString cacheKey(const QString& baseline, const SensitivityOptions& o,
                 const std::vector<PrecisionId>& precisions) {
    QStringList parts{QStringLiteral("cwb-sensitivity-v3"), baseline,
                      QString::number(o.samplePositions)};
    for (PrecisionId id : precisions)
        parts << QLatin1String(precisionInfo(id).name);
    parts << QString::fromUtf8(QJsonDocument(o.calibration).toJson(QJsonDocument::Compact));
    if (o.stats)
        parts << QString::fromUtf8(
            QJsonDocument(o.stats->provenance()).toJson(QJsonDocument::Compact));
    parts << o.tensors.join(QLatin1Char(','));
    return QString::fromLatin1(
        QCryptographicHash::hash(parts.join(QLatin1Char('|')).toUtf8(), QCryptographicHash::Sha256)
            .toHex());
}

// The stage inputs of every sequence: [sequence][stage][token][dim].
struct ResidualCache {
    int stages = 0;
    int dim = 0;
    std::vector<std::vector<float>> sequences;

    std::span<float> at(std::size_t sequence, int stage, int m) {
        const std::size_t n = std::size_t(m) * std::size_t(dim);
        return std::span(sequences[sequence]).subspan(std::size_t(stage) * n, n);
    }
    std::uint64_t bytes() const {
        std::uint64_t b = 0;
        for (const auto& s : sequences)
            b += s.size() * sizeof(float);
        return b;
    }
};

// Runs the FP32 model over every sequence, keeping each stage's input and handing each scored
// position's logits to `onScored`.
Result<void>
capturePass(const Model& model, const EvalPlan& plan, int threads, ResidualCache& residuals,
            const Progress& progress,
            const std::function<void(std::span<const float>, std::int32_t)>& onScored) {
    const LlamaConfig& c = model.config;
    residuals.stages = c.layers + 1;
    residuals.dim = c.dim;
    residuals.sequences.resize(plan.sequences.size());
    std::size_t current = 0;
    int currentLength = 0;
    EngineOptions options{threads, progress.cancel};
    options.stageInput = [&](int stage, std::span<const float> x) {
        std::copy(x.begin(), x.end(), residuals.at(current, stage, currentLength).begin());
    };
    auto weights = WeightSet::fromModel(model);
    if (!weights)
        return weights.error();
    auto engine = Engine::create(std::move(weights.value()), options);
    if (!engine)
        return engine.error();
    KvCache cache(c, plan.ctx);
    std::vector<float> logits;
    for (std::size_t i = 0; i < plan.sequences.size(); ++i) {
        if (progress.cancelled())
            return cancelledError();
        const EvalSequence& s = plan.sequences[i];
        current = i;
        currentLength = int(s.tokens.size());
        residuals.sequences[i].assign(
            std::size_t(residuals.stages) * s.tokens.size() * std::size_t(c.dim), 0.0f);
        cache.clear();
        if (auto r = (*engine)->forward(cache, s.tokens, s.scoreFrom, logits); !r)
            return r;
        for (int p = s.scoreFrom; p < s.scoreTo; ++p)
            onScored(std::span<const float>(logits).subspan(std::size_t(p - s.scoreFrom) *
                                                                std::size_t(c.vocabSize),
                                                            std::size_t(c.vocabSize)),
                     s.tokens[std::size_t(p) + 1]);
        progress(double(i + 1) / double(plan.sequences.size()), QStringLiteral("FP32 pass"));
    }
    return {};
}

QJsonObject lossJson(const PrecisionLoss& l) {
    return {{QStringLiteral("precision"), QLatin1String(precisionInfo(l.precision).name)},
            {QStringLiteral("kld_mean"), l.kldMean},
            {QStringLiteral("kld_stderr"), l.kldStderr},
            {QStringLiteral("top1_agreement"), l.top1Agreement},
            {QStringLiteral("bytes"), qint64(l.bytes)}};
}

Result<PrecisionId> precisionField(const QJsonValue& v) {
    const auto id = precisionByName(v.toString());
    if (!id)
        return Error{
            QStringLiteral("unknown precision '%1' in a sensitivity table").arg(v.toString())};
    return *id;
}

QString samplePath(const QString& jsonPath) {
    QString path = jsonPath;
    path.replace(QRegularExpression(QStringLiteral("\\.json$")), QStringLiteral(".logits"));
    return path;
}

// The joint loss model's sample beside the cached JSON: the baseline's length (8 bytes), the
// baseline, then every candidate's shifts in the table's order.
QByteArray sampleBytes(const SensitivityResult& r) {
    const QByteArray baseline = r.sample.baselineBytes();
    const quint64 length = qToLittleEndian(quint64(baseline.size()));
    QByteArray out(reinterpret_cast<const char*>(&length), sizeof length);
    out += baseline;
    for (const TensorSensitivity& t : r.tensors)
        for (const PrecisionLoss& l : t.losses)
            out.append(reinterpret_cast<const char*>(l.logitShift.data()),
                       qsizetype(l.logitShift.size() * sizeof(std::uint16_t)));
    return out;
}

bool readSample(const QByteArray& bytes, SensitivityResult& r) {
    quint64 length = 0;
    if (bytes.size() < qsizetype(sizeof length))
        return false;
    std::memcpy(&length, bytes.constData(), sizeof length);
    length = qFromLittleEndian(length);
    if (length > quint64(bytes.size()) - sizeof length)
        return false;
    auto sample = LogitSample::fromBaselineBytes(bytes.mid(sizeof length, qsizetype(length)));
    if (!sample)
        return false;
    r.sample = std::move(sample.value());
    const std::size_t n = r.sample.shiftSize();
    std::size_t candidates = 0;
    for (const TensorSensitivity& t : r.tensors)
        candidates += t.losses.size();
    const auto offset = qsizetype(sizeof length + length);
    if (quint64(bytes.size() - offset) != candidates * n * sizeof(std::uint16_t))
        return false;
    const char* at = bytes.constData() + offset;
    for (TensorSensitivity& t : r.tensors)
        for (PrecisionLoss& l : t.losses) {
            l.logitShift.resize(n);
            std::memcpy(l.logitShift.data(), at, n * sizeof(std::uint16_t));
            at += n * sizeof(std::uint16_t);
        }
    return true;
}

std::optional<SensitivityResult> readCached(const QString& path) {
    QFile f(path), logits(samplePath(path));
    if (!f.open(QIODevice::ReadOnly) || !logits.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll());
    if (!doc.isObject())
        return std::nullopt;
    auto r = SensitivityResult::fromJson(doc.object());
    if (!r || !readSample(logits.readAll(), *r))
        return std::nullopt;
    return std::move(r.value());
}

// A cache: failing to keep it costs a remeasurement, nothing else.
void writeCached(const QString& path, const SensitivityResult& r) {
    QDir().mkpath(QFileInfo(path).path());
    QSaveFile logits(samplePath(path));
    if (!logits.open(QIODevice::WriteOnly))
        return;
    logits.write(sampleBytes(r));
    if (!logits.commit())
        return;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return;
    f.write(QJsonDocument(r.toJson()).toJson(QJsonDocument::Compact));
    f.commit();
}

// Each tensor at the cheapest of its measured precisions with chance `share`, else at fp32 or
// another measured precision, evenly; deterministic for a seed.
std::vector<const PrecisionLoss*> randomChoice(const SensitivityResult& r, double share,
                                               std::uint32_t seed) {
    std::mt19937 rng(seed);
    auto uniform = [&] { return double(rng()) / 4294967296.0; };
    std::vector<const PrecisionLoss*> chosen;
    for (const TensorSensitivity& t : r.tensors) {
        if (t.losses.empty())
            continue;
        const auto cheapest = std::min_element(
            t.losses.begin(), t.losses.end(),
            [](const PrecisionLoss& a, const PrecisionLoss& b) { return a.bytes < b.bytes; });
        if (uniform() < share) {
            chosen.push_back(&*cheapest);
            continue;
        }
        std::vector<const PrecisionLoss*> others{nullptr}; // fp32
        for (const PrecisionLoss& l : t.losses)
            if (&l != &*cheapest)
                others.push_back(&l);
        if (const PrecisionLoss* l =
                others[std::min(std::size_t(uniform() * double(others.size())), others.size() - 1)])
            chosen.push_back(l);
    }
    return chosen;
}

// Evaluates probe plans in full on the text and fits the joint model's weight on them.
Result<void> measureProbes(const Model& model, const EvalPlan& evalPlan,
                           const BaselineLogits& baseline, const QJsonObject& calibration,
                           const CalibrationStats* stats, Engine& engine, SensitivityResult& result,
                           const Progress& progress) {
    const LlamaConfig& c = model.config;
    KvCache cache(c, evalPlan.ctx);
    std::vector<float> logits;
    // A half and nine in ten of the tensors at the cheapest precision: where the additive and the
    // logit sums part. Each costs one full evaluation (and quantizing every tensor it compresses).
    const std::vector<double> shares{0.5, 0.9};
    for (std::size_t k = 0; k < shares.size(); ++k) {
        if (progress.cancelled())
            return cancelledError();
        progress(double(k) / double(shares.size()), QStringLiteral("probe plans"));
        const std::vector<const PrecisionLoss*> chosen =
            randomChoice(result, shares[k], std::uint32_t(7919 * (k + 1)));
        Plan plan;
        plan.defaultPrecision = PrecisionId::Fp32;
        plan.calibration = calibration;
        for (const TensorSensitivity& t : result.tensors)
            for (const PrecisionLoss* l : chosen)
                if (l >= t.losses.data() && l < t.losses.data() + t.losses.size())
                    plan.rules.push_back(
                        {QRegularExpression::escape(t.name), l->precision, std::nullopt, {}});
        auto weights = WeightSet::fromPlan(model, resolvePlan(plan, model), WeightMode::Accuracy,
                                           stats, Progress{{}, progress.cancel});
        if (!weights)
            return weights.error();
        if (auto swapped = engine.setWeights(std::move(weights.value())); !swapped)
            return swapped;
        DistributionComparer comparer;
        std::int64_t row = 0;
        for (const EvalSequence& s : evalPlan.sequences) {
            cache.clear();
            if (auto run = engine.forward(cache, s.tokens, s.scoreFrom, logits); !run)
                return run;
            for (int p = s.scoreFrom; p < s.scoreTo; ++p)
                comparer.add(baseline.row(row++),
                             std::span<const float>(logits).subspan(std::size_t(p - s.scoreFrom) *
                                                                        std::size_t(c.vocabSize),
                                                                    std::size_t(c.vocabSize)),
                             s.tokens[std::size_t(p) + 1]);
        }
        result.probes.push_back({shares[k], comparer.result().kldMean,
                                 SensitivityResult::additiveKld(chosen),
                                 result.logitKld(chosen).value_or(0.0)});
    }
    // log m = log a + w (log l - log a), least squares over the probes.
    double num = 0, den = 0;
    for (const ProbePlan& p : result.probes) {
        if (!(p.kldMeasured > 0) || !(p.kldAdditive > 0) || !(p.kldLogit > 0))
            continue;
        const double spread = std::log(p.kldLogit) - std::log(p.kldAdditive);
        num += (std::log(p.kldMeasured) - std::log(p.kldAdditive)) * spread;
        den += spread * spread;
    }
    result.jointWeight = den > 0 ? std::clamp(num / den, 0.0, 1.0) : 1.0;
    return {};
}

} // namespace

std::vector<PrecisionId> defaultSensitivityPrecisions() {
    return {PrecisionId::Int8G32, PrecisionId::Int4G32Asym, PrecisionId::Int4G32,
            PrecisionId::Int4G128, PrecisionId::Int2G16};
}

const PrecisionLoss* TensorSensitivity::at(PrecisionId id) const {
    for (const PrecisionLoss& l : losses)
        if (l.precision == id)
            return &l;
    return nullptr;
}

const TensorSensitivity* SensitivityResult::find(const QString& name) const {
    for (const TensorSensitivity& t : tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

namespace {

template <typename Of>
double medianOver(const std::vector<TensorSensitivity>& tensors, PrecisionId id, Of of) {
    std::vector<double> v;
    for (const TensorSensitivity& t : tensors)
        if (const PrecisionLoss* l = t.at(id))
            v.push_back(of(*l));
    if (v.empty())
        return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double lossPerByte(const PrecisionLoss& l) {
    return l.bytes ? l.kldMean / double(l.bytes) : 0.0;
}

} // namespace

double SensitivityResult::medianLoss(PrecisionId id) const {
    return medianOver(tensors, id, [](const PrecisionLoss& l) { return l.kldMean; });
}

double SensitivityResult::medianLossPerByte(PrecisionId id) const {
    return medianOver(tensors, id, lossPerByte);
}

QJsonObject SensitivityResult::toJson() const {
    QJsonArray probesJson;
    for (const ProbePlan& p : probes)
        probesJson.append(QJsonObject{{QStringLiteral("cheapest_share"), p.cheapestShare},
                                      {QStringLiteral("kld_measured"), p.kldMeasured},
                                      {QStringLiteral("kld_additive"), p.kldAdditive},
                                      {QStringLiteral("kld_logit"), p.kldLogit}});
    QJsonArray names;
    for (PrecisionId id : precisions)
        names.append(QLatin1String(precisionInfo(id).name));
    QJsonArray rows;
    for (const TensorSensitivity& t : tensors) {
        QJsonArray losses;
        for (const PrecisionLoss& l : t.losses)
            losses.append(lossJson(l));
        rows.append(QJsonObject{{QStringLiteral("name"), t.name},
                                {QStringLiteral("stage"), t.stage},
                                {QStringLiteral("parameters"), qint64(t.parameters)},
                                {QStringLiteral("fp32_bytes"), qint64(t.fp32Bytes)},
                                {QStringLiteral("losses"), losses}});
    }
    return {
        {QStringLiteral("model_sha256"), modelSha256},
        {QStringLiteral("text_sha256"), textSha256},
        {QStringLiteral("method"), methodName(method)},
        {QStringLiteral("calibration"), calibration},
        {QStringLiteral("precisions"), names},
        {QStringLiteral("tokens_scored"), qint64(tokensScored)},
        {QStringLiteral("threads"), threads},
        {QStringLiteral("tensors"), rows},
        {QStringLiteral("cost"),
         QJsonObject{{QStringLiteral("candidates"), cost.candidates},
                     {QStringLiteral("seconds"), cost.seconds},
                     {QStringLiteral("full_pass_seconds"), cost.fullPassSeconds},
                     {QStringLiteral("candidate_seconds"), cost.candidateSeconds},
                     {QStringLiteral("full_pass_cpu_seconds"), cost.fullPassCpuSeconds},
                     {QStringLiteral("candidate_cpu_seconds"), cost.candidateCpuSeconds},
                     {QStringLiteral("quantize_seconds"), cost.quantizeSeconds},
                     {QStringLiteral("stage_passes"), cost.stagePasses},
                     {QStringLiteral("residual_bytes"), qint64(cost.residualBytes)},
                     {QStringLiteral("full_evaluations"), cost.fullEvaluations()},
                     {QStringLiteral("from_cache"), cost.fromCache}}},
        {QStringLiteral("warnings"), QJsonArray::fromStringList(warnings)},
        {QStringLiteral("joint_weight"), jointWeight},
        {QStringLiteral("probes"), probesJson},
    };
}

Result<SensitivityResult> SensitivityResult::fromJson(const QJsonObject& json) {
    SensitivityResult r;
    r.modelSha256 = json.value(QStringLiteral("model_sha256")).toString();
    r.textSha256 = json.value(QStringLiteral("text_sha256")).toString();
    r.calibration = json.value(QStringLiteral("calibration")).toObject();
    r.method =
        methodByName(json.value(QStringLiteral("method")).toString()).value_or(QuantMethod::Rtn);
    for (const QJsonValue& v : json.value(QStringLiteral("precisions")).toArray()) {
        auto id = precisionField(v);
        if (!id)
            return id.error();
        r.precisions.push_back(*id);
    }
    r.tokensScored = json.value(QStringLiteral("tokens_scored")).toInteger();
    r.threads = json.value(QStringLiteral("threads")).toInt();
    for (const QJsonValue& v : json.value(QStringLiteral("tensors")).toArray()) {
        const QJsonObject o = v.toObject();
        TensorSensitivity t;
        t.name = o.value(QStringLiteral("name")).toString();
        t.stage = o.value(QStringLiteral("stage")).toInt();
        t.parameters = o.value(QStringLiteral("parameters")).toInteger();
        t.fp32Bytes = std::uint64_t(o.value(QStringLiteral("fp32_bytes")).toInteger());
        for (const QJsonValue& lv : o.value(QStringLiteral("losses")).toArray()) {
            const QJsonObject lo = lv.toObject();
            auto id = precisionField(lo.value(QStringLiteral("precision")));
            if (!id)
                return id.error();
            t.losses.push_back({*id, lo.value(QStringLiteral("kld_mean")).toDouble(),
                                lo.value(QStringLiteral("kld_stderr")).toDouble(),
                                lo.value(QStringLiteral("top1_agreement")).toDouble(),
                                std::uint64_t(lo.value(QStringLiteral("bytes")).toInteger())});
        }
        r.tensors.push_back(std::move(t));
    }
    const QJsonObject c = json.value(QStringLiteral("cost")).toObject();
    r.cost.candidates = c.value(QStringLiteral("candidates")).toInt();
    r.cost.seconds = c.value(QStringLiteral("seconds")).toDouble();
    r.cost.fullPassSeconds = c.value(QStringLiteral("full_pass_seconds")).toDouble();
    r.cost.candidateSeconds = c.value(QStringLiteral("candidate_seconds")).toDouble();
    r.cost.fullPassCpuSeconds = c.value(QStringLiteral("full_pass_cpu_seconds")).toDouble();
    r.cost.candidateCpuSeconds = c.value(QStringLiteral("candidate_cpu_seconds")).toDouble();
    r.cost.quantizeSeconds = c.value(QStringLiteral("quantize_seconds")).toDouble();
    r.cost.stagePasses = c.value(QStringLiteral("stage_passes")).toDouble();
    r.cost.residualBytes = std::uint64_t(c.value(QStringLiteral("residual_bytes")).toInteger());
    r.cost.fromCache = c.value(QStringLiteral("from_cache")).toBool();
    for (const QJsonValue& w : json.value(QStringLiteral("warnings")).toArray())
        r.warnings << w.toString();
    r.jointWeight = json.value(QStringLiteral("joint_weight")).toDouble(1.0);
    for (const QJsonValue& v : json.value(QStringLiteral("probes")).toArray()) {
        const QJsonObject p = v.toObject();
        r.probes.push_back({p.value(QStringLiteral("cheapest_share")).toDouble(),
                            p.value(QStringLiteral("kld_measured")).toDouble(),
                            p.value(QStringLiteral("kld_additive")).toDouble(),
                            p.value(QStringLiteral("kld_logit")).toDouble()});
    }
    return r;
}

double SensitivityResult::additiveKld(const std::vector<const PrecisionLoss*>& chosen) {
    double sum = 0;
    for (const PrecisionLoss* l : chosen)
        sum += l->kldMean;
    return sum;
}

std::optional<double>
SensitivityResult::logitKld(const std::vector<const PrecisionLoss*>& chosen) const {
    std::vector<std::span<const std::uint16_t>> shifts;
    for (const PrecisionLoss* l : chosen) {
        if (sample.empty() || l->logitShift.size() != sample.shiftSize())
            return std::nullopt;
        shifts.emplace_back(l->logitShift);
    }
    return sample.predictKld(shifts);
}

double SensitivityResult::predictKld(const std::vector<const PrecisionLoss*>& chosen) const {
    const double additive = additiveKld(chosen);
    const std::optional<double> logit = logitKld(chosen);
    if (!logit || !(additive > 0) || !(*logit > 0))
        return additive;
    return std::pow(additive, 1 - jointWeight) * std::pow(*logit, jointWeight);
}

Plan singleTensorPlan(const QString& tensor, PrecisionId precision,
                      const QJsonObject& calibration) {
    Plan plan;
    plan.name =
        QStringLiteral("%1 at %2").arg(tensor, QLatin1String(precisionInfo(precision).name));
    plan.defaultPrecision = PrecisionId::Fp32;
    plan.calibration = calibration;
    plan.rules.push_back({QRegularExpression::escape(tensor), precision, std::nullopt, {}});
    return plan;
}

Result<SensitivityResult> measureSensitivity(const Model& model, const QByteArray& text,
                                             const SensitivityOptions& options,
                                             const Progress& progress) {
    QElapsedTimer wall;
    wall.start();
    const LlamaConfig& c = model.config;
    const int threads = options.eval.threads > 0 ? options.eval.threads : defaultThreadCount();
    SensitivityResult result;
    result.precisions =
        options.precisions.empty() ? defaultSensitivityPrecisions() : options.precisions;
    result.calibration = options.calibration;
    Plan calibrationOnly;
    calibrationOnly.calibration = options.calibration;
    result.method = calibrationOnly.defaultMethod();
    result.threads = threads;
    if (result.method != QuantMethod::Rtn && !options.stats)
        return Error{QStringLiteral("sensitivity with %1 needs calibration statistics: calibrate "
                                    "first (--calib FILE or --stats FILE)")
                         .arg(methodName(result.method))};

    progress(0.0, QStringLiteral("tokenizing"));
    auto evalPlan = planEvaluation(model, text, options.eval);
    if (!evalPlan)
        return evalPlan.error();
    result.warnings += evalPlan->warnings;
    result.modelSha256 = modelFingerprint(model);
    result.textSha256 = sha256Hex(text);
    result.tokensScored = evalPlan->scoredTokens;

    // Which tensors, in the model's order.
    const std::set<QString> only(options.tensors.begin(), options.tensors.end());
    std::set<QString> wanted = only;
    for (const Tensor& t : model.tensors) {
        if (!t.isMatrix() || (!only.empty() && !only.count(t.name)))
            continue;
        wanted.erase(t.name);
        TensorSensitivity ts;
        ts.name = t.name;
        ts.stage = stageOf(t.name, c.layers);
        ts.parameters = t.elements();
        ts.fp32Bytes = std::uint64_t(t.elements()) * 4;
        result.tensors.push_back(ts);
    }
    if (!wanted.empty())
        return Error{
            QStringLiteral("the model has no weight matrix named %1").arg(*wanted.begin())};
    if (result.tensors.empty())
        return Error{QStringLiteral("the model has no weight matrix to measure")};

    const QString key = baselineKey(result.modelSha256, result.textSha256, options.eval, threads);
    const QString dir = options.cacheDir.isEmpty() ? cacheDirectory() : options.cacheDir;
    const QString cachedPath =
        QDir(dir).filePath(QStringLiteral("sensitivity-%1.json")
                               .arg(cacheKey(key, options, result.precisions).left(32)));
    if (options.reuseCached)
        if (auto cached = readCached(cachedPath); cached &&
                                                  cached->precisions == result.precisions &&
                                                  cached->tensors.size() == result.tensors.size() &&
                                                  cached->modelSha256 == result.modelSha256) {
            cached->cost.fromCache = true;
            return std::move(*cached);
        }

    // One FP32 pass: the baseline logits (or the cached ones), and every stage's input.
    ResidualCache residuals;
    QElapsedTimer pass;
    pass.start();
    double passCpu = cpuSeconds();
    bool produced = false;
    auto baseline = BaselineLogits::obtain(
        dir, key, c.vocabSize, evalPlan->scoredTokens,
        [&](const BaselineLogits::RowSink& sink) -> Result<void> {
            produced = true;
            return capturePass(model, *evalPlan, threads, residuals, progress.slice(0.0, 0.05),
                               [&](std::span<const float> logits, std::int32_t) { sink(logits); });
        });
    if (!baseline)
        return baseline.error();
    result.warnings += baseline->warnings();
    if (!produced) {
        // The logits came from the cache: the pass still runs, compared as a plan would be, so
        // that its time is one full evaluation's.
        pass.restart();
        passCpu = cpuSeconds();
        DistributionComparer same;
        std::int64_t row = 0;
        if (auto r = capturePass(model, *evalPlan, threads, residuals, progress.slice(0.0, 0.05),
                                 [&](std::span<const float> logits, std::int32_t next) {
                                     same.add(baseline->row(row++), logits, next);
                                 });
            !r)
            return r.error();
        if (same.result().kldMax > 0)
            result.warnings << QStringLiteral("the cached FP32 logits differ from this run's "
                                              "(KLD up to %1)")
                                   .arg(same.result().kldMax);
    }
    const std::vector<std::int64_t> sampled =
        LogitSample::sampleRows(evalPlan->scoredTokens, options.samplePositions);
    for (std::int64_t row : sampled)
        result.sample.addBaseline(baseline->row(row));
    result.cost.fullPassSeconds = seconds(pass);
    result.cost.fullPassCpuSeconds = cpuSeconds() - passCpu;
    result.cost.residualBytes = residuals.bytes();

    // GPTQ's sequential replay only matters when earlier blocks are quantized too.
    std::optional<CalibrationStats> withoutReplay;
    const CalibrationStats* stats = options.stats;
    if (stats && result.method == QuantMethod::Gptq && !stats->sequenceTokens.empty()) {
        withoutReplay = *stats;
        withoutReplay->sequenceTokens.clear();
        stats = &*withoutReplay;
    }

    const int total = int(result.tensors.size() * result.precisions.size());
    QElapsedTimer candidates;
    candidates.start();
    const double candidatesCpu = cpuSeconds();
    KvCache cache(c, evalPlan->ctx);
    std::vector<float> logits;
    std::set<QString> warned;
    std::unique_ptr<Engine> engine; // one, its primitives reused by every candidate
    int done = 0;
    for (TensorSensitivity& ts : result.tensors) {
        const Tensor* tensor = model.find(ts.name);
        for (PrecisionId id : result.precisions) {
            if (progress.cancelled())
                return cancelledError();
            progress(
                0.05 + 0.9 * double(done) / double(total),
                QStringLiteral("%1 at %2").arg(ts.name, QLatin1String(precisionInfo(id).name)));
            QElapsedTimer quantize;
            quantize.start();
            const ResolvedPlan resolved =
                resolvePlan(singleTensorPlan(ts.name, id, options.calibration), model);
            auto weights = WeightSet::fromPlan(model, resolved, WeightMode::Accuracy, stats,
                                               Progress{{}, progress.cancel});
            if (!weights)
                return Error{QStringLiteral("%1 at %2: %3")
                                 .arg(ts.name, QLatin1String(precisionInfo(id).name),
                                      weights.error().message),
                             weights.error().kind};
            for (const QString& w : weights->warnings)
                if (warned.insert(w).second)
                    result.warnings << w;
            result.cost.quantizeSeconds += seconds(quantize);
            if (!engine) {
                auto created = Engine::create(std::move(weights.value()),
                                              EngineOptions{threads, progress.cancel});
                if (!created)
                    return created.error();
                engine = std::move(created.value());
            } else if (auto swapped = engine->setWeights(std::move(weights.value())); !swapped) {
                return swapped.error();
            }
            DistributionComparer comparer;
            std::vector<std::uint16_t> shift;
            shift.reserve(result.sample.shiftSize());
            std::int64_t row = 0;
            std::size_t nextSampled = 0;
            for (std::size_t i = 0; i < evalPlan->sequences.size(); ++i) {
                const EvalSequence& s = evalPlan->sequences[i];
                const int m = int(s.tokens.size());
                cache.clear();
                auto run = ts.stage < 0
                               ? engine->forward(cache, s.tokens, s.scoreFrom, logits)
                               : engine->forwardFrom(cache, ts.stage, residuals.at(i, ts.stage, m),
                                                     m, s.scoreFrom, logits);
                if (!run)
                    return run.error();
                for (int p = s.scoreFrom; p < s.scoreTo; ++p, ++row) {
                    const auto rowLogits = std::span<const float>(logits).subspan(
                        std::size_t(p - s.scoreFrom) * std::size_t(c.vocabSize),
                        std::size_t(c.vocabSize));
                    comparer.add(baseline->row(row), rowLogits, s.tokens[std::size_t(p) + 1]);
                    if (nextSampled < sampled.size() && sampled[nextSampled] == row)
                        result.sample.appendShift(int(nextSampled++), rowLogits, shift);
                }
            }
            const ComparisonMetrics metrics = comparer.result();
            ts.losses.push_back(
                {id, metrics.kldMean, metrics.kldStderr, metrics.top1Agreement,
                 packedRowBytes(id, tensor->rowLength()) * std::uint64_t(tensor->rows()),
                 std::move(shift)});
            result.cost.stagePasses +=
                double(c.layers + 1 - std::max(ts.stage, 0)) / double(c.layers + 1);
            ++done;
        }
    }
    result.cost.candidates = done;
    if (engine)
        if (auto r = measureProbes(model, *evalPlan, *baseline, options.calibration, options.stats,
                                   *engine, result, progress.slice(0.95, 1.0));
            !r)
            return r.error();
    result.cost.candidateSeconds = seconds(candidates);
    result.cost.candidateCpuSeconds = cpuSeconds() - candidatesCpu;
    result.cost.seconds = seconds(wall);
    progress(1.0, QStringLiteral("done"));
    writeCached(cachedPath, result);
    return result;
}

} // namespace cwb
