// SPDX-License-Identifier: GPL-3.0-or-later
#include "prune.h"

#include "engine.h"
#include "tensorvalues.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>

namespace cwb {

namespace {

using Values = std::vector<float>;

Error failure(const QString& message) {
    return Error{message};
}

// ‖x_c‖ per input channel of a matrix, from the statistics of its input (sqrt of the mean square:
// the same ranking as Wanda's ‖X_c‖₂ over the calibration tokens).
std::vector<float> inputNorms(const CalibrationStats* stats, const Site& site, int channels) {
    std::vector<float> norms(std::size_t(channels), 1.0f);
    const ChannelStats* s = stats ? stats->site(site) : nullptr;
    if (!s || s->channels != channels)
        return {};
    for (int c = 0; c < channels; ++c)
        norms[std::size_t(c)] = float(std::sqrt(s->meanSquare(c)));
    return norms;
}

// Zeroes the `count` lowest-scoring entries of `idx` (indices into w).
void zeroLowest(Values& w, const std::vector<float>& score, std::vector<std::int64_t>& idx,
                std::int64_t count) {
    if (count <= 0)
        return;
    count = std::min<std::int64_t>(count, std::int64_t(idx.size()));
    std::nth_element(idx.begin(), idx.begin() + (count - 1), idx.end(),
                     [&](std::int64_t a, std::int64_t b) {
                         const float sa = score[std::size_t(a)], sb = score[std::size_t(b)];
                         return sa < sb || (sa == sb && a < b);
                     });
    for (std::int64_t i = 0; i < count; ++i)
        w[std::size_t(idx[std::size_t(i)])] = 0.0f;
}

// Prunes one matrix of `rows` rows of `cols` values in place.
void pruneMatrix(Values& w, std::int64_t rows, std::int64_t cols, const PruneRule& rule,
                 const std::vector<float>& norms) {
    std::vector<float> score(w.size());
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            const std::size_t i = std::size_t(r * cols + c);
            score[i] = std::fabs(w[i]) * (norms.empty() ? 1.0f : norms[std::size_t(c)]);
        }
    if (rule.method == PruneMethod::Magnitude) {
        std::vector<std::int64_t> idx(w.size());
        std::iota(idx.begin(), idx.end(), 0);
        zeroLowest(w, score, idx, std::int64_t(std::floor(rule.sparsity * double(w.size()))));
    } else if (rule.method == PruneMethod::Wanda) {
        std::vector<std::int64_t> idx(static_cast<std::size_t>(cols));
        const auto perRow = std::int64_t(std::floor(rule.sparsity * double(cols)));
        for (std::int64_t r = 0; r < rows; ++r) {
            std::iota(idx.begin(), idx.end(), r * cols);
            zeroLowest(w, score, idx, perRow);
        }
    } else {
        std::vector<std::int64_t> idx(4);
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t c = 0; c + 4 <= cols; c += 4) {
                std::iota(idx.begin(), idx.end(), r * cols + c);
                zeroLowest(w, score, idx, 2);
            }
    }
}

std::uint64_t sparseFormatBytes(std::int64_t elements, std::int64_t zeros, bool twoFour) {
    const auto n = std::uint64_t(elements);
    if (twoFour) // half the values, and a 2-bit position for each kept one
        return n / 2 * 4 + (n / 2 * 2 + 7) / 8;
    return (n + 7) / 8 + std::uint64_t(elements - zeros) * 4; // bitmask + nonzero values
}

double frobenius(const float* w, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i)
        s += double(w[i]) * double(w[i]);
    return std::sqrt(s);
}

// Column c of a matrix of `rows` rows of `cols` values.
double columnNorm(const Values& w, std::int64_t rows, std::int64_t cols, std::int64_t c) {
    double s = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
        const double v = w[std::size_t(r * cols + c)];
        s += v * v;
    }
    return std::sqrt(s);
}

