// SPDX-License-Identifier: GPL-3.0-or-later
#include "quantmethods.h"

#include "activationsite.h"
#include "engine.h"
#include "fingerprint.h"
#include "halffloat.h"
#include "linalg.h"
#include "weightset.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cwb {
namespace {

// f32 values of the model's tensors, copied on first change.
class WorkingWeights {
public:
    explicit WorkingWeights(const Model& model)
        : m_model(model) {}

    std::span<const float> view(const QString& name) {
        if (const auto it = m_edited.find(name); it != m_edited.end())
            return it->second;
        const Tensor* t = m_model.find(name);
        if (!t)
            return {};
        const bool aligned = reinterpret_cast<std::uintptr_t>(t->data.data()) % alignof(float) == 0;
        if (t->type == StoredType::F32 && aligned)
            return {reinterpret_cast<const float*>(t->data.data()), std::size_t(t->elements())};
        auto& decoded = m_decoded[name];
        if (decoded.empty()) {
            decoded.resize(std::size_t(t->elements()));
            const StoredTypeTraits& traits = traitsOf(t->type);
            const auto rowLen = std::size_t(t->rowLength());
            for (std::size_t r = 0; r < decoded.size() / rowLen; ++r)
                traits.dequantize(t->data.data() + r * rowBytes(traits, rowLen),
                                  std::span(decoded).subspan(r * rowLen, rowLen));
        }
        return decoded;
    }

    std::span<float> edit(const QString& name) {
        auto it = m_edited.find(name);
        if (it == m_edited.end()) {
            const auto v = view(name);
            it = m_edited.emplace(name, std::vector<float>(v.begin(), v.end())).first;
        }
        return it->second;
    }

    std::map<QString, std::vector<float>> takeEdited() { return std::move(m_edited); }

private:
    const Model& m_model;
    std::map<QString, std::vector<float>> m_edited, m_decoded;
};

// The matrices reading one input, and where the inverse of their input scales can be folded so
// the model computes the same function: into the norm in front of them, or into the rows of the
// matrix whose output they read.
struct ScaleGroup {
    Site site;
    std::vector<const TensorChoice*> matrices;
    QString predecessor;
    bool foldIntoRows = false; // ffn_up rows for ffn_down, attn_v rows for attn_output
    int headsPerKv = 1;        // attn_output: scales shared by the heads reading one kv head
    int headDim = 0;
};

std::vector<ScaleGroup> scaleGroups(const Model& model, const ResolvedPlan& plan) {
    std::vector<ScaleGroup> groups;
    const LlamaConfig& c = model.config;
    auto groupOf = [&](Site site) -> ScaleGroup {
        ScaleGroup g;
        g.site = site;
        for (const TensorChoice& t : plan.tensors)
            if (t.quantizable && siteOfTensor(t.name, c.tiedOutput) == std::optional(site))
                g.matrices.push_back(&t);
        const QString block = QStringLiteral("blk.%1.").arg(site.layer);
        switch (site.kind) {
        case SiteKind::AttnInput:
            g.predecessor = block + QStringLiteral("attn_norm.weight");
            break;
        case SiteKind::FfnInput:
            g.predecessor = block + QStringLiteral("ffn_norm.weight");
            break;
        case SiteKind::DownInput:
            g.predecessor = block + QStringLiteral("ffn_up.weight");
            g.foldIntoRows = true;
            break;
        case SiteKind::AttnOutput:
            g.predecessor = block + QStringLiteral("attn_v.weight");
            g.foldIntoRows = true;
            g.headsPerKv = c.heads / c.kvHeads;
            g.headDim = c.headDim;
            break;
        case SiteKind::ClassifierInput:
            // A tied classifier is also the embedding: its columns cannot carry scales.
            g.predecessor = c.tiedOutput ? QString() : QStringLiteral("output_norm.weight");
            break;
        }
        return g;
    };
    for (int l = 0; l < c.layers; ++l)
        for (SiteKind kind :
             {SiteKind::AttnInput, SiteKind::AttnOutput, SiteKind::FfnInput, SiteKind::DownInput})
            groups.push_back(groupOf({l, kind}));
    groups.push_back(groupOf({-1, SiteKind::ClassifierInput}));
    return groups;
}

// attn_output's input channel h·d maps to attn_v's output row kv(h)·d: scales must agree across
// the heads that read one kv head, so per-channel statistics are pooled over them first.
std::vector<double> pooledOverHeads(const std::vector<double>& perChannel, const ScaleGroup& g,
                                    bool useMax) {
    if (g.headsPerKv <= 1)
        return perChannel;
    const auto hd = std::size_t(g.headDim);
    const std::size_t kvChannels = perChannel.size() / std::size_t(g.headsPerKv);
    std::vector<double> pooled(kvChannels, 0.0);
    for (std::size_t c = 0; c < perChannel.size(); ++c) {
        const std::size_t head = c / hd, kv = (head / std::size_t(g.headsPerKv)) * hd + c % hd;
        pooled[kv] = useMax ? std::max(pooled[kv], perChannel[c])
                            : pooled[kv] + perChannel[c] / g.headsPerKv;
    }
    std::vector<double> out(perChannel.size());
    for (std::size_t c = 0; c < out.size(); ++c) {
        const std::size_t head = c / hd;
        out[c] = pooled[(head / std::size_t(g.headsPerKv)) * hd + c % hd];
    }
    return out;
}

struct ScaleSearch {
    const ScaleGroup& group;
    const ChannelStats& stats;
    WorkingWeights& weights;
    QuantMethod method;

