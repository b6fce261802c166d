// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine.h"

#include <dnnl.hpp>
#include <omp.h>

#include <QThread>

#include <cmath>
#include <map>

namespace cwb {

using namespace dnnl;

KvCache::KvCache(const LlamaConfig& config, int capacity)
    : m_capacity(capacity)
    , m_kvDim(config.kvDim())
    , m_keys(std::size_t(config.layers) * std::size_t(capacity) * std::size_t(m_kvDim))
    , m_values(m_keys.size()) {}

float* KvCache::keys(int layer, int position) {
    return m_keys.data() + (std::size_t(layer) * std::size_t(m_capacity) + std::size_t(position)) *
                               std::size_t(m_kvDim);
}

float* KvCache::values(int layer, int position) {
    return m_values.data() +
           (std::size_t(layer) * std::size_t(m_capacity) + std::size_t(position)) *
               std::size_t(m_kvDim);
}

int defaultThreadCount() {
    return std::max(1, QThread::idealThreadCount());
}

namespace {

// y[M×N] = x[M×K] · Wᵀ. f32 weights run on oneDNN's f32 matmul: W is stored as N rows of K
// (ggml's {K, N}), which is oneDNN's {K, N} in `ba` order, so the weights are used where they
// lie, and M is a run-time dimension, so one primitive serves prefill and decode. Packed weights
// run on the packed kernels.
struct Linear {
    int in = 0;
    int out = 0;
    memory weights;
    const matmul* primitive = nullptr;
    const kernels::PackedMatrix* packed = nullptr;
};

// y[i][j] += bias[j] for each of the m rows (Qwen2's Q, K and V projections); nothing if empty.
void addBias(float* y, int m, std::span<const float> bias) {
    const std::size_t n = bias.size();
    for (int i = 0; i < m; ++i) {
        float* row = y + std::size_t(i) * n;
        for (std::size_t j = 0; j < n; ++j)
            row[j] += bias[j];
    }
}

void rmsNorm(const float* x, const float* weight, float* out, int n, float eps) {
    float ss = 0.0f;
    for (int i = 0; i < n; ++i)
        ss += x[i] * x[i];
    ss = 1.0f / std::sqrt(ss / float(n) + eps);
    for (int i = 0; i < n; ++i)
        out[i] = weight[i] * (ss * x[i]);
}

} // namespace

struct Engine::Impl {
    WeightSet weights;
    LlamaConfig c;
    int threads = 1;
    const std::atomic<bool>* cancel = nullptr;
    ActivationObserver* observer = nullptr;
    int stopAfterLayer = -1;
    std::function<void(int, std::span<const float>)> stageInput;
    dnnl::engine eng{dnnl::engine::kind::cpu, 0};
    stream strm{eng};
    std::map<std::pair<int, int>, matmul> primitives; // by {in, out}
    struct Layer {
        Linear q, k, v, o, gate, up, down;
    };
    std::vector<Layer> layers;
    Linear classifier;

    // Activations of the current call, grown to the largest M seen.
    std::vector<float> x, xb, q, k, v, att, tmp, h1, h3, scores;

    Linear makeLinear(const MatrixWeights& w, int in, int out) {
        Linear lin;
        lin.in = in;
        lin.out = out;
        if (w.packed) {
            lin.packed = w.packed.get();
            return lin;
        }
        auto& prim = primitives[{in, out}];
        if (!prim) {
            // dst = src · weights, f32, M known only at execution.
            memory::desc srcMd({DNNL_RUNTIME_DIM_VAL, in}, memory::data_type::f32,
                               memory::format_tag::ab);
            memory::desc weightsMd({in, out}, memory::data_type::f32, memory::format_tag::ba);
            memory::desc dstMd({DNNL_RUNTIME_DIM_VAL, out}, memory::data_type::f32,
                               memory::format_tag::ab);
            auto matmulPd = matmul::primitive_desc(matmul::desc(srcMd, weightsMd, dstMd), eng);
            prim = matmul(matmulPd);
        }
        lin.primitive = &prim;
        lin.weights = memory({{in, out}, memory::data_type::f32, memory::format_tag::ba}, eng,
                             const_cast<float*>(w.values.data()));
        return lin;
    }

    // The matmuls of the current weights; primitives already made for a shape are reused.
    void bind() {
        layers.clear();
        for (const LayerWeights& lw : weights.layers) {
            Layer layer;
            layer.q = makeLinear(lw.wq, c.dim, c.qDim());
            layer.k = makeLinear(lw.wk, c.dim, c.kvDim());
            layer.v = makeLinear(lw.wv, c.dim, c.kvDim());
            layer.o = makeLinear(lw.wo, c.qDim(), c.dim);
            layer.gate = makeLinear(lw.gate, c.dim, c.hiddenDim);
            layer.up = makeLinear(lw.up, c.dim, c.hiddenDim);
            layer.down = makeLinear(lw.down, c.hiddenDim, c.dim);
            layers.push_back(layer);
        }
        classifier = makeLinear(weights.output, c.dim, c.vocabSize);
    }