// The `keep` best-scoring units, in their original order.
std::vector<int> bestUnits(const std::vector<double>& score, int keep) {
    std::vector<int> order(score.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return score[std::size_t(a)] > score[std::size_t(b)]; });
    order.resize(std::size_t(keep));
    std::sort(order.begin(), order.end());
    return order;
}

Values keepRows(const Values& w, std::int64_t cols, const std::vector<int>& rows, int rowBlock) {
    Values out;
    out.reserve(rows.size() * std::size_t(rowBlock * cols));
    for (int r : rows) {
        const auto* first = w.data() + std::size_t(std::int64_t(r) * rowBlock * cols);
        out.insert(out.end(), first, first + rowBlock * cols);
    }
    return out;
}

Values keepColumns(const Values& w, std::int64_t rows, std::int64_t cols,
                   const std::vector<int>& units, int unitWidth) {
    Values out;
    out.reserve(std::size_t(rows) * units.size() * std::size_t(unitWidth));
    for (std::int64_t r = 0; r < rows; ++r)
        for (int u : units) {
            const auto* first = w.data() + std::size_t(r * cols + std::int64_t(u) * unitWidth);
            out.insert(out.end(), first, first + unitWidth);
        }
    return out;
}

struct Tensors {
    std::map<QString, NamedValues*> byName;
    NamedValues& at(const QString& name) { return *byName.at(name); }
};

void removeFfnNeurons(Tensors& t, LlamaConfig& c, const PrunePlan& plan,
                      const CalibrationStats* stats, QStringList& warnings) {
    const int keep = c.hiddenDim - int(std::lround(plan.ffnFraction * c.hiddenDim));
    for (int l = 0; l < c.layers; ++l) {
        NamedValues& gate = t.at(blockTensorName(l, "ffn_gate"));
        NamedValues& up = t.at(blockTensorName(l, "ffn_up"));
        NamedValues& down = t.at(blockTensorName(l, "ffn_down"));
        const std::vector<float> hNorm =
            plan.importance == ImportanceScore::Activation
                ? inputNorms(stats, {l, SiteKind::DownInput}, c.hiddenDim)
                : std::vector<float>{};
        if (plan.importance == ImportanceScore::Activation && hNorm.empty())
            warnings << QStringLiteral("block %1: no FFN statistics, ranked by magnitude").arg(l);
        std::vector<double> score(std::size_t(c.hiddenDim));
        for (int j = 0; j < c.hiddenDim; ++j) {
            const double d = columnNorm(down.values, c.dim, c.hiddenDim, j);
            score[std::size_t(j)] =
                hNorm.empty()
                    ? frobenius(gate.values.data() + std::size_t(j) * std::size_t(c.dim),
                                std::size_t(c.dim)) *
                          frobenius(up.values.data() + std::size_t(j) * std::size_t(c.dim),
                                    std::size_t(c.dim)) *
                          d
                    : double(hNorm[std::size_t(j)]) * d;
        }
        const std::vector<int> kept = bestUnits(score, keep);
        gate.values = keepRows(gate.values, c.dim, kept, 1);
        up.values = keepRows(up.values, c.dim, kept, 1);
        down.values = keepColumns(down.values, c.dim, c.hiddenDim, kept, 1);
        gate.shape = {c.dim, keep};
        up.shape = {c.dim, keep};
        down.shape = {keep, c.dim};
    }
    c.hiddenDim = keep;
}