    std::vector<double> activationStat;        // max|x| (SmoothQuant) or mean|x| (AWQ) per channel
    std::vector<double> weightColumnMax;       // max |w| over the group's rows, per channel
    std::vector<std::vector<float>> reference; // X · Wᵀ of each matrix on the sampled rows
    int sampleRows = 0;

    void prepare() {
        const auto k = std::size_t(stats.channels);
        activationStat.assign(k, 0.0);
        for (std::size_t j = 0; j < k; ++j)
            activationStat[j] = method == QuantMethod::SmoothQuant ? double(stats.absMax[j])
                                                                   : stats.meanAbs(int(j));
        weightColumnMax.assign(k, 0.0);
        for (const TensorChoice* m : group.matrices) {
            const auto w = weights.view(m->name);
            for (std::size_t i = 0; i < w.size(); ++i)
                weightColumnMax[i % k] = std::max(weightColumnMax[i % k], double(std::abs(w[i])));
        }
        activationStat = pooledOverHeads(activationStat, group, method == QuantMethod::SmoothQuant);
        weightColumnMax = pooledOverHeads(weightColumnMax, group, true);
        sampleRows = std::min(stats.sampleRows, 128);
        for (const TensorChoice* m : group.matrices)
            reference.push_back(product(m->name, nullptr, false, PrecisionId::Fp32));
    }

    // The mean square of each channel of the scaled input: how much an error there costs.
    std::vector<double> importance(const std::vector<double>* s) const {
        std::vector<double> m(std::size_t(stats.channels));
        for (std::size_t j = 0; j < m.size(); ++j)
            m[j] = stats.meanSquare(int(j)) / (s ? (*s)[j] * (*s)[j] : 1.0);
        return m;
    }

    std::vector<double> scales(double alpha) const {
        std::vector<double> s(activationStat.size());
        for (std::size_t j = 0; j < s.size(); ++j) {
            const double x = std::max(activationStat[j], 1e-5);
            s[j] =
                method == QuantMethod::SmoothQuant
                    ? std::pow(x, alpha) / std::pow(std::max(weightColumnMax[j], 1e-5), 1 - alpha)
                    : std::pow(x, alpha);
        }
        if (method == QuantMethod::Awq) { // centre the scales geometrically, as AWQ does
            const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
            const double centre = std::sqrt(*lo * *hi);
            for (double& v : s)
                v /= centre;
        }
        for (double& v : s)
            v = std::clamp(v, 1e-4, 1e4);
        return s;
    }

