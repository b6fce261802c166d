// SPDX-License-Identifier: GPL-3.0-or-later
// Hugging Face folders: stories260K written as one by tests/hfbuilder.h must load to the same
// tensors, tokens, logits and perplexity as the llama2.c checkpoint, and broken folders must each
// give one clear reason. The same weights with Qwen2's Q, K and V biases must match a scalar
// forward pass written here from transformers' definition, and survive a GGUF round trip.
#include "golden.h"
#include "hfbuilder.h"
#include "testassets.h"

#include "backward.h"
#include "calibration.h"
#include "engine.h"
#include "evaluation.h"
#include "ggufexport.h"
#include "hfmodel.h"
#include "model.h"
#include "plan.h"
#include "prune.h"
#include "textfile.h"

#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace cwb;

namespace {

constexpr float kBiasScale = 0.5f;       // the Qwen2 folders' biases: N(0, 0.5²)
constexpr float kLogitTolerance = 1e-4f; // f32 engine against the double reference

std::shared_ptr<const Model> load(const QString& path) {
    auto model = loadModel(path);
    if (!model)
        qFatal("%s", qPrintable(model.error().message));
    return model.value();
}

std::vector<float> prefill(const Model& model, const std::vector<std::int32_t>& tokens) {
    auto weights = WeightSet::fromModel(model);
    if (!weights)
        qFatal("%s", qPrintable(weights.error().message));
    auto engine = Engine::create(std::move(weights.value()), EngineOptions{2});
    if (!engine)
        qFatal("%s", qPrintable(engine.error().message));
    KvCache cache(model.config, 512);
    std::vector<float> logits;
    if (auto r = engine.value()->forward(cache, tokens, 0, logits); !r)
        qFatal("%s", qPrintable(r.error().message));
    return logits;
}

// The first `count` stories of the validation text.
std::vector<std::string> firstDocuments(int count) {
    QFile f(cwbtest::validationText());
    if (!f.open(QIODevice::ReadOnly))
        qFatal("validation text missing");
    const QByteArray text = f.readAll();
    const QByteArray separator("<|endoftext|>");
    std::vector<std::string> docs;
    for (qsizetype at = 0; at < text.size() && int(docs.size()) < count;) {
        qsizetype end = text.indexOf(separator, at);
        if (end < 0)
            end = text.size();
        const QByteArray doc = text.mid(at, end - at).trimmed();
        if (!doc.isEmpty())
            docs.push_back(doc.toStdString());
        at = end + separator.size();
    }
    return docs;
}

QByteArray sixteenZeroBytes() {
    return QByteArray(16, '\0');
}

std::vector<float> prefillWith(const Model& model, WeightSet weights,
                               const std::vector<std::int32_t>& tokens) {
    auto engine = Engine::create(std::move(weights), EngineOptions{2});
    if (!engine)
        qFatal("%s", qPrintable(engine.error().message));
    KvCache cache(model.config, 512);
    std::vector<float> logits;
    if (auto r = engine.value()->forward(cache, tokens, 0, logits); !r)
        qFatal("%s", qPrintable(r.error().message));
    return logits;
}

float maxAbsDifference(std::span<const float> a, std::span<const double> b) {
    if (a.size() != b.size())
        qFatal("%zu values against %zu", a.size(), b.size());
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(double(a[i]) - b[i]));
    return float(worst);
}