void removeKvGroups(Tensors& t, LlamaConfig& c, const PrunePlan& plan,
                    const CalibrationStats* stats, QStringList& warnings) {
    const int group = c.heads / c.kvHeads;
    const int keep = c.kvHeads - plan.kvGroupsRemoved;
    const int hd = c.headDim;
    for (int l = 0; l < c.layers; ++l) {
        NamedValues& q = t.at(blockTensorName(l, "attn_q"));
        NamedValues& k = t.at(blockTensorName(l, "attn_k"));
        NamedValues& v = t.at(blockTensorName(l, "attn_v"));
        NamedValues& o = t.at(blockTensorName(l, "attn_output"));
        const std::vector<float> attNorm =
            plan.importance == ImportanceScore::Activation
                ? inputNorms(stats, {l, SiteKind::AttnOutput}, c.qDim())
                : std::vector<float>{};
        if (plan.importance == ImportanceScore::Activation && attNorm.empty())
            warnings
                << QStringLiteral("block %1: no attention statistics, ranked by magnitude").arg(l);
        std::vector<double> score(std::size_t(c.kvHeads));
        for (int g = 0; g < c.kvHeads; ++g) {
            double s = 0, oNorm2 = 0;
            for (int d = g * group * hd; d < (g + 1) * group * hd; ++d) {
                const double col = columnNorm(o.values, c.dim, c.qDim(), d);
                s += attNorm.empty() ? 0.0 : double(attNorm[std::size_t(d)]) * col;
                oNorm2 += col * col;
            }
            const std::size_t rowLen = std::size_t(hd) * std::size_t(c.dim);
            score[std::size_t(g)] =
                attNorm.empty() ? frobenius(v.values.data() + std::size_t(g) * rowLen, rowLen) *
                                      std::sqrt(oNorm2)
                                : s;
        }
        const std::vector<int> keptGroups = bestUnits(score, keep);
        q.values = keepRows(q.values, c.dim, keptGroups, group * hd);
        k.values = keepRows(k.values, c.dim, keptGroups, hd);
        v.values = keepRows(v.values, c.dim, keptGroups, hd);
        o.values = keepColumns(o.values, c.dim, c.qDim(), keptGroups, group * hd);
        // Qwen2's biases go with their rows.
        for (const auto& [kind, width] :
             {std::pair{"attn_q", group * hd}, {"attn_k", hd}, {"attn_v", hd}})
            if (const auto it = t.byName.find(blockBiasName(l, kind)); it != t.byName.end()) {
                it->second->values = keepRows(it->second->values, 1, keptGroups, width);
                it->second->shape = {std::int64_t(keptGroups.size()) * width};
            }
        q.shape = {c.dim, keep * group * hd};
        k.shape = {c.dim, keep * hd};
        v.shape = {c.dim, keep * hd};
        o.shape = {keep * group * hd, c.dim};
    }
    c.heads = keep * group;
    c.kvHeads = keep;
}

std::vector<NamedValues> keepBlocks(std::vector<NamedValues> tensors, LlamaConfig& c,
                                    const std::vector<int>& kept) {
    static const QRegularExpression block(QStringLiteral("^blk\\.(\\d+)\\.(.*)$"));
    std::vector<NamedValues> out;
    std::map<int, std::vector<NamedValues>> perBlock;
    bool blocksPlaced = false;
    for (NamedValues& t : tensors) {
        const auto m = block.match(t.name);
        if (!m.hasMatch()) {
            out.push_back(std::move(t));
            continue;
        }
        if (!blocksPlaced) { // blocks go where the first block tensor was
            blocksPlaced = true;
            out.push_back(NamedValues{QStringLiteral("\x01blocks"), {}, {}});
        }
        perBlock[m.captured(1).toInt()].push_back(std::move(t));
    }
    std::vector<NamedValues> result;
    for (NamedValues& t : out) {
        if (t.name != QLatin1String("\x01blocks")) {
            result.push_back(std::move(t));
            continue;
        }
        for (std::size_t i = 0; i < kept.size(); ++i)
            for (NamedValues b : perBlock[kept[i]]) {
                b.name = QStringLiteral("blk.%1.%2").arg(i).arg(block.match(b.name).captured(2));
                result.push_back(std::move(b));
            }
    }
    c.layers = int(kept.size());
    return result;
}

PruneMethod methodByName(const QString& name, bool* ok) {
    *ok = true;
    if (name == QLatin1String("magnitude"))
        return PruneMethod::Magnitude;
    if (name == QLatin1String("wanda"))
        return PruneMethod::Wanda;
    if (name == QLatin1String("2:4"))
        return PruneMethod::TwoFour;
    *ok = false;
    return PruneMethod::Magnitude;
}

} // namespace