    // (X / s) · Q(W · s)ᵀ on the sampled rows, X quantized per token when the precision does.
    std::vector<float> product(const QString& name, const std::vector<double>* s, bool quantize,
                               PrecisionId id) const {
        const auto k = std::size_t(stats.channels);
        const auto w = weights.view(name);
        const std::size_t n = w.size() / k;
        std::vector<float> wq(w.begin(), w.end());
        if (s)
            for (std::size_t i = 0; i < wq.size(); ++i)
                wq[i] *= float((*s)[i % k]);
        if (quantize && id != PrecisionId::Fp32) {
            auto q = method == QuantMethod::Awq
                         ? quantizeWithImportance(id, wq, std::int64_t(k), importance(s), name)
                         : quantizeMatrix(id, wq, std::int64_t(k), name);
            if (q)
                wq = dequantizeMatrix(*q);
        }
        std::vector<float> x(stats.samples.begin(),
                             stats.samples.begin() + std::ptrdiff_t(std::size_t(sampleRows) * k));
        if (s)
            for (std::size_t i = 0; i < x.size(); ++i)
                x[i] /= float((*s)[i % k]);
        if (quantize && precisionInfo(id).quantizesActivations)
            for (int r = 0; r < sampleRows; ++r) { // per-token int8, as the w8a8 kernel does
                float* row = x.data() + std::size_t(r) * k;
                float amax = 0;
                for (std::size_t j = 0; j < k; ++j)
                    amax = std::max(amax, std::abs(row[j]));
                const float d = amax / 127.0f;
                for (std::size_t j = 0; j < k; ++j)
                    row[j] = d > 0 ? std::round(row[j] / d) * d : 0.0f;
            }
        std::vector<float> y(std::size_t(sampleRows) * n);
        for (int r = 0; r < sampleRows; ++r)
            for (std::size_t o = 0; o < n; ++o) {
                const float* xr = x.data() + std::size_t(r) * k;
                const float* wr = wq.data() + o * k;
                float acc = 0;
                for (std::size_t j = 0; j < k; ++j)
                    acc += xr[j] * wr[j];
                y[std::size_t(r) * n + o] = acc;
            }
        return y;
    }

    double error(const std::vector<double>* s) const {
        double total = 0;
        for (std::size_t m = 0; m < group.matrices.size(); ++m) {
            const TensorChoice* t = group.matrices[m];
            const auto y = product(t->name, s, true, t->precision);
            double num = 0, den = 0;
            for (std::size_t i = 0; i < y.size(); ++i) {
                const double d = double(y[i]) - double(reference[m][i]);
                num += d * d;
                den += double(reference[m][i]) * double(reference[m][i]);
            }
            total += den > 0 ? num / den : 0.0;
        }
        return total / double(std::max<std::size_t>(group.matrices.size(), 1));
    }
};

void applyScales(const ScaleGroup& g, const std::vector<double>& s, WorkingWeights& weights) {
    const auto k = s.size();
    for (const TensorChoice* m : g.matrices) {
        auto w = weights.edit(m->name);
        for (std::size_t i = 0; i < w.size(); ++i)
            w[i] = float(double(w[i]) * s[i % k]);
    }
    auto p = weights.edit(g.predecessor);
    if (!g.foldIntoRows) {
        for (std::size_t j = 0; j < k; ++j)
            p[j] = float(double(p[j]) / s[j]);
        return;
    }
    // Row r of the predecessor produces input channel r (for attn_v: kv channel r, which every
    // head of its group reads, all with the same scale).
    const std::size_t rows = g.headsPerKv > 1 ? k / std::size_t(g.headsPerKv) : k;
    const std::size_t rowLength = p.size() / rows;
    const auto hd = std::size_t(g.headDim);
    auto channelOf = [&](std::size_t r) {
        return g.headsPerKv > 1 ? (r / hd) * hd * std::size_t(g.headsPerKv) + r % hd : r;
    };
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < rowLength; ++c)
            p[r * rowLength + c] = float(double(p[r * rowLength + c]) / s[channelOf(r)]);
    // A bias on those rows (Qwen2's attn_v) is part of what each row produces.
    QString biasName = g.predecessor;
    biasName.replace(QLatin1String(".weight"), QLatin1String(".bias"));
    if (weights.view(biasName).size() != rows)
        return;
    auto bias = weights.edit(biasName);
    for (std::size_t r = 0; r < rows; ++r)
        bias[r] = float(double(bias[r]) / s[channelOf(r)]);
}

} // namespace