    void run(const Linear& lin, const float* src, int m, float* dst) {
        // A thread team costs more to wake than a small product takes: below about a million
        // multiply-adds, one thread does it.
        const bool small = double(m) * double(lin.in) * double(lin.out) < double(1 << 20);
        const int team = small ? 1 : threads;
        if (lin.packed) {
            lin.packed->multiply(src, m, dst, team);
            return;
        }
        omp_set_num_threads(team);
        memory srcMem({{m, lin.in}, memory::data_type::f32, memory::format_tag::ab}, eng,
                      const_cast<float*>(src));
        memory dstMem({{m, lin.out}, memory::data_type::f32, memory::format_tag::ab}, eng, dst);
        lin.primitive->execute(
            strm,
            {{DNNL_ARG_SRC, srcMem}, {DNNL_ARG_WEIGHTS, lin.weights}, {DNNL_ARG_DST, dstMem}});
        strm.wait();
    }

    void reserve(int m, int capacity) {
        auto grow = [](std::vector<float>& b, std::size_t n) {
            if (b.size() < n)
                b.resize(n);
        };
        const auto M = std::size_t(m);
        grow(x, M * std::size_t(c.dim));
        grow(xb, M * std::size_t(c.dim));
        grow(tmp, M * std::size_t(c.dim));
        grow(q, M * std::size_t(c.qDim()));
        grow(att, M * std::size_t(c.qDim()));
        grow(k, M * std::size_t(c.kvDim()));
        grow(v, M * std::size_t(c.kvDim()));
        grow(h1, M * std::size_t(c.hiddenDim));
        grow(h3, M * std::size_t(c.hiddenDim));
        grow(scores, std::size_t(threads) * std::size_t(capacity));
    }

    // Rotary embedding on adjacent pairs (llama2.c's and GGUF's order) of the first ropeDim
    // dimensions of each head: pair i at position p turns by p · θ^(−2i/ropeDim).
    void rope(float* vec, int heads, int position) const {
        for (int h = 0; h < heads; ++h) {
            float* head = vec + h * c.headDim;
            for (int i = 0; i < c.ropeDim; i += 2) {
                const float freq = 1.0f / std::pow(c.ropeTheta, float(i) / float(c.ropeDim));
                const float angle = float(position) * freq;
                const float fcr = std::cos(angle), fci = std::sin(angle);
                const float v0 = head[i], v1 = head[i + 1];
                head[i] = v0 * fcr - v1 * fci;
                head[i + 1] = v0 * fci + v1 * fcr;
            }
        }
    }

    void attention(KvCache& cache, int layer, int m, int pos0) {
        const int hd = c.headDim;
        const int group = c.heads / c.kvHeads;
        const float scale = 1.0f / std::sqrt(float(hd));
        const std::size_t kvDim = std::size_t(c.kvDim());
        const float* keys = cache.keys(layer, 0);
        const float* values = cache.values(layer, 0);
        // Waking the thread team costs more than a small model's whole attention: share the
        // work only when there is enough of it.
        const long work = long(m) * long(pos0 + m) * long(c.heads) * long(hd);
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads) if (work > (1L << 18))
        for (int i = 0; i < m; ++i) {
            for (int h = 0; h < c.heads; ++h) {
                float* s = scores.data() +
                           std::size_t(omp_get_thread_num()) * std::size_t(cache.capacity());
                const float* qh =
                    q.data() + std::size_t(i) * std::size_t(c.qDim()) + std::size_t(h * hd);
                const int kvOffset = (h / group) * hd;
                const int last = pos0 + i; // causal: up to and including this position
                float maxScore = -INFINITY;
                for (int t = 0; t <= last; ++t) {
                    const float* kt = keys + std::size_t(t) * kvDim + std::size_t(kvOffset);
                    float dot = 0.0f;
                    for (int j = 0; j < hd; ++j)
                        dot += qh[j] * kt[j];
                    s[t] = dot * scale;
                    maxScore = std::max(maxScore, s[t]);
                }
                float sum = 0.0f;
                for (int t = 0; t <= last; ++t) {
                    s[t] = std::exp(s[t] - maxScore);
                    sum += s[t];
                }
                float* out =
                    att.data() + std::size_t(i) * std::size_t(c.qDim()) + std::size_t(h * hd);
                for (int j = 0; j < hd; ++j)
                    out[j] = 0.0f;
                for (int t = 0; t <= last; ++t) {
                    const float a = s[t] / sum;
                    const float* vt = values + std::size_t(t) * kvDim + std::size_t(kvOffset);
                    for (int j = 0; j < hd; ++j)
                        out[j] += a * vt[j];
                }
            }
        }
    }
};