QString pruneMethodName(PruneMethod method) {
    switch (method) {
    case PruneMethod::Magnitude:
        return QStringLiteral("magnitude");
    case PruneMethod::Wanda:
        return QStringLiteral("wanda");
    case PruneMethod::TwoFour:
        return QStringLiteral("2:4");
    }
    return {};
}

bool PrunePlan::needsStatistics() const {
    for (const PruneRule& r : rules)
        if (r.method == PruneMethod::Wanda)
            return true;
    return (blocksRemoved > 0 && keepBlocks.empty()) ||
           ((ffnFraction > 0 || kvGroupsRemoved > 0) && importance == ImportanceScore::Activation);
}

bool PrunePlan::isStructured() const {
    return ffnFraction > 0 || kvGroupsRemoved > 0 || blocksRemoved > 0 || !keepBlocks.empty();
}

QJsonObject PrunePlan::toJson() const {
    QJsonArray ruleArray;
    for (const PruneRule& r : rules)
        ruleArray.append(QJsonObject{{QStringLiteral("match"), r.match},
                                     {QStringLiteral("method"), pruneMethodName(r.method)},
                                     {QStringLiteral("sparsity"), r.sparsity}});
    QJsonArray keep;
    for (int b : keepBlocks)
        keep.append(b);
    QJsonObject structured{{QStringLiteral("ffn_fraction"), ffnFraction},
                           {QStringLiteral("kv_groups"), kvGroupsRemoved},
                           {QStringLiteral("blocks"), blocksRemoved},
                           {QStringLiteral("importance"), importance == ImportanceScore::Magnitude
                                                              ? QStringLiteral("magnitude")
                                                              : QStringLiteral("activation")}};
    if (!keepBlocks.empty())
        structured.insert(QStringLiteral("keep_blocks"), keep);
    return QJsonObject{{QStringLiteral("name"), name},
                       {QStringLiteral("rules"), ruleArray},
                       {QStringLiteral("structured"), structured}};
}

Result<PrunePlan> PrunePlan::fromJson(const QJsonObject& json) {
    PrunePlan p;
    p.name = json.value(QStringLiteral("name")).toString();
    for (const QJsonValue& v : json.value(QStringLiteral("rules")).toArray()) {
        const QJsonObject o = v.toObject();
        PruneRule r;
        r.match = o.value(QStringLiteral("match")).toString();
        if (!QRegularExpression(r.match).isValid() || r.match.isEmpty())
            return failure(QStringLiteral("prune rule: bad pattern '%1'").arg(r.match));
        bool ok = false;
        r.method = methodByName(o.value(QStringLiteral("method")).toString(), &ok);
        if (!ok)
            return failure(QStringLiteral("prune rule: method must be magnitude, wanda or 2:4, "
                                          "not '%1'")
                               .arg(o.value(QStringLiteral("method")).toString()));
        r.sparsity = o.value(QStringLiteral("sparsity")).toDouble(0.5);
        if (r.method == PruneMethod::TwoFour)
            r.sparsity = 0.5;
        if (!(r.sparsity >= 0.0 && r.sparsity < 1.0))
            return failure(QStringLiteral("prune rule: sparsity must be in [0, 1)"));
        p.rules.push_back(r);
    }
    const QJsonObject s = json.value(QStringLiteral("structured")).toObject();
    p.ffnFraction = s.value(QStringLiteral("ffn_fraction")).toDouble(0);
    p.kvGroupsRemoved = s.value(QStringLiteral("kv_groups")).toInt(0);
    p.blocksRemoved = s.value(QStringLiteral("blocks")).toInt(0);
    for (const QJsonValue& v : s.value(QStringLiteral("keep_blocks")).toArray())
        p.keepBlocks.push_back(v.toInt(-1));
    const QString importance =
        s.value(QStringLiteral("importance")).toString(QStringLiteral("activation"));
    if (importance == QLatin1String("magnitude"))
        p.importance = ImportanceScore::Magnitude;
    else if (importance == QLatin1String("activation"))
        p.importance = ImportanceScore::Activation;
    else
        return failure(QStringLiteral("importance must be magnitude or activation"));
    if (!(p.ffnFraction >= 0 && p.ffnFraction < 1) || p.kvGroupsRemoved < 0 || p.blocksRemoved < 0)
        return failure(QStringLiteral("structured pruning: ffn_fraction must be in [0, 1), "
                                      "kv_groups and blocks ≥ 0"));
    return p;
}