QuantGrid searchGrid(const PrecisionInfo& p, std::span<const float> group,
                     std::span<const double> importance) {
    const QuantGrid base = p.grid(group);
    auto cost = [&](const QuantGrid& g) {
        double c = 0;
        for (std::size_t j = 0; j < group.size(); ++j) {
            const double d = double(group[j]) - double(g.value(g.nearest(group[j])));
            c += importance[j] * d * d;
        }
        return c;
    };
    // Scales are stored as f16 in the grouped layouts and f32 per channel.
    auto stored = [&](float x) { return p.groupSize > 1 ? halfToFloat(floatToHalf(x)) : x; };
    QuantGrid best = base;
    double bestCost = cost(base);
    if (base.scale == 0)
        return best;
    if (p.symmetric) {
        // The reference puts the extreme value at qmin (-8 for 4 bits); putting it at qmax (+7),
        // and ranges from 60% to 110% of either, are candidates too.
        const float flipped = base.scale * float(base.qmin) / float(-base.qmax);
        for (float reference : {base.scale, flipped})
            for (int step = -4; step <= 16; ++step) {
                QuantGrid g = base;
                g.scale = stored(reference * (1.0f - 0.025f * float(step)));
                if (const double c = cost(g); c < bestCost) {
                    best = g;
                    bestCost = c;
                }
            }
        return best;
    }
    const float low = base.offset, high = base.offset + base.scale * float(base.qmax);
    for (int a = 0; a <= 8; ++a) // each end pulled in by up to 20% of the range
        for (int b = 0; b <= 8; ++b) {
            if (a == 0 && b == 0)
                continue;
            const float lo = low + (high - low) * 0.025f * float(a);
            const float hi = high - (high - low) * 0.025f * float(b);
            QuantGrid g = base;
            g.scale = stored((hi - lo) / float(base.qmax));
            g.offset = stored(lo);
            if (const double c = cost(g); c < bestCost) {
                best = g;
                bestCost = c;
            }
        }
    return best;
}

Result<QuantizedMatrix> quantizeWithImportance(PrecisionId id, std::span<const float> weights,
                                               std::int64_t k, std::span<const double> importance,
                                               const QString& name) {
    const PrecisionInfo& info = precisionInfo(id);
    if (!info.grid)
        return quantizeMatrix(id, weights, k, name);
    if (auto ok = checkRepresentable(id, weights, k, name); !ok)
        return ok.error();
    const auto K = std::size_t(k);
    const std::int64_t rows = std::int64_t(weights.size()) / k;
    const auto span = std::size_t(gridSpan(info, k));
    const std::size_t groupsPerRow = (K + span - 1) / span;
    QuantizedMatrix m;
    m.precision = id;
    m.rowLength = k;
    m.rows = rows;
    const std::uint64_t rowSize = m.rowBytes();
    m.data.assign(std::size_t(rowSize) * std::size_t(rows), 0);
    std::vector<QuantGrid> grids(groupsPerRow);
    std::vector<int> q(K);
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto row = weights.subspan(std::size_t(r) * K, K);
        for (std::size_t g = 0; g < groupsPerRow; ++g) {
            const std::size_t begin = g * span, length = std::min(span, K - begin);
            grids[g] =
                searchGrid(info, row.subspan(begin, length), importance.subspan(begin, length));
            for (std::size_t j = begin; j < begin + length; ++j)
                q[j] = grids[g].nearest(row[j]);
        }
        info.packRow(q, grids, std::span(m.data).subspan(std::size_t(r) * rowSize, rowSize));
    }
    return m;
}