Engine::Engine(std::unique_ptr<Impl> impl)
    : d(std::move(impl)) {}
Engine::~Engine() = default;

const LlamaConfig& Engine::config() const {
    return d->c;
}
int Engine::threads() const {
    return d->threads;
}

Result<std::unique_ptr<Engine>> Engine::create(WeightSet weights, const EngineOptions& options) {
    auto impl = std::make_unique<Impl>();
    try {
        impl->weights = std::move(weights);
        impl->c = impl->weights.config;
        impl->threads = options.threads > 0 ? options.threads : defaultThreadCount();
        impl->cancel = options.cancel;
        impl->observer = options.observer;
        impl->stopAfterLayer = options.stopAfterLayer;
        impl->stageInput = options.stageInput;
        impl->bind();
    } catch (const dnnl::error& e) {
        return Error{
            QStringLiteral("oneDNN could not create the model's matmuls: %1").arg(e.what())};
    }
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<void> Engine::setWeights(WeightSet weights) {
    if (weights.config.dim != d->c.dim || weights.config.hiddenDim != d->c.hiddenDim ||
        weights.config.layers != d->c.layers || weights.config.vocabSize != d->c.vocabSize ||
        weights.config.heads != d->c.heads || weights.config.kvHeads != d->c.kvHeads ||
        weights.config.headDim != d->c.headDim || weights.config.qkvBias != d->c.qkvBias)
        return Error{QStringLiteral("the new weights are of another model's shapes")};
    try {
        d->weights = std::move(weights);
        d->bind();
    } catch (const dnnl::error& e) {
        return Error{
            QStringLiteral("oneDNN could not create the model's matmuls: %1").arg(e.what())};
    }
    return {};
}

Result<void> Engine::checkCall(const KvCache& cache, int m, int logitsFrom) const {
    const int pos0 = cache.length();
    if (m <= 0)
        return Error{QStringLiteral("no tokens to run")};
    if (pos0 + m > cache.capacity())
        return Error{QStringLiteral("%1 tokens after %2 exceed the context of %3")
                         .arg(m)
                         .arg(pos0)
                         .arg(cache.capacity())};
    if (logitsFrom < 0 || logitsFrom > m)
        return Error{
            QStringLiteral("logits requested from position %1 of %2").arg(logitsFrom).arg(m)};
    return {};
}

Result<void> Engine::forward(KvCache& cache, std::span<const std::int32_t> tokens, int logitsFrom,
                             std::vector<float>& logits) {
    Impl& e = *d;
    const LlamaConfig& c = e.c;
    const int m = int(tokens.size());
    if (auto ok = checkCall(cache, m, logitsFrom); !ok)
        return ok;
    for (std::int32_t t : tokens)
        if (t < 0 || t >= c.vocabSize)
            return Error{QStringLiteral("token id %1 is outside the vocabulary of %2")
                             .arg(t)
                             .arg(c.vocabSize)};
    e.reserve(m, cache.capacity());
    for (int i = 0; i < m; ++i)
        e.weights.embed(tokens[std::size_t(i)], e.x.data() + std::size_t(i) * std::size_t(c.dim));
    return runStages(cache, 0, m, logitsFrom, logits);
}

Result<void> Engine::forwardFrom(KvCache& cache, int firstStage, std::span<const float> residual,
                                 int m, int logitsFrom, std::vector<float>& logits) {
    Impl& e = *d;
    if (auto ok = checkCall(cache, m, logitsFrom); !ok)
        return ok;
    if (firstStage < 0 || firstStage > e.c.layers)
        return Error{
            QStringLiteral("stage %1 of a model of %2 blocks").arg(firstStage).arg(e.c.layers)};
    if (residual.size() != std::size_t(m) * std::size_t(e.c.dim))
        return Error{QStringLiteral("the residual holds %1 values, %2 rows of %3 were expected")
                         .arg(residual.size())
                         .arg(m)
                         .arg(e.c.dim)};
    e.reserve(m, cache.capacity());
    std::copy(residual.begin(), residual.end(), e.x.begin());
    return runStages(cache, firstStage, m, logitsFrom, logits);
}

Result<void> Engine::runStages(KvCache& cache, int firstStage, int m, int logitsFrom,
                               std::vector<float>& logits) {
    Impl& e = *d;
    const LlamaConfig& c = e.c;
    const int pos0 = cache.length();
    omp_set_num_threads(e.threads);
    const std::size_t D = std::size_t(c.dim);
    const auto rowsOf = [](std::vector<float>& b, int row, int width) {
        return b.data() + std::size_t(row) * std::size_t(width);
    };
    const auto stageInput = [&](int stage) {
        if (e.stageInput)
            e.stageInput(stage, std::span<const float>(e.x.data(), std::size_t(m) * D));
    };

    try {
        for (int l = firstStage; l < c.layers; ++l) {
            if (e.cancel && e.cancel->load(std::memory_order_relaxed))
                return cancelledError();
            stageInput(l);
            const LayerWeights& lw = e.weights.layers[std::size_t(l)];
            const Impl::Layer& layer = e.layers[std::size_t(l)];
            for (int i = 0; i < m; ++i)
                rmsNorm(rowsOf(e.x, i, c.dim), lw.attnNorm.data(), rowsOf(e.xb, i, c.dim), c.dim,
                        c.normEps);
            if (e.observer)
                e.observer->observe({l, SiteKind::AttnInput}, e.xb.data(), m, c.dim);
            e.run(layer.q, e.xb.data(), m, e.q.data());
            e.run(layer.k, e.xb.data(), m, e.k.data());
            e.run(layer.v, e.xb.data(), m, e.v.data());
            addBias(e.q.data(), m, lw.qBias);
            addBias(e.k.data(), m, lw.kBias);
            addBias(e.v.data(), m, lw.vBias);
            for (int i = 0; i < m; ++i) {
                e.rope(rowsOf(e.q, i, c.qDim()), c.heads, pos0 + i);
                e.rope(rowsOf(e.k, i, c.kvDim()), c.kvHeads, pos0 + i);
                std::copy_n(rowsOf(e.k, i, c.kvDim()), c.kvDim(), cache.keys(l, pos0 + i));
                std::copy_n(rowsOf(e.v, i, c.kvDim()), c.kvDim(), cache.values(l, pos0 + i));
            }
            e.attention(cache, l, m, pos0);
            if (e.observer)
                e.observer->observe({l, SiteKind::AttnOutput}, e.att.data(), m, c.qDim());
            e.run(layer.o, e.att.data(), m, e.tmp.data());
            for (std::size_t j = 0; j < std::size_t(m) * D; ++j)
                e.x[j] += e.tmp[j];

            for (int i = 0; i < m; ++i)
                rmsNorm(rowsOf(e.x, i, c.dim), lw.ffnNorm.data(), rowsOf(e.xb, i, c.dim), c.dim,
                        c.normEps);
            if (e.observer)
                e.observer->observe({l, SiteKind::FfnInput}, e.xb.data(), m, c.dim);
            e.run(layer.gate, e.xb.data(), m, e.h1.data());
            e.run(layer.up, e.xb.data(), m, e.h3.data());
            for (std::size_t j = 0; j < std::size_t(m) * std::size_t(c.hiddenDim); ++j) {
                const float g = e.h1[j];
                e.h1[j] = g * (1.0f / (1.0f + std::exp(-g))) * e.h3[j]; // SwiGLU
            }
            if (e.observer)
                e.observer->observe({l, SiteKind::DownInput}, e.h1.data(), m, c.hiddenDim);
            e.run(layer.down, e.h1.data(), m, e.tmp.data());
            for (std::size_t j = 0; j < std::size_t(m) * D; ++j)
                e.x[j] += e.tmp[j];
            if (l == e.stopAfterLayer) {
                stageInput(l + 1);
                logits.clear();
                cache.m_length = pos0 + m;
                return {};
            }
        }

        stageInput(c.layers);
        const int rows = m - logitsFrom;
        logits.resize(std::size_t(rows) * std::size_t(c.vocabSize));
        if (rows > 0) {
            for (int i = logitsFrom; i < m; ++i)
                rmsNorm(rowsOf(e.x, i, c.dim), e.weights.outputNorm.data(),
                        rowsOf(e.xb, i - logitsFrom, c.dim), c.dim, c.normEps);
            if (e.observer)
                e.observer->observe({-1, SiteKind::ClassifierInput}, e.xb.data(), rows, c.dim);
            e.run(e.classifier, e.xb.data(), rows, logits.data());
        }
    } catch (const dnnl::error& err) {
        return Error{QStringLiteral("oneDNN failed: %1").arg(err.what())};
    }
    cache.m_length = pos0 + m;
    return {};
}

} // namespace cwb