Result<PrunePlan> loadPrunePlan(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return failure(QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (!doc.isObject())
        return failure(QStringLiteral("%1: not a JSON object (%2)").arg(path, err.errorString()));
    return PrunePlan::fromJson(doc.object());
}

Result<PrunePlan> studentSpecPlan(const QString& spec) {
    PrunePlan plan;
    for (const QString& part : spec.split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
        const QString key = part.section(QLatin1Char('='), 0, 0).trimmed();
        const QString value = part.section(QLatin1Char('='), 1).trimmed();
        bool ok = true;
        if (key == QLatin1String("teacher")) {
            ok = value.isEmpty();
        } else if (key == QLatin1String("blocks")) {
            for (const QString& b : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                plan.keepBlocks.push_back(b.trimmed().toInt(&ok));
                if (!ok)
                    break;
            }
        } else if (key == QLatin1String("drop")) {
            plan.blocksRemoved = value.toInt(&ok);
        } else if (key == QLatin1String("ffn")) {
            plan.ffnFraction = value.toDouble(&ok);
            ok = ok && plan.ffnFraction >= 0 && plan.ffnFraction < 1;
        } else if (key == QLatin1String("kv")) {
            plan.kvGroupsRemoved = value.toInt(&ok);
        } else if (key == QLatin1String("prune")) {
            auto loaded = loadPrunePlan(value);
            if (!loaded)
                return loaded.error();
            plan = loaded.value();
        } else {
            ok = false;
        }
        if (!ok)
            return failure(QStringLiteral("student spec: cannot read '%1' (use blocks=0,2,4, "
                                          "drop=N, ffn=F, kv=N or prune=PLAN.json, joined by ;)")
                               .arg(part));
    }
    plan.name = spec;
    return plan;
}

std::vector<NamedValues> modelValues(const Model& model) {
    std::vector<NamedValues> out;
    std::vector<float> scratch;
    for (const Tensor& t : model.tensors) {
        const auto v = decodedValues(t, scratch);
        out.push_back(NamedValues{t.name, t.shape, std::vector<float>(v.begin(), v.end())});
    }
    return out;
}

std::shared_ptr<const Model> modelFromValues(const Model& base, const LlamaConfig& config,
                                             const std::vector<NamedValues>& tensors,
                                             const QString& path) {
    auto m = std::make_shared<Model>();
    m->path = path;
    m->tokenizerPath = base.tokenizerPath;
    m->format = base.format;
    m->formatName = QStringLiteral("in memory (from %1)").arg(base.formatName);
    m->config = config;
    m->tokenizer = base.tokenizer;
    // No metadata: the export writes the architecture from `config`, not the source's keys.
    std::size_t total = 0;
    for (const NamedValues& t : tensors)
        total += t.values.size() * sizeof(float);
    auto buffer = std::make_shared<std::vector<std::uint8_t>>(total);
    std::size_t offset = 0;
    for (const NamedValues& t : tensors) {
        const std::size_t bytes = t.values.size() * sizeof(float);
        if (bytes)
            std::memcpy(buffer->data() + offset, t.values.data(), bytes);
        Tensor tensor;
        tensor.name = t.name;
        tensor.shape = t.shape;
        tensor.type = StoredType::F32;
        tensor.data = std::span<const std::uint8_t>(buffer->data() + offset, bytes);
        m->tensors.push_back(std::move(tensor));
        offset += bytes;
    }
    m->buffers.push_back(std::move(buffer));
    return m;
}

Result<std::vector<double>> blockInfluence(const Model& model,
                                           const std::vector<std::vector<std::int32_t>>& sequences,
                                           int threads) {
    const LlamaConfig& c = model.config;
    auto weights = WeightSet::fromModel(model);
    if (!weights)
        return weights.error();
    std::vector<std::vector<float>> stageRows(std::size_t(c.layers + 1));
    EngineOptions options;
    options.threads = threads;
    options.stageInput = [&](int stage, std::span<const float> residual) {
        stageRows[std::size_t(stage)].assign(residual.begin(), residual.end());
    };
    auto engine = Engine::create(std::move(weights.value()), options);
    if (!engine)
        return engine.error();
    std::vector<double> sumCos(std::size_t(c.layers), 0.0);
    std::int64_t rows = 0;
    std::vector<float> logits;
    for (const auto& seq : sequences) {
        KvCache cache(c, int(seq.size()));
        if (auto r = (*engine)->forward(cache, seq, int(seq.size()), logits); !r)
            return r.error();
        const auto m = std::int64_t(seq.size());
        for (int l = 0; l < c.layers; ++l)
            for (std::int64_t i = 0; i < m; ++i) {
                const float* a = stageRows[std::size_t(l)].data() + i * c.dim;
                const float* b = stageRows[std::size_t(l + 1)].data() + i * c.dim;
                double ab = 0, aa = 0, bb = 0;
                for (int d = 0; d < c.dim; ++d) {
                    ab += double(a[d]) * b[d];
                    aa += double(a[d]) * a[d];
                    bb += double(b[d]) * b[d];
                }
                sumCos[std::size_t(l)] += ab / std::sqrt(aa * bb + 1e-30);
            }
        rows += m;
    }
    std::vector<double> influence(std::size_t(c.layers));
    for (int l = 0; l < c.layers; ++l)
        influence[std::size_t(l)] =
            1.0 - sumCos[std::size_t(l)] / double(std::max<std::int64_t>(1, rows));
    return influence;
}

Result<PruneResult> pruneModel(const Model& model, const PrunePlan& plan,
                               const CalibrationStats* stats, const Progress& progress) {
    LlamaConfig c = model.config;
    if (plan.needsStatistics() && !stats)
        return failure(QStringLiteral("this pruning plan needs calibration statistics "
                                      "(Wanda scores, activation importance or block influence)"));
    if (plan.kvGroupsRemoved >= c.kvHeads && plan.kvGroupsRemoved > 0)
        return failure(QStringLiteral("cannot remove %1 of %2 KV groups")
                           .arg(plan.kvGroupsRemoved)
                           .arg(c.kvHeads));
    if (plan.blocksRemoved >= c.layers && plan.blocksRemoved > 0)
        return failure(
            QStringLiteral("cannot remove %1 of %2 blocks").arg(plan.blocksRemoved).arg(c.layers));
    for (int b : plan.keepBlocks)
        if (b < 0 || b >= c.layers)
            return failure(QStringLiteral("keep_blocks: no block %1 in a %2-block model")
                               .arg(b)
                               .arg(c.layers));

    PruneResult result;
    result.parametersBefore = model.parameterCount();
    std::vector<NamedValues> tensors = modelValues(model);

    // Unstructured, on the shapes the statistics were taken on.
    std::map<QString, QString> methodOf;
    std::vector<QRegularExpression> patterns;
    for (const PruneRule& r : plan.rules)
        patterns.emplace_back(QStringLiteral("^(?:%1)$").arg(r.match));
    std::vector<bool> ruleUsed(plan.rules.size(), false);
    for (std::size_t ti = 0; ti < tensors.size(); ++ti) {
        if (progress.cancelled())
            return cancelledError();
        NamedValues& t = tensors[ti];
        if (t.shape.size() != 2)
            continue;
        const PruneRule* rule = nullptr;
        for (std::size_t i = 0; i < plan.rules.size(); ++i)
            if (patterns[i].match(t.name).hasMatch()) {
                rule = &plan.rules[i];
                ruleUsed[i] = true;
            }
        if (!rule)
            continue;
        const std::int64_t cols = t.shape[0], rows = t.shape[1];
        std::vector<float> norms;
        if (rule->method != PruneMethod::Magnitude && stats) {
            if (auto site = siteOfTensor(t.name, c.tiedOutput))
                norms = inputNorms(stats, *site, int(cols));
            if (norms.empty() && rule->method == PruneMethod::Wanda)
                return failure(
                    QStringLiteral("no calibration statistics for the input of %1").arg(t.name));
        }
        pruneMatrix(t.values, rows, cols, *rule, norms);
        methodOf[t.name] = pruneMethodName(rule->method);
        progress(0.5 * double(ti + 1) / double(tensors.size()), t.name);
    }
    for (std::size_t i = 0; i < plan.rules.size(); ++i)
        if (!ruleUsed[i])
            result.warnings
                << QStringLiteral("prune rule '%1' matches no matrix").arg(plan.rules[i].match);

    Tensors index;
    for (NamedValues& t : tensors)
        index.byName[t.name] = &t;
    if (plan.ffnFraction > 0)
        removeFfnNeurons(index, c, plan, stats, result.warnings);
    if (plan.kvGroupsRemoved > 0)
        removeKvGroups(index, c, plan, stats, result.warnings);

    std::vector<int> kept(std::size_t(c.layers));
    std::iota(kept.begin(), kept.end(), 0);
    if (!plan.keepBlocks.empty()) {
        kept = plan.keepBlocks;
    } else if (plan.blocksRemoved > 0) {
        if (stats->sequenceTokens.empty())
            return failure(QStringLiteral("the statistics hold no calibration sequences"));
        progress(0.6, QStringLiteral("block influence"));
        auto influence = blockInfluence(model, stats->sequenceTokens);
        if (!influence)
            return influence.error();
        result.blockInfluence = *influence;
        kept = bestUnits(*influence, c.layers - plan.blocksRemoved);
    }
    if (int(kept.size()) != c.layers)
        tensors = keepBlocks(std::move(tensors), c, kept);
    result.keptBlocks = kept;

    // Honest sizes.
    for (const NamedValues& t : tensors) {
        TensorSparsity s;
        s.name = t.name;
        s.elements = std::int64_t(t.values.size());
        s.zeros = std::count(t.values.begin(), t.values.end(), 0.0f);
        s.denseBytes = std::uint64_t(s.elements) * 4;
        s.sparseBytes = s.denseBytes;
        static const QRegularExpression block(QStringLiteral("^blk\\.(\\d+)\\.(.*)$"));
        QString source = t.name;
        if (const auto m = block.match(t.name); m.hasMatch())
            source = QStringLiteral("blk.%1.%2")
                         .arg(kept[std::size_t(m.captured(1).toInt())])
                         .arg(m.captured(2));
        if (auto it = methodOf.find(source); it != methodOf.end()) {
            s.method = it->second;
            s.sparseBytes =
                std::min(s.denseBytes,
                         sparseFormatBytes(s.elements, s.zeros, s.method == QLatin1String("2:4")));
        }
        result.denseBytes += s.denseBytes;
        result.sparseBytes += s.sparseBytes;
        result.parametersAfter += s.elements;
        result.tensors.push_back(s);
    }
    QString path = model.path + QStringLiteral(" (pruned)");
    result.model = modelFromValues(model, c, tensors, path);
    if (auto valid = validateLlamaTensors(*result.model); !valid)
        return valid.error();
    progress(1.0, QStringLiteral("pruned"));
    return result;
}

} // namespace cwb