Result<QuantizedMatrix> gptqQuantize(PrecisionId id, std::span<const float> weights, std::int64_t k,
                                     std::span<const double> hessianSum, std::int64_t samples,
                                     const MethodOptions& options, const QString& name,
                                     QStringList& warnings) {
    const PrecisionInfo& info = precisionInfo(id);
    if (!info.grid || samples <= 0 || hessianSum.size() != std::size_t(k * k)) {
        if (!info.grid)
            warnings << QStringLiteral("%1: GPTQ does not apply to %2; rounded to nearest")
                            .arg(name, QLatin1String(info.name));
        return quantizeMatrix(id, weights, k, name);
    }
    if (auto ok = checkRepresentable(id, weights, k, name); !ok)
        return ok.error();
    const std::int64_t rows = std::int64_t(weights.size()) / k;
    const auto K = std::size_t(k);
    std::vector<float> w(weights.begin(), weights.end());
    std::vector<double> h(hessianSum.begin(), hessianSum.end());
    for (double& v : h)
        v /= double(samples);
    // Channels that never fired carry no information: their weights cannot matter.
    for (std::size_t j = 0; j < K; ++j)
        if (h[j * K + j] == 0) {
            h[j * K + j] = 1;
            for (std::int64_t r = 0; r < rows; ++r)
                w[std::size_t(r) * K + j] = 0;
        }
    std::vector<std::int64_t> order(K);
    std::iota(order.begin(), order.end(), 0);
    if (options.gptqActOrder)
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
            return h[std::size_t(a) * K + std::size_t(a)] > h[std::size_t(b) * K + std::size_t(b)];
        });

    double meanDiagonal = 0;
    for (std::size_t j = 0; j < K; ++j)
        meanDiagonal += h[j * K + j] / double(K);
    std::vector<double> u;
    double damping = options.gptqDamping;
    for (int attempt = 0;; ++attempt) {
        std::vector<double> hp(K * K);
        for (std::size_t a = 0; a < K; ++a)
            for (std::size_t b = 0; b < K; ++b)
                hp[a * K + b] = h[std::size_t(order[a]) * K + std::size_t(order[b])] +
                                (a == b ? damping * meanDiagonal : 0.0);
        if (linalg::cholesky(hp, k)) {
            u = linalg::inverseFromCholesky(hp, k);
            if (linalg::upperCholesky(u, k))
                break;
        }
        if (attempt == 3) {
            warnings << QStringLiteral("%1: the calibration Hessian stays singular with damping "
                                       "%2; rounded to nearest")
                            .arg(name)
                            .arg(damping);
            return quantizeMatrix(id, weights, k, name);
        }
        damping *= 10;
    }

    const std::int64_t span = gridSpan(info, k);
    const std::size_t groupsPerRow = (K + std::size_t(span) - 1) / std::size_t(span);
    std::vector<QuantGrid> grids(std::size_t(rows) * groupsPerRow);
    std::vector<double> diagonal(K);
    for (std::size_t j = 0; j < K; ++j)
        diagonal[j] = h[j * K + j];
    auto computeGrid = [&](std::int64_t r, std::size_t g) {
        const std::size_t begin = g * std::size_t(span),
                          end = std::min(K, begin + std::size_t(span));
        grids[std::size_t(r) * groupsPerRow + g] = searchGrid(
            info, std::span<const float>(w).subspan(std::size_t(r) * K + begin, end - begin),
            std::span<const double>(diagonal).subspan(begin, end - begin));
    };
    if (options.gptqActOrder) // static groups: each group's grid from the weights before any update
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::size_t g = 0; g < groupsPerRow; ++g)
                computeGrid(r, g);

    std::vector<int> q(w.size(), 0);
    for (std::size_t ip = 0; ip < K; ++ip) {
        const auto j = std::size_t(order[ip]);
        if (!options.gptqActOrder && j % std::size_t(span) == 0)
            for (std::int64_t r = 0; r < rows; ++r)
                computeGrid(r, j / std::size_t(span));
        const double d = u[ip * K + ip];
        for (std::int64_t r = 0; r < rows; ++r) {
            float* row = w.data() + std::size_t(r) * K;
            const QuantGrid& grid = grids[std::size_t(r) * groupsPerRow + j / std::size_t(span)];
            const int qi = grid.nearest(row[j]);
            q[std::size_t(r) * K + j] = qi;
            const double err = (double(row[j]) - double(grid.value(qi))) / d;
            for (std::size_t ip2 = ip + 1; ip2 < K; ++ip2)
                row[order[ip2]] -= float(err * u[ip * K + ip2]);
        }
    }

    QuantizedMatrix m;
    m.precision = id;
    m.rowLength = k;
    m.rows = rows;
    const std::uint64_t rowSize = m.rowBytes();
    m.data.assign(std::size_t(rowSize) * std::size_t(rows), 0);
    for (std::int64_t r = 0; r < rows; ++r)
        info.packRow(
            std::span<const int>(q).subspan(std::size_t(r) * K, K),
            std::span<const QuantGrid>(grids).subspan(std::size_t(r) * groupsPerRow, groupsPerRow),
            std::span(m.data).subspan(std::size_t(r) * rowSize, rowSize));
    return m;
}