// Qwen2's forward pass as transformers defines it, in double, one position at a time, straight
// from the Hugging Face tensors as the folder stores them: y = W x + b (W as rows of outputs),
// rotary embedding on Q and K in rotate-half form (dimension i pairs with i + head/2), causal
// grouped-query attention, SwiGLU, RMSNorm, the classifier tied to the embedding.
std::vector<double> referenceLogits(const std::vector<cwbtest::HfTensor>& tensors,
                                    const QJsonObject& config,
                                    const std::vector<std::int32_t>& tokens) {
    std::map<QString, const std::vector<float>*> byName;
    for (const cwbtest::HfTensor& t : tensors)
        byName[t.name] = &t.values;
    auto w = [&](const QString& name) -> const std::vector<float>& {
        const auto it = byName.find(name);
        if (it == byName.end())
            qFatal("no tensor %s", qPrintable(name));
        return *it->second;
    };
    auto num = [&](const char* key) { return config.value(QLatin1String(key)).toDouble(); };
    const int D = int(num("hidden_size")), F = int(num("intermediate_size"));
    const int L = int(num("num_hidden_layers")), H = int(num("num_attention_heads"));
    const int KVH = int(num("num_key_value_heads")), V = int(num("vocab_size")), hd = D / H;
    const double eps = num("rms_norm_eps"), theta = num("rope_theta");

    auto linear = [](const std::vector<float>& W, const std::vector<float>* b,
                     const std::vector<double>& x, int out) {
        std::vector<double> y(std::size_t(out), 0.0);
        const std::size_t in = x.size();
        for (std::size_t o = 0; o < y.size(); ++o) {
            double sum = b ? double((*b)[o]) : 0.0;
            for (std::size_t i = 0; i < in; ++i)
                sum += double(W[o * in + i]) * x[i];
            y[o] = sum;
        }
        return y;
    };
    auto rmsNorm = [&](const std::vector<double>& x, const std::vector<float>& g) {
        double ss = 0;
        for (double v : x)
            ss += v * v;
        const double r = 1.0 / std::sqrt(ss / double(x.size()) + eps);
        std::vector<double> y(x.size());
        for (std::size_t i = 0; i < x.size(); ++i)
            y[i] = double(g[i]) * x[i] * r;
        return y;
    };
    auto rotateHalf = [&](std::vector<double>& v, int heads, int position) {
        for (int h = 0; h < heads; ++h)
            for (int i = 0; i < hd / 2; ++i) {
                const double angle = position * std::pow(theta, -2.0 * i / hd);
                double& x1 = v[std::size_t(h * hd + i)];
                double& x2 = v[std::size_t(h * hd + i + hd / 2)];
                const double a = x1, b = x2;
                x1 = a * std::cos(angle) - b * std::sin(angle);
                x2 = b * std::cos(angle) + a * std::sin(angle);
            }
    };
    auto bias = [&](const QString& name) {
        const auto it = byName.find(name);
        return it == byName.end() ? nullptr : it->second;
    };

    const std::vector<float>& embedding = w(QStringLiteral("model.embed_tokens.weight"));
    std::vector<std::vector<std::vector<double>>> keys(static_cast<std::size_t>(L));
    auto values = keys;
    std::vector<double> logits;
    for (std::size_t p = 0; p < tokens.size(); ++p) {
        std::vector<double> x(static_cast<std::size_t>(D));
        for (int i = 0; i < D; ++i)
            x[std::size_t(i)] = embedding[std::size_t(tokens[p]) * std::size_t(D) + std::size_t(i)];
        for (int l = 0; l < L; ++l) {
            const QString at = QStringLiteral("model.layers.%1.").arg(l);
            const auto xn = rmsNorm(x, w(at + QStringLiteral("input_layernorm.weight")));
            auto project = [&](const char* proj, int out) {
                const QString name = at + QStringLiteral("self_attn.") + QLatin1String(proj);
                return linear(w(name + QStringLiteral(".weight")),
                              bias(name + QStringLiteral(".bias")), xn, out);
            };
            auto q = project("q_proj", H * hd);
            auto k = project("k_proj", KVH * hd);
            const auto v = project("v_proj", KVH * hd);
            rotateHalf(q, H, int(p));
            rotateHalf(k, KVH, int(p));
            keys[std::size_t(l)].push_back(k);
            values[std::size_t(l)].push_back(v);
            std::vector<double> att(std::size_t(H * hd), 0.0);
            for (int h = 0; h < H; ++h) {
                const std::size_t kvOffset = std::size_t((h / (H / KVH)) * hd);
                std::vector<double> score(p + 1);
                double top = -INFINITY;
                for (std::size_t t = 0; t <= p; ++t) {
                    double dot = 0;
                    for (int j = 0; j < hd; ++j)
                        dot += q[std::size_t(h * hd + j)] *
                               keys[std::size_t(l)][t][kvOffset + std::size_t(j)];
                    score[t] = dot / std::sqrt(double(hd));
                    top = std::max(top, score[t]);
                }
                double sum = 0;
                for (double& sc : score)
                    sum += (sc = std::exp(sc - top));
                for (std::size_t t = 0; t <= p; ++t)
                    for (int j = 0; j < hd; ++j)
                        att[std::size_t(h * hd + j)] +=
                            score[t] / sum * values[std::size_t(l)][t][kvOffset + std::size_t(j)];
            }
            const auto o =
                linear(w(at + QStringLiteral("self_attn.o_proj.weight")), nullptr, att, D);
            for (int i = 0; i < D; ++i)
                x[std::size_t(i)] += o[std::size_t(i)];
            const auto xn2 = rmsNorm(x, w(at + QStringLiteral("post_attention_layernorm.weight")));
            const auto g = linear(w(at + QStringLiteral("mlp.gate_proj.weight")), nullptr, xn2, F);
            const auto u = linear(w(at + QStringLiteral("mlp.up_proj.weight")), nullptr, xn2, F);
            std::vector<double> hidden(static_cast<std::size_t>(F));
            for (std::size_t j = 0; j < hidden.size(); ++j)
                hidden[j] = g[j] / (1.0 + std::exp(-g[j])) * u[j];
            const auto down =
                linear(w(at + QStringLiteral("mlp.down_proj.weight")), nullptr, hidden, D);
            for (int i = 0; i < D; ++i)
                x[std::size_t(i)] += down[std::size_t(i)];
        }
        const auto out =
            linear(embedding, nullptr, rmsNorm(x, w(QStringLiteral("model.norm.weight"))), V);
        logits.insert(logits.end(), out.begin(), out.end());
    }
    return logits;
}

} // namespace