namespace {

// Collects Σ x xᵀ of the inputs of one block (or of the classifier).
class HessianCollector : public ActivationObserver {
public:
    explicit HessianCollector(int layer)
        : m_layer(layer) {}
    void observe(Site site, const float* rows, int count, int width) override {
        if (site.layer != m_layer)
            return;
        ChannelStats& s = sites[site.name()];
        s.channels = width;
        s.add(rows, count, true, 0);
    }
    std::map<QString, ChannelStats> sites;

private:
    int m_layer;
};

Result<void> sequentialGptq(const Model& model, const ResolvedPlan& plan,
                            const CalibrationStats& stats,
                            const std::vector<const TensorChoice*>& matrices,
                            WorkingWeights& weights, MethodResult& result,
                            const Progress& progress) {
    std::map<int, std::vector<const TensorChoice*>> byLayer; // the classifier (-1) last
    for (const TensorChoice* t : matrices) {
        const auto site = siteOfTensor(t->name, model.config.tiedOutput);
        byLayer[site && site->layer >= 0 ? site->layer : model.config.layers].push_back(t);
    }
    std::map<QString, std::vector<float>> quantizedValues;
    for (const auto& [name, q] : result.quantized)
        quantizedValues[name] = dequantizeMatrix(q);
    int pass = 0;
    for (const auto& [layer, group] : byLayer) {
        if (progress.cancelled())
            return cancelledError();
        const bool classifier = layer == model.config.layers;
        progress(0.6 + 0.4 * double(pass++) / double(byLayer.size()),
                 classifier ? QStringLiteral("GPTQ of the classifier")
                            : QStringLiteral("GPTQ of block %1").arg(layer));
        // The model as quantized so far, scaled where SmoothQuant or AWQ scaled it.
        auto ws = WeightSet::withValues(model, [&](const QString& name) -> std::span<const float> {
            if (const auto it = quantizedValues.find(name); it != quantizedValues.end())
                return it->second;
            return model.find(name) ? weights.view(name) : std::span<const float>{};
        });
        if (!ws)
            return ws.error();
        HessianCollector collector(classifier ? -1 : layer);
        auto engine =
            Engine::create(std::move(ws.value()),
                           EngineOptions{0, progress.cancel, &collector, classifier ? -1 : layer});
        if (!engine)
            return engine.error();
        KvCache cache(model.config, stats.sequenceLength);
        std::vector<float> logits;
        for (const auto& sequence : stats.sequenceTokens) {
            cache.clear();
            if (auto r = (*engine)->forward(cache, sequence, classifier ? 0 : int(sequence.size()),
                                            logits);
                !r)
                return r.error();
        }
        for (const TensorChoice* t : group) {
            const auto site = siteOfTensor(t->name, model.config.tiedOutput);
            const ChannelStats& cs = collector.sites[site->name()];
            std::vector<double> h = cs.hessian;
            const auto k = std::size_t(cs.channels);
            for (std::size_t i = 0; i < k; ++i)
                for (std::size_t j = 0; j < i; ++j)
                    h[i * k + j] = h[j * k + i];
            auto q =
                gptqQuantize(t->precision, weights.view(t->name), model.find(t->name)->rowLength(),
                             h, cs.rows, plan.methodOptions, t->name, result.warnings);
            if (!q)
                return q.error();
            quantizedValues[t->name] = dequantizeMatrix(*q);
            result.quantized.emplace(t->name, std::move(q.value()));
        }
    }
    return {};
}

} // namespace