class TestHfModel : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_f32, m_bf16, m_sharded, m_qwen2, m_qwen2Sharded;
    std::vector<std::string> m_corpus; // the documents the Qwen2 folders' tokenizer learned from

    // A copy of the F32 folder's config and tokenizer files in a new folder named `name`.
    QString hostileFolder(const QString& name, bool withWeights) {
        const QString dir = m_dir.filePath(QStringLiteral("hostile-") + name);
        QDir().mkpath(dir);
        for (const char* file :
             {"config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"}) {
            if (!withWeights && QLatin1String(file) == QLatin1String("model.safetensors"))
                continue;
            QFile::copy(QDir(m_f32).filePath(QLatin1String(file)),
                        QDir(dir).filePath(QLatin1String(file)));
        }
        return dir;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_f32 = m_dir.filePath(QStringLiteral("stories260K-hf-f32"));
        m_bf16 = m_dir.filePath(QStringLiteral("stories260K-hf-bf16"));
        m_sharded = m_dir.filePath(QStringLiteral("stories260K-hf-sharded"));
        cwbtest::writeStories260KFolder(m_f32, cwbtest::HfDtype::F32);
        cwbtest::writeStories260KFolder(m_bf16, cwbtest::HfDtype::BF16);
        cwbtest::writeStories260KFolder(m_sharded, cwbtest::HfDtype::F32, 3, true);
        m_qwen2 = m_dir.filePath(QStringLiteral("qwen2-hf"));
        m_qwen2Sharded = m_dir.filePath(QStringLiteral("qwen2-hf-sharded"));
        m_corpus = firstDocuments(100);
        cwbtest::writeQwen2Folder(m_qwen2, kBiasScale, m_corpus);
        cwbtest::writeQwen2Folder(m_qwen2Sharded, kBiasScale, m_corpus, 3);
    }

    // The first tokens of the first story through the Qwen2 folders' tokenizer.
    std::vector<std::int32_t> qwen2Prompt(const Model& model, std::size_t count) {
        auto ids = model.tokenizer.encode(m_corpus.front(), true);
        if (ids.size() < count)
            qFatal("the first story is too short");
        ids.resize(count);
        return ids;
    }

    void qwen2LoadsBiasesInTheEnginesOrder() {
        const auto model = load(m_qwen2);
        QVERIFY(model->config.qkvBias);
        QCOMPARE(model->tensors.size(), std::size_t(47 + 3 * 5));
        QCOMPARE(model->tensors[2].name, QStringLiteral("blk.0.attn_q.weight"));
        QCOMPARE(model->tensors[3].name, QStringLiteral("blk.0.attn_q.bias"));
        QCOMPARE(model->tensors[4].name, QStringLiteral("blk.0.attn_k.weight"));
        const auto hf = cwbtest::qwen2Tensors(kBiasScale);
        auto hfValues = [&](const QString& name) {
            for (const auto& t : hf)
                if (t.name == name)
                    return t.values;
            qFatal("no %s", qPrintable(name));
        };
        // Q and K biases move with their rows: value 2i + p of a head is rotate-half's p·hd/2 + i.
        // V's stay as stored.
        const int hd = model->config.headDim;
        for (const auto& [kind, proj, heads] :
             {std::tuple{"attn_q", "q_proj", 8}, {"attn_k", "k_proj", 4}, {"attn_v", "v_proj", 4}})
            for (int l = 0; l < 5; ++l) {
                const Tensor* t = model->find(blockBiasName(l, kind));
                QVERIFY(t);
                QCOMPARE(t->shape, (std::vector<std::int64_t>{heads * hd}));
                const auto* loaded = reinterpret_cast<const float*>(t->data.data());
                const auto stored =
                    hfValues(QStringLiteral("model.layers.%1.self_attn.%2.bias").arg(l).arg(proj));
                const bool rotary = QLatin1String(kind) != QLatin1String("attn_v");
                for (int h = 0; h < heads; ++h)
                    for (int i = 0; i < hd / 2; ++i)
                        for (int p = 0; p < 2; ++p)
                            QCOMPARE(loaded[h * hd + 2 * i + p],
                                     stored[std::size_t(h * hd +
                                                        (rotary ? p * hd / 2 + i : 2 * i + p))]);
            }
    }

    void qwen2LogitsMatchTheReference_data() {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<bool>("speed");
        QTest::newRow("one file, f32 matmuls") << m_qwen2 << false;
        QTest::newRow("three shards, f32 matmuls") << m_qwen2Sharded << false;
        QTest::newRow("one file, packed kernels") << m_qwen2 << true;
    }
    void qwen2LogitsMatchTheReference() {
        QFETCH(QString, folder);
        QFETCH(bool, speed);
        const auto model = load(folder);
        const auto tokens = qwen2Prompt(*model, 24);
        auto weights = WeightSet::fromPlan(*model, resolvePlan(Plan{}, *model),
                                           speed ? WeightMode::Speed : WeightMode::Accuracy);
        QVERIFY(weights);
        const auto logits = prefillWith(*model, std::move(weights.value()), tokens);
        const auto tensors = cwbtest::qwen2Tensors(kBiasScale);
        const auto reference = referenceLogits(tensors, cwbtest::qwen2Config(), tokens);
        const float worst = maxAbsDifference(logits, reference);
        // What the biases change, so that the tolerance means something.
        auto unbiased = tensors;
        for (auto& t : unbiased)
            if (t.name.endsWith(QLatin1String(".bias")))
                std::fill(t.values.begin(), t.values.end(), 0.0f);
        const float biasEffect =
            maxAbsDifference(logits, referenceLogits(unbiased, cwbtest::qwen2Config(), tokens));
        qInfo("max |logit - reference| over %zu positions: %.3g; without the biases: %.3g",
              tokens.size(), double(worst), double(biasEffect));
        QVERIFY(worst < kLogitTolerance);
        QVERIFY(biasEffect > 1000 * kLogitTolerance);
    }

    void qwen2BiasesStayF32() {
        const auto model = load(m_qwen2);
        Plan plan;
        plan.defaultPrecision = PrecisionId::Int4G32;
        const ResolvedPlan resolved = resolvePlan(plan, *model);
        std::int64_t vectorElements = 0;
        int biases = 0;
        for (const TensorChoice& c : resolved.tensors) {
            const Tensor* t = model->find(c.name);
            if (t->isMatrix())
                continue;
            vectorElements += t->elements();
            QVERIFY2(!c.quantizable && c.precision == PrecisionId::Fp32, qPrintable(c.name));
            biases += c.name.endsWith(QLatin1String(".bias"));
        }
        QCOMPARE(biases, 15);
        // Counted in the model's size as f32, and not among the quantized weights.
        const SizeSummary size = sizeOf(*model, resolved);
        QCOMPARE(size.totalBytes - size.matrixBytes, std::uint64_t(vectorElements) * 4);
        QCOMPARE(vectorElements, std::int64_t(5 * (64 + 64 + 64 + 32 + 32) + 64));
        const ExportLayout layout = planExport(*model, resolved);
        for (const ExportedTensor& e : layout.tensors)
            if (e.name.endsWith(QLatin1String(".bias")))
                QCOMPARE(e.type, StoredType::F32);
        // The int4 weights run with the biases as loaded, value for value.
        auto weights = WeightSet::fromPlan(*model, resolved);
        QVERIFY(weights);
        const Tensor* qBias = model->find(blockBiasName(3, "attn_q"));
        const auto& l3 = weights->layers[3];
        QVERIFY(std::equal(l3.qBias.begin(), l3.qBias.end(),
                           reinterpret_cast<const float*>(qBias->data.data())));
        QCOMPARE(l3.kBias.size(), std::size_t(32));
        QCOMPARE(l3.vBias.size(), std::size_t(32));
    }

    void qwen2GgufRoundTrip_data() {
        QTest::addColumn<int>("precision");
        QTest::newRow("fp32") << int(PrecisionId::Fp32);
        QTest::newRow("int8_g32 (Q8_0)") << int(PrecisionId::Int8G32);
    }
    void qwen2GgufRoundTrip() {
        QFETCH(int, precision);
        const auto folder = load(m_qwen2);
        Plan plan;
        plan.defaultPrecision = PrecisionId(precision);
        const QString path = m_dir.filePath(QStringLiteral("qwen2-%1.gguf").arg(precision));
        ExportOptions options;
        options.fallback = ExportFallback::Nearest; // ffn_down's rows of 172 are not Q8_0 blocks
        auto exported = exportGguf(*folder, plan, path, options);
        QVERIFY2(exported, exported ? "" : qPrintable(exported.error().message));
        const auto gguf = load(path);
        QCOMPARE(gguf->format, ModelFormat::Gguf);
        QVERIFY(gguf->config.qkvBias);
        QCOMPARE(gguf->config.ropeTheta, 1000000.0f);
        QCOMPARE(gguf->config.normEps, 1e-6f);
        for (int l = 0; l < 5; ++l)
            for (const char* kind : {"attn_q", "attn_k", "attn_v"}) {
                const Tensor* a = gguf->find(blockBiasName(l, kind));
                const Tensor* b = folder->find(blockBiasName(l, kind));
                QVERIFY(a && b);
                QCOMPARE(a->type, StoredType::F32);
                QVERIFY(std::equal(a->data.begin(), a->data.end(), b->data.begin(), b->data.end()));
            }
        // The byte-level vocabulary as GGUF's gpt2 type, with its merges and split, no BOS.
        QCOMPARE(gguf->metadata.string(QStringLiteral("tokenizer.ggml.model")).value_or(""),
                 std::string("gpt2"));
        QCOMPARE(gguf->metadata.string(QStringLiteral("tokenizer.ggml.pre")).value_or(""),
                 std::string("qwen2"));
        QCOMPARE(gguf->tokenizer.kindId(), QStringLiteral("byte-level-bpe"));
        QVERIFY(!gguf->tokenizer.addsBos());
        QCOMPARE(gguf->tokenizer.vocabSize(), 512);
        std::int64_t tokens = 0;
        for (std::size_t d = 0; d < 200 && d < m_corpus.size(); ++d) {
            const auto ids = folder->tokenizer.encode(m_corpus[d], true);
            QCOMPARE(gguf->tokenizer.encode(m_corpus[d], true), ids);
            tokens += std::int64_t(ids.size());
        }
        for (const std::string text : {"  naïve café 2024!! ☃ 🤖  ", "it's\n\n\tdone"})
            QCOMPARE(gguf->tokenizer.encode(text, true), folder->tokenizer.encode(text, true));
        // Same logits as the workbench computes for the plan on the folder.
        const auto prompt = qwen2Prompt(*folder, 24);
        auto planned = WeightSet::fromPlan(*folder, resolvePlan(plan, *folder));
        QVERIFY(planned);
        const auto expected = prefillWith(*folder, std::move(planned.value()), prompt);
        const auto got = prefill(*gguf, prompt);
        float worst = 0;
        for (std::size_t i = 0; i < got.size(); ++i)
            worst = std::max(worst, std::abs(got[i] - expected[i]));
        qInfo("%lld tokens identical; max |logit difference| after the round trip: %.3g",
              qlonglong(tokens), double(worst));
        QCOMPARE(got.size(), expected.size());
        QVERIFY(worst == 0.0f);
    }

    // A tokenizer without BOS: chunks are scored as cut from the text, as llama-perplexity does.
    void qwen2ChunksWithoutBos() {
        const auto model = load(m_qwen2);
        QVERIFY(!model->tokenizer.addsBos());
        auto text = readTextFile(cwbtest::validationText());
        QVERIFY(text);
        EvalOptions o;
        o.ctx = 64;
        o.maxChunks = 3;
        o.threads = 2;
        auto plan = planEvaluation(*model, *text, o);
        QVERIFY(plan);
        const auto all = model->tokenizer.encode(
            std::string_view(text->constData(), std::size_t(text->size())), true);
        QCOMPARE(plan->sequences.size(), std::size_t(3));
        for (std::size_t c = 0; c < 3; ++c) {
            const std::vector<std::int32_t> cut(all.begin() + std::ptrdiff_t(c * 64),
                                                all.begin() + std::ptrdiff_t((c + 1) * 64));
            QCOMPARE(plan->sequences[c].tokens, cut);
        }
        QVERIFY(plan->sequences[1].tokens.front() != model->tokenizer.bos());
        auto ppl = evaluatePerplexity(*model, *text, o);
        QVERIFY2(ppl, ppl ? "" : qPrintable(ppl.error().message));
        QCOMPARE(ppl->tokensScored, std::int64_t(3 * 31));
        QVERIFY(std::isfinite(ppl->ppl) && ppl->ppl > 1);
    }

    void qwen2FromTheCli() {
        QProcess info;
        info.start(cwbtest::cliPath(), {QStringLiteral("info"), m_qwen2, QStringLiteral("--json")});
        QVERIFY(info.waitForFinished(120000));
        QCOMPARE(info.exitCode(), 0);
        const QJsonObject o = QJsonDocument::fromJson(info.readAllStandardOutput()).object();
        QVERIFY(o[QStringLiteral("config")].toObject()[QStringLiteral("qkv_bias")].toBool());
        QCOMPARE(o[QStringLiteral("tensors")].toArray().size(), 62);
        QCOMPARE(o[QStringLiteral("parameters")].toInteger(), 260032 + 5 * (64 + 32 + 32));

        QProcess eval;
        eval.start(cwbtest::cliPath(),
                   {QStringLiteral("eval"), m_qwen2, QStringLiteral("--text"),
                    cwbtest::validationText(), QStringLiteral("--max-tokens"),
                    QStringLiteral("300"), QStringLiteral("--ctx"), QStringLiteral("128"),
                    QStringLiteral("--threads"), QStringLiteral("2"), QStringLiteral("--db"),
                    m_dir.filePath(QStringLiteral("qwen2-runs.sqlite")), QStringLiteral("--json")});
        QVERIFY(eval.waitForFinished(300000));
        QVERIFY2(eval.exitCode() == 0, eval.readAllStandardError().constData());
        const QJsonObject e = QJsonDocument::fromJson(eval.readAllStandardOutput()).object();
        // The weights never saw this tokenizer's ids: only that it runs is checked.
        qInfo("cwb eval of the Qwen2 folder (no BOS, chunks of 128): PPL %.4g",
              e[QStringLiteral("ppl")].toDouble());
        QVERIFY(e[QStringLiteral("ppl")].toDouble() > 1);
    }

    // SmoothQuant at attn_output's input divides attn_v's rows by the scales; its bias, part of
    // what each row produces, must be divided by the same scale.
    void qwen2SmoothQuantScalesTheVBias() {
        const auto model = load(m_qwen2);
        auto text = readCalibrationText(cwbtest::validationText());
        QVERIFY(text);
        CalibrationOptions co;
        co.sequences = 8;
        co.sequenceLength = 64;
        co.hessians = false;
        co.threads = 2;
        auto stats = calibrate(*model, *text, co);
        QVERIFY2(stats, stats ? "" : qPrintable(stats.error().message));
        auto plan = parsePlan(R"({"default": "fp32", "rules": [{"match":
            "blk\\.[0-9]+\\.attn_output\\.weight", "precision": "int8", "method": "smoothquant"}],
            "calibration": {"smoothquant_alpha": 0.5}})");
        QVERIFY2(plan, plan ? "" : qPrintable(plan.error().message));
        auto methods = applyMethods(*model, resolvePlan(*plan, *model), &*stats);
        QVERIFY2(methods, methods ? "" : qPrintable(methods.error().message));
        for (int l = 0; l < 5; ++l) {
            const auto weight = methods->f32.find(blockTensorName(l, "attn_v"));
            const auto bias = methods->f32.find(blockBiasName(l, "attn_v"));
            QVERIFY(weight != methods->f32.end() && bias != methods->f32.end());
            const auto* w0 = reinterpret_cast<const float*>(
                model->find(blockTensorName(l, "attn_v"))->data.data());
            const auto* b0 = reinterpret_cast<const float*>(
                model->find(blockBiasName(l, "attn_v"))->data.data());
            int scaled = 0;
            for (std::size_t r = 0; r < 32; ++r) {
                const double rowScale = double(weight->second[r * 64]) / double(w0[r * 64]);
                const double biasScale = double(bias->second[r]) / double(b0[r]);
                QVERIFY2(std::abs(rowScale / biasScale - 1.0) < 1e-5,
                         qPrintable(QStringLiteral("block %1 row %2: %3 against %4")
                                        .arg(l)
                                        .arg(r)
                                        .arg(rowScale)
                                        .arg(biasScale)));
                scaled += std::abs(rowScale - 1.0) > 1e-3;
            }
            QVERIFY(scaled > 0);
        }
    }

    void qwen2TrainingRefusesBiases() {
        auto trainable = TrainableModel::fromModel(*load(m_qwen2));
        QVERIFY(!trainable);
        QVERIFY2(trainable.error().message.contains(QLatin1String("Q, K and V biases")),
                 qPrintable(trainable.error().message));
    }

    // Removing a KV group removes the biases of the rows that go.
    void qwen2KvGroupPruningKeepsBiasesAligned() {
        const auto model = load(m_qwen2);
        PrunePlan plan;
        plan.kvGroupsRemoved = 1;
        plan.importance = ImportanceScore::Magnitude;
        auto pruned = pruneModel(*model, plan, nullptr);
        QVERIFY2(pruned, pruned ? "" : qPrintable(pruned.error().message));
        const Model& p = *pruned->model;
        QCOMPARE(p.config.kvHeads, 3);
        QVERIFY(p.config.qkvBias);
        const int hd = 8;
        for (int l = 0; l < 5; ++l) {
            const auto* kBefore = reinterpret_cast<const float*>(
                model->find(blockBiasName(l, "attn_k"))->data.data());
            const auto* kAfter =
                reinterpret_cast<const float*>(p.find(blockBiasName(l, "attn_k"))->data.data());
            const auto* qBefore = reinterpret_cast<const float*>(
                model->find(blockBiasName(l, "attn_q"))->data.data());
            const auto* qAfter =
                reinterpret_cast<const float*>(p.find(blockBiasName(l, "attn_q"))->data.data());
            const auto* kwBefore = reinterpret_cast<const float*>(
                model->find(blockTensorName(l, "attn_k"))->data.data());
            const auto* kwAfter =
                reinterpret_cast<const float*>(p.find(blockTensorName(l, "attn_k"))->data.data());
            QCOMPARE(p.find(blockBiasName(l, "attn_q"))->shape, (std::vector<std::int64_t>{48}));
            // Find which group each kept one was from the weights, then check the biases.
            for (int g = 0; g < 3; ++g) {
                int source = -1;
                for (int s = 0; s < 4; ++s)
                    if (std::equal(kwAfter + g * hd * 64, kwAfter + (g + 1) * hd * 64,
                                   kwBefore + s * hd * 64))
                        source = s;
                QVERIFY(source >= 0);
                QVERIFY(std::equal(kAfter + g * hd, kAfter + (g + 1) * hd, kBefore + source * hd));
                QVERIFY(std::equal(qAfter + g * 2 * hd, qAfter + (g + 1) * 2 * hd,
                                   qBefore + source * 2 * hd));
            }
        }
        QVERIFY(!prefill(p, qwen2Prompt(*model, 8)).empty());
    }

    void loadsTheSameTensorsAsTheCheckpoint() {
        const auto hf = load(m_f32);
        const auto bin = load(cwbtest::stories260KBin());
        QCOMPARE(hf->format, ModelFormat::HuggingFace);
        QCOMPARE(hf->formatName, QStringLiteral("Hugging Face safetensors"));
        QCOMPARE(hf->tensors.size(), bin->tensors.size());
        QCOMPARE(hf->tensors.front().name, QStringLiteral("token_embd.weight"));
        QCOMPARE(hf->tensors[1].name, QStringLiteral("blk.0.attn_norm.weight"));
        QCOMPARE(hf->tensors.back().name, QStringLiteral("output_norm.weight"));
        QCOMPARE(hf->config.dim, bin->config.dim);
        QCOMPARE(hf->config.kvHeads, 4);
        QCOMPARE(hf->config.contextLength, 512);
        QCOMPARE(hf->config.normEps, 1e-5f);
        QVERIFY(hf->config.tiedOutput);
        QVERIFY(hf->tokenizerPath.endsWith(QLatin1String("tokenizer.json")));
        for (std::size_t i = 0; i < hf->tensors.size(); ++i) {
            const Tensor& a = hf->tensors[i];
            const Tensor* b = bin->find(a.name);
            QVERIFY2(b, qPrintable(a.name));
            QCOMPARE(a.shape, b->shape);
            // Q and K rows are back in interleaved order: byte for byte the checkpoint's.
            QVERIFY2(std::equal(a.data.begin(), a.data.end(), b->data.begin(), b->data.end()),
                     qPrintable(a.name));
        }
    }

    void opensFromAFileInTheFolder() {
        QVERIFY(isHfFolder(m_f32));
        QVERIFY(isHfFolder(QDir(m_f32).filePath(QStringLiteral("config.json"))));
        QVERIFY(!isHfFolder(cwbtest::asset(QString())));
        const auto model =
            load(QDir(m_sharded).filePath(QStringLiteral("model-00002-of-00003.safetensors")));
        QCOMPARE(model->formatName, QStringLiteral("Hugging Face safetensors, 3 shards"));
        QCOMPARE(QDir(model->path), QDir(m_sharded));
    }

    void tokenIdsMatchTok512_data() {
        QTest::addColumn<QString>("folder");
        QTest::newRow("merges as strings") << m_f32;
        QTest::newRow("merges as pairs") << m_sharded;
    }
    void tokenIdsMatchTok512() {
        QFETCH(QString, folder);
        const auto hf = load(folder);
        const Tokenizer reference = cwbtest::tok512();
        QCOMPARE(hf->tokenizer.kindId(), QStringLiteral("sentencepiece-bpe"));
        QVERIFY(hf->tokenizer.hasByteFallback());
        QCOMPARE(hf->tokenizer.bos(), 1);
        QCOMPARE(hf->tokenizer.eos(), 2);
        // The scores it derives from the merge ranks (for GGUF's score-based "llama" vocabulary)
        // encode the same way.
        Tokenizer::Vocabulary v = hf->tokenizer.vocabulary();
        v.merges.clear();
        auto byScore = Tokenizer::create(std::move(v));
        QVERIFY(byScore);
        std::int64_t tokens = 0;
        const auto docs = firstDocuments(200);
        QCOMPARE(docs.size(), std::size_t(200));
        for (const std::string& doc : docs) {
            const auto expected = reference.encode(doc, true);
            QCOMPARE(hf->tokenizer.encode(doc, true), expected);
            QCOMPARE(byScore->encode(doc, true), expected);
            tokens += std::int64_t(expected.size());
        }
        // Bytes outside the vocabulary, invalid UTF-8 and spaces at the edges.
        for (const std::string text :
             {"  naïve café ☃ 🤖  ", "\xff\xfe broken \xc3", "\n\n\t"})
            QCOMPARE(hf->tokenizer.encode(text, true), reference.encode(text, true));
        QCOMPARE(hf->tokenizer.encode("Once upon a time", true), cwbtest::readGolden().promptIds);
        qInfo("%lld tokens of 200 stories identical", qlonglong(tokens));
    }

    void logitsMatchRunC_data() {
        QTest::addColumn<QString>("folder");
        QTest::newRow("single F32 file") << m_f32;
        QTest::newRow("three F32 shards") << m_sharded;
    }
    void logitsMatchRunC() {
        QFETCH(QString, folder);
        const cwbtest::Golden g = cwbtest::readGolden();
        const auto model = load(folder);
        const std::vector<std::int32_t> inputs(g.promptIds.begin(), g.promptIds.begin() + 4);
        const auto logits = prefill(*model, inputs);
        float worst = 0;
        for (std::size_t p = 0; p < 4; ++p)
            for (std::size_t i = 0; i < 512; ++i)
                worst = std::max(worst, std::abs(logits[p * 512 + i] - g.logits[p][i]));
        qInfo("largest |logit - run.c| at positions 0-3: %.3g", double(worst));
        QVERIFY(worst < 1e-4f);
    }

    void shardedEqualsSingle() {
        const auto ids = load(m_f32)->tokenizer.encode(firstDocuments(1).front(), true);
        QVERIFY(ids.size() > 50);
        QVERIFY(prefill(*load(m_f32), ids) == prefill(*load(m_sharded), ids));
    }

    void bf16PerplexityWithinOnePercent() {
        auto text = readTextFile(cwbtest::validationText());
        QVERIFY(text);
        EvalOptions o;
        o.split = SplitMode::Documents;
        o.maxTokens = 2000;
        o.threads = 2;
        auto f32 = evaluatePerplexity(*load(m_f32), *text, o);
        auto bf16 = evaluatePerplexity(*load(m_bf16), *text, o);
        auto bin = evaluatePerplexity(*load(cwbtest::stories260KBin()), *text, o);
        QVERIFY(f32 && bf16 && bin);
        qInfo("PPL over %lld tokens: llama2.c %.6f, HF F32 %.6f, HF BF16 %.6f (%+.3f%%)",
              qlonglong(f32->tokensScored), bin->ppl, f32->ppl, bf16->ppl,
              100.0 * (bf16->ppl / f32->ppl - 1.0));
        QCOMPARE(f32->tokensScored, bin->tokensScored);
        QVERIFY(std::abs(f32->ppl - bin->ppl) < 1e-9 * bin->ppl);
        QVERIFY(f32->tokensScored >= 2000);
        QVERIFY(std::abs(bf16->ppl / f32->ppl - 1.0) < 0.01);
        QVERIFY(bf16->ppl != f32->ppl); // the BF16 weights are really different
    }

    void hostileFolders_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("short file") << "short"
                                    << "shorter than the 8-byte header length";
        QTest::newRow("header above 100 MB") << "huge-header"
                                             << "above the limit of 104857600";
        QTest::newRow("header beyond the file") << "long-header"
                                                << "but only 16 follow";
        QTest::newRow("header not JSON") << "bad-json"
                                         << "not valid JSON";
        QTest::newRow("header not an object") << "array"
                                              << "JSON but not an object";
        QTest::newRow("overlapping tensors") << "overlap"
                                             << "overlap";
        QTest::newRow("offsets past the end") << "past-end"
                                              << "run past the 16 bytes";
        QTest::newRow("dtype I64") << "dtype"
                                   << "dtype I64 is not supported";
        QTest::newRow("shape and span differ") << "span"
                                               << "need 12 bytes but data_offsets hold 16";
        QTest::newRow("shape overflows") << "overflow"
                                         << "need more than 16 bytes";
        QTest::newRow("missing shard")
            << "missing-shard"
            << "model-00002-of-00002.safetensors named in model.safetensors.index.json is missing";
        QTest::newRow("index not an object") << "bad-index"
                                             << "not a JSON object with a weight_map";
        QTest::newRow("shard path escapes") << "escape"
                                            << "not a file name in the folder";
        QTest::newRow("config disagrees")
            << "ffn"
            << "config.json and the weights disagree: tensor model.layers.0.mlp.gate_proj.weight";
        QTest::newRow("vocab disagrees") << "vocab"
                                         << "model.embed_tokens.weight (token_embd.weight) has "
                                            "shape 512 × 64; the configuration implies 600 × 64";
        QTest::newRow("other architecture") << "arch"
                                            << "architectures = GPT2LMHeadModel is not supported";
        QTest::newRow("rope scaling") << "rope"
                                      << "rope_scaling (type \"linear\") is not supported";
        QTest::newRow("Qwen2 without biases")
            << "qwen2"
            << "config.json and the weights disagree: tensor blk.0.attn_q.bias is missing";
        QTest::newRow("Qwen2 with an o_proj bias")
            << "o-bias"
            << "tensor model.layers.0.self_attn.o_proj.bias is not part of a Qwen2ForCausalLM";
        QTest::newRow("Llama with a q_proj bias")
            << "llama-bias"
            << "tensor model.layers.0.self_attn.q_proj.bias (blk.0.attn_q.bias) is a bias the "
               "model's configuration does not have";
        QTest::newRow("Llama attention_bias") << "attention-bias"
                                              << "attention_bias = true is not supported";
        QTest::newRow("config not an object") << "config-array"
                                              << "config.json: not a JSON object";
        QTest::newRow("untied without lm_head") << "untied"
                                                << "lm_head.weight is missing";
        QTest::newRow("unknown tensor") << "extra"
                                        << "tensor model.layers.0.self_attn.q_norm.weight is not "
                                           "part of a LlamaForCausalLM model";
        QTest::newRow("no tokenizer.json") << "no-tokenizer"
                                           << "no tokenizer.json";
        QTest::newRow("no weights") << "no-weights"
                                    << "the folder has neither model.safetensors nor";
    }
    void hostileFolders() {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        const bool keepsWeights =
            QStringList{"ffn",          "vocab",  "arch",         "rope",          "qwen2",
                        "config-array", "untied", "no-tokenizer", "attention-bias"}
                .contains(kind);
        const QString dir = hostileFolder(kind, keepsWeights);
        const QDir d(dir);
        const QString weights = d.filePath(QStringLiteral("model.safetensors"));
        auto header = [](const char* json) { return QByteArray(json); };
        auto setConfig = [&](const QString& key, const QJsonValue& value) {
            QJsonObject c = cwbtest::stories260KConfig();
            c[key] = value;
            cwbtest::writeFile(d.filePath(QStringLiteral("config.json")), cwbtest::json(c));
        };
        const QByteArray sixteen = sixteenZeroBytes();
        if (kind == QLatin1String("short")) {
            cwbtest::writeFile(weights, "abc");
        } else if (kind == QLatin1String("huge-header")) {
            QByteArray bytes = cwbtest::rawSafetensors("{}", sixteen);
            const std::uint64_t claim = 200ull << 20;
            bytes.replace(0, 8, QByteArray(reinterpret_cast<const char*>(&claim), 8));
            cwbtest::writeFile(weights, bytes);
        } else if (kind == QLatin1String("long-header")) {
            QByteArray bytes = cwbtest::rawSafetensors(QByteArray(16, ' '), {});
            const std::uint64_t claim = 1000;
            bytes.replace(0, 8, QByteArray(reinterpret_cast<const char*>(&claim), 8));
            cwbtest::writeFile(weights, bytes);
        } else if (kind == QLatin1String("bad-json")) {
            cwbtest::writeFile(weights, cwbtest::rawSafetensors("{\"a\": {", sixteen));
        } else if (kind == QLatin1String("array")) {
            cwbtest::writeFile(weights, cwbtest::rawSafetensors("[1, 2, 3]", sixteen));
        } else if (kind == QLatin1String("overlap")) {
            cwbtest::writeFile(
                weights, cwbtest::rawSafetensors(
                             header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                          "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})"),
                             sixteen));
        } else if (kind == QLatin1String("past-end")) {
            cwbtest::writeFile(
                weights,
                cwbtest::rawSafetensors(
                    header(R"({"a": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}})"),
                    sixteen));
        } else if (kind == QLatin1String("dtype")) {
            cwbtest::writeFile(
                weights,
                cwbtest::rawSafetensors(
                    header(R"({"a": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}})"),
                    sixteen));
        } else if (kind == QLatin1String("span")) {
            cwbtest::writeFile(
                weights,
                cwbtest::rawSafetensors(
                    header(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}})"),
                    sixteen));
        } else if (kind == QLatin1String("overflow")) {
            cwbtest::writeFile(
                weights,
                cwbtest::rawSafetensors(
                    header(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296,
                          4294967296], "data_offsets": [0, 16]}})"),
                    sixteen));
        } else if (kind == QLatin1String("missing-shard") || kind == QLatin1String("bad-index") ||
                   kind == QLatin1String("escape")) {
            QFile::copy(QDir(m_f32).filePath(QStringLiteral("model.safetensors")),
                        d.filePath(QStringLiteral("model-00001-of-00002.safetensors")));
            QJsonObject map{{QStringLiteral("model.embed_tokens.weight"),
                             QStringLiteral("model-00001-of-00002.safetensors")},
                            {QStringLiteral("model.norm.weight"),
                             kind == QLatin1String("escape")
                                 ? QStringLiteral("../stories260K-hf-f32/model.safetensors")
                                 : QStringLiteral("model-00002-of-00002.safetensors")}};
            cwbtest::writeFile(d.filePath(QStringLiteral("model.safetensors.index.json")),
                               kind == QLatin1String("bad-index")
                                   ? QByteArray("[\"weight_map\"]")
                                   : cwbtest::json({{QStringLiteral("weight_map"), map}}));
        } else if (kind == QLatin1String("ffn")) {
            setConfig(QStringLiteral("intermediate_size"), 128);
        } else if (kind == QLatin1String("vocab")) {
            setConfig(QStringLiteral("vocab_size"), 600);
        } else if (kind == QLatin1String("arch")) {
            setConfig(QStringLiteral("architectures"),
                      QJsonArray{QStringLiteral("GPT2LMHeadModel")});
        } else if (kind == QLatin1String("rope")) {
            setConfig(QStringLiteral("rope_scaling"),
                      QJsonObject{{QStringLiteral("type"), QStringLiteral("linear")},
                                  {QStringLiteral("factor"), 2.0}});
        } else if (kind == QLatin1String("qwen2")) {
            setConfig(QStringLiteral("architectures"),
                      QJsonArray{QStringLiteral("Qwen2ForCausalLM")});
        } else if (kind == QLatin1String("o-bias") || kind == QLatin1String("llama-bias")) {
            const bool qwen2 = kind == QLatin1String("o-bias");
            auto tensors = cwbtest::qwen2Tensors(kBiasScale);
            if (qwen2) {
                tensors.push_back({QStringLiteral("model.layers.0.self_attn.o_proj.bias"),
                                   {64},
                                   std::vector<float>(64, 0.1f)});
                cwbtest::writeFile(d.filePath(QStringLiteral("config.json")),
                                   cwbtest::json(cwbtest::qwen2Config()));
            } else {
                std::erase_if(tensors, [](const cwbtest::HfTensor& t) {
                    return t.name.endsWith(QLatin1String(".bias")) &&
                           !t.name.startsWith(QLatin1String("model.layers.0.self_attn.q_proj"));
                });
            }
            cwbtest::writeFile(weights, cwbtest::safetensorsFile(tensors, cwbtest::HfDtype::F32));
        } else if (kind == QLatin1String("attention-bias")) {
            setConfig(QStringLiteral("attention_bias"), true);
        } else if (kind == QLatin1String("config-array")) {
            cwbtest::writeFile(d.filePath(QStringLiteral("config.json")), "[]");
        } else if (kind == QLatin1String("untied")) {
            setConfig(QStringLiteral("tie_word_embeddings"), false);
        } else if (kind == QLatin1String("extra")) {
            auto tensors = cwbtest::stories260KTensors();
            tensors.push_back({QStringLiteral("model.layers.0.self_attn.q_norm.weight"),
                               {8},
                               std::vector<float>(8, 1.0f)});
            cwbtest::writeFile(weights, cwbtest::safetensorsFile(tensors, cwbtest::HfDtype::F32));
        } else if (kind == QLatin1String("no-tokenizer")) {
            QFile::remove(d.filePath(QStringLiteral("tokenizer.json")));
        }
        auto model = loadModel(dir);
        QVERIFY(!model);
        const QString message = model.error().message;
        qInfo("%s", qPrintable(message));
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(!message.contains(QLatin1Char('\n')), "one line");
    }

    void cliInfoAndEval() {
        const QString db = m_dir.filePath(QStringLiteral("runs.sqlite"));
        QProcess info;
        info.start(cwbtest::cliPath(), {QStringLiteral("info"), m_bf16, QStringLiteral("--json")});
        QVERIFY(info.waitForFinished(120000));
        QCOMPARE(info.exitCode(), 0);
        const QJsonObject o = QJsonDocument::fromJson(info.readAllStandardOutput()).object();
        QCOMPARE(o[QStringLiteral("format")].toString(),
                 QStringLiteral("Hugging Face safetensors"));
        QCOMPARE(o[QStringLiteral("parameters")].toInteger(), 260032);
        QCOMPARE(o[QStringLiteral("tensors")].toArray().size(), 47);
        QCOMPARE(
            o[QStringLiteral("tensors")].toArray()[1].toObject()[QStringLiteral("type")].toString(),
            QStringLiteral("BF16"));

        auto eval = [&](const QString& model) {
            QProcess p;
            p.start(cwbtest::cliPath(),
                    {QStringLiteral("eval"), model, QStringLiteral("--text"),
                     cwbtest::validationText(), QStringLiteral("--max-tokens"),
                     QStringLiteral("500"), QStringLiteral("--ctx"), QStringLiteral("128"),
                     QStringLiteral("--threads"), QStringLiteral("2"), QStringLiteral("--db"), db,
                     QStringLiteral("--json")});
            if (!p.waitForFinished(300000))
                qFatal("cwb eval did not finish");
            if (p.exitCode() != 0)
                qFatal("cwb eval failed: %s", p.readAllStandardError().constData());
            return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        };
        const QJsonObject hf = eval(m_f32);
        const QJsonObject bin = eval(cwbtest::stories260KBin());
        qInfo("cwb eval: HF folder PPL %.6f, llama2.c PPL %.6f",
              hf[QStringLiteral("ppl")].toDouble(), bin[QStringLiteral("ppl")].toDouble());
        QVERIFY(hf[QStringLiteral("ppl")].toDouble() > 1);
        QCOMPARE(hf[QStringLiteral("ppl")].toDouble(), bin[QStringLiteral("ppl")].toDouble());
    }
};

QTEST_GUILESS_MAIN(TestHfModel)
#include "tst_hfmodel.moc"