Result<MethodResult> applyMethods(const Model& model, const ResolvedPlan& plan,
                                  const CalibrationStats* stats, const Progress& progress) {
    MethodResult result;
    if (plan.needsCalibration()) {
        QString first;
        for (const TensorChoice& t : plan.tensors)
            if (t.quantizable && t.method != QuantMethod::Rtn && t.precision != PrecisionId::Fp32) {
                first = QStringLiteral("%1 for %2").arg(methodName(t.method), t.name);
                break;
            }
        if (!stats)
            return Error{
                QStringLiteral("the plan's methods (%1, …) need calibration statistics: calibrate "
                               "first (--calib FILE or --stats FILE)")
                    .arg(first)};
        if (stats->modelSha256 != modelFingerprint(model))
            return Error{
                QStringLiteral("the calibration statistics were computed for another model "
                               "(sha256 %1…)")
                    .arg(stats->modelSha256.left(12))};
    }
    WorkingWeights weights(model);
    std::map<QString, std::vector<double>> siteScales;     // what each input was divided by
    std::map<QString, std::vector<double>> siteImportance; // AWQ: mean square of the scaled input

    // SmoothQuant and AWQ, input by input in forward order.
    const auto groups = scaleGroups(model, plan);
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        const ScaleGroup& g = groups[gi];
        if (progress.cancelled())
            return cancelledError();
        QuantMethod method = QuantMethod::Rtn;
        bool quantized = false;
        for (const TensorChoice* m : g.matrices) {
            quantized |= m->precision != PrecisionId::Fp32;
            if (m->method == QuantMethod::SmoothQuant || m->method == QuantMethod::Awq) {
                if (method != QuantMethod::Rtn && method != m->method)
                    result.warnings
                        << QStringLiteral(
                               "%1: its matrices ask for different scaling methods; %2 is used")
                               .arg(g.site.name(), methodName(method));
                else
                    method = m->method;
            }
        }
        if (method == QuantMethod::Rtn || !quantized || g.matrices.empty())
            continue;
        progress(0.4 * double(gi) / double(groups.size()),
                 QStringLiteral("%1 at %2").arg(methodName(method), g.site.name()));
        const ChannelStats* cs = stats->site(g.site);
        if (g.predecessor.isEmpty() || !model.find(g.predecessor) || !cs || cs->absMax.empty()) {
            result.warnings
                << QStringLiteral("%1: %2 cannot be applied here (%3); rounded to nearest")
                       .arg(g.site.name(), methodName(method),
                            g.predecessor.isEmpty()
                                ? QStringLiteral("the classifier is tied to the embedding")
                                : QStringLiteral("no statistics"));
            continue;
        }
        ScaleSearch search{g, *cs, weights, method, {}, {}, {}, 0};
        search.prepare();
        MethodReport report;
        report.site = g.site.name();
        report.method = method;
        const bool canSearch = search.sampleRows > 0;
        report.errorRtn = canSearch ? search.error(nullptr) : 0.0;
        const std::optional<double> fixed =
            method == QuantMethod::SmoothQuant ? plan.methodOptions.alpha : std::nullopt;
        if (fixed || !canSearch) {
            report.alpha = fixed.value_or(0.5);
            const auto given = search.scales(report.alpha);
            report.errorMethod = canSearch ? search.error(&given) : 0.0;
        } else {
            report.searched = true;
            report.errorMethod = std::numeric_limits<double>::infinity();
            for (int step = 0; step <= 20; ++step) {
                const double alpha = step / 20.0;
                const auto s = search.scales(alpha);
                const double e = search.error(&s);
                if (e < report.errorMethod) {
                    report.errorMethod = e;
                    report.alpha = alpha;
                }
            }
        }
        const auto s = search.scales(report.alpha);
        if (method == QuantMethod::Awq)
            siteImportance[g.site.name()] = search.importance(&s);
        applyScales(g, s, weights);
        siteScales[g.site.name()] = s;
        result.reports.push_back(report);
    }

    // Quantize every matrix by rtn, AWQ's searched grids, or GPTQ. GPTQ runs block by block when
    // the statistics carry their calibration sequences: each block's Hessians are collected anew
    // from inputs that passed through the blocks already quantized, as GPTQ itself does.
    const bool sequential = stats && !stats->sequenceTokens.empty();
    std::vector<const TensorChoice*> gptqLater;
    int done = 0;
    for (const TensorChoice& t : plan.tensors) {
        if (progress.cancelled())
            return cancelledError();
        if (!t.quantizable || t.precision == PrecisionId::Fp32)
            continue;
        const bool gptq = t.method == QuantMethod::Gptq && precisionInfo(t.precision).grid;
        if (gptq && sequential) {
            gptqLater.push_back(&t);
            continue;
        }
        progress(0.4 + 0.2 * double(done++) / double(plan.tensors.size()),
                 QStringLiteral("quantizing %1").arg(t.name));
        const Tensor* tensor = model.find(t.name);
        const auto values = weights.view(t.name);
        Result<QuantizedMatrix> q = Error{};
        const auto site = siteOfTensor(t.name, model.config.tiedOutput);
        const ChannelStats* cs = stats && site ? stats->site(*site) : nullptr;
        if (gptq && cs && !cs->hessian.empty()) {
            std::vector<double> h = cs->hessian;
            const auto k = std::size_t(cs->channels);
            for (std::size_t i = 0; i < k;
                 ++i) // the serialized form is full; an in-memory one upper
                for (std::size_t j = 0; j < i; ++j)
                    h[i * k + j] = h[j * k + i];
            if (const auto it = siteScales.find(site->name()); it != siteScales.end())
                for (std::size_t i = 0; i < k; ++i)
                    for (std::size_t j = 0; j < k; ++j)
                        h[i * k + j] /= it->second[i] * it->second[j];
            q = gptqQuantize(t.precision, values, tensor->rowLength(), h, cs->rows,
                             plan.methodOptions, t.name, result.warnings);
        } else if (t.method == QuantMethod::Awq && site && siteImportance.count(site->name())) {
            q = quantizeWithImportance(t.precision, values, tensor->rowLength(),
                                       siteImportance[site->name()], t.name);
        } else {
            if (gptq)
                result.warnings << QStringLiteral("%1: no Hessian in the statistics (calibrate "
                                                  "with Hessians); rounded to nearest")
                                       .arg(t.name);
            q = quantizeMatrix(t.precision, values, tensor->rowLength(), t.name);
        }
        if (!q)
            return q.error();
        result.quantized.emplace(t.name, std::move(q.value()));
    }
    if (!gptqLater.empty())
        if (auto r = sequentialGptq(model, plan, *stats, gptqLater, weights, result, progress); !r)
            return r.error();

    result.f32 = weights.takeEdited();
    for (const auto& [name, q] : result.quantized)
        result.f32.erase(name); // quantized from the edited values; the f32 copy is not needed
    return result;
}

} // namespace cwb
