// SPDX-License-Identifier: GPL-3.0-or-later
#include "backward.h"

#include <dnnl.h>

#include <algorithm>
#include <cmath>

namespace cwb {

namespace grad {

// Row-major sgemm: C (M × N) = alpha · op(A) · op(B) + beta · C.
void linearForward(const float* x, int m, int in, const float* w, int out, float* y) {
    dnnl_sgemm('N', 'T', m, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
}

void linearBackward(const float* x, int m, int in, const float* w, int out, const float* dy,
                    float* dx, float* dw) {
    if (dx)
        dnnl_sgemm('N', 'N', m, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in);
    dnnl_sgemm('T', 'N', out, in, m, 1.0f, dy, out, x, in, 1.0f, dw, in);
}

void rmsNormForward(const float* x, const float* w, float* y, float* invRms, int m, int n,
                    float eps) {
    for (int i = 0; i < m; ++i) {
        const float* xi = x + std::size_t(i) * std::size_t(n);
        float* yi = y + std::size_t(i) * std::size_t(n);
        float ss = 0.0f;
        for (int j = 0; j < n; ++j)
            ss += xi[j] * xi[j];
        const float r = 1.0f / std::sqrt(ss / float(n) + eps);
        invRms[i] = r;
        for (int j = 0; j < n; ++j)
            yi[j] = w[j] * (r * xi[j]);
    }
}

void rmsNormBackward(const float* x, const float* w, const float* invRms, const float* dy,
                     float* dx, float* dw, int m, int n) {
    for (int i = 0; i < m; ++i) {
        const float* xi = x + std::size_t(i) * std::size_t(n);
        const float* dyi = dy + std::size_t(i) * std::size_t(n);
        float* dxi = dx + std::size_t(i) * std::size_t(n);
        const float r = invRms[i];
        float dot = 0.0f;
        for (int j = 0; j < n; ++j) {
            dot += w[j] * dyi[j] * xi[j];
            dw[j] += dyi[j] * xi[j] * r;
        }
        const float k = r * r * r * dot / float(n);
        for (int j = 0; j < n; ++j)
            dxi[j] = r * w[j] * dyi[j] - k * xi[j];
    }
}

namespace {

void rotate(float* v, int m, int heads, int headDim, int ropeDim, float theta, int pos0,
            float sign) {
    for (int i = 0; i < m; ++i)
        for (int h = 0; h < heads; ++h) {
            float* head =
                v + (std::size_t(i) * std::size_t(heads) + std::size_t(h)) * std::size_t(headDim);
            for (int d = 0; d < ropeDim; d += 2) {
                // The same expression as the engine's, so the angles agree to the bit.
                const float freq = 1.0f / std::pow(theta, float(d) / float(ropeDim));
                const float angle = float(pos0 + i) * freq;
                const float fcr = std::cos(angle), fci = sign * std::sin(angle);
                const float v0 = head[d], v1 = head[d + 1];
                head[d] = v0 * fcr - v1 * fci;
                head[d + 1] = v0 * fci + v1 * fcr;
            }
        }
}

} // namespace

void ropeForward(float* v, int m, int heads, int headDim, int ropeDim, float theta, int pos0) {
    rotate(v, m, heads, headDim, ropeDim, theta, pos0, 1.0f);
}

void ropeBackward(float* dv, int m, int heads, int headDim, int ropeDim, float theta, int pos0) {
    rotate(dv, m, heads, headDim, ropeDim, theta, pos0, -1.0f);
}

void attentionForward(const float* q, const float* k, const float* v, float* out, float* probs,
                      int T, int heads, int kvHeads, int headDim) {
    const int group = heads / kvHeads;
    const std::size_t qDim = std::size_t(heads * headDim), kvDim = std::size_t(kvHeads * headDim);
    const float scale = 1.0f / std::sqrt(float(headDim));
#pragma omp parallel for schedule(static)
    for (int h = 0; h < heads; ++h) {
        const std::size_t kvOff = std::size_t((h / group) * headDim);
        for (int i = 0; i < T; ++i) {
            float* p = probs + (std::size_t(h) * std::size_t(T) + std::size_t(i)) * std::size_t(T);
            const float* qi = q + std::size_t(i) * qDim + std::size_t(h * headDim);
            float maxScore = -INFINITY;
            for (int t = 0; t <= i; ++t) {
                const float* kt = k + std::size_t(t) * kvDim + kvOff;
                float dot = 0.0f;
                for (int j = 0; j < headDim; ++j)
                    dot += qi[j] * kt[j];
                p[t] = dot * scale;
                maxScore = std::max(maxScore, p[t]);
            }
            float sum = 0.0f;
            for (int t = 0; t <= i; ++t) {
                p[t] = std::exp(p[t] - maxScore);
                sum += p[t];
            }
            for (int t = 0; t <= i; ++t)
                p[t] /= sum;
            for (int t = i + 1; t < T; ++t)
                p[t] = 0.0f;
            float* o = out + std::size_t(i) * qDim + std::size_t(h * headDim);
            std::fill_n(o, headDim, 0.0f);
            for (int t = 0; t <= i; ++t) {
                const float* vt = v + std::size_t(t) * kvDim + kvOff;
                for (int j = 0; j < headDim; ++j)
                    o[j] += p[t] * vt[j];
            }
        }
    }
}

void attentionBackward(const float* q, const float* k, const float* v, const float* probs,
                       const float* dout, float* dq, float* dk, float* dv, int T, int heads,
                       int kvHeads, int headDim) {
    const int group = heads / kvHeads;
    const std::size_t qDim = std::size_t(heads * headDim), kvDim = std::size_t(kvHeads * headDim);
    const float scale = 1.0f / std::sqrt(float(headDim));
    std::fill_n(dq, std::size_t(T) * qDim, 0.0f);
    std::fill_n(dk, std::size_t(T) * kvDim, 0.0f);
    std::fill_n(dv, std::size_t(T) * kvDim, 0.0f);
    // One KV head per thread: its query heads all add into its dk and dv.
#pragma omp parallel for schedule(static)
    for (int g = 0; g < kvHeads; ++g) {
        std::vector<float> dp(static_cast<std::size_t>(T));
        const std::size_t kvOff = std::size_t(g * headDim);
        for (int h = g * group; h < (g + 1) * group; ++h)
            for (int i = 0; i < T; ++i) {
                const float* p =
                    probs + (std::size_t(h) * std::size_t(T) + std::size_t(i)) * std::size_t(T);
                const std::size_t qOff = std::size_t(i) * qDim + std::size_t(h * headDim);
                const float* doi = dout + qOff;
                float dotSum = 0.0f;
                for (int t = 0; t <= i; ++t) {
                    const float* vt = v + std::size_t(t) * kvDim + kvOff;
                    float* dvt = dv + std::size_t(t) * kvDim + kvOff;
                    float d = 0.0f;
                    for (int j = 0; j < headDim; ++j) {
                        d += doi[j] * vt[j];
                        dvt[j] += p[t] * doi[j];
                    }
                    dp[std::size_t(t)] = d;
                    dotSum += p[t] * d;
                }
                const float* qi = q + qOff;
                float* dqi = dq + qOff;
                for (int t = 0; t <= i; ++t) {
                    const float ds = p[t] * (dp[std::size_t(t)] - dotSum) * scale;
                    const float* kt = k + std::size_t(t) * kvDim + kvOff;
                    float* dkt = dk + std::size_t(t) * kvDim + kvOff;
                    for (int j = 0; j < headDim; ++j) {
                        dqi[j] += ds * kt[j];
                        dkt[j] += ds * qi[j];
                    }
                }
            }
    }
}

void swigluForward(const float* g, const float* u, float* h, std::size_t n) {
    for (std::size_t j = 0; j < n; ++j)
        h[j] = g[j] * (1.0f / (1.0f + std::exp(-g[j]))) * u[j];
}

void swigluBackward(const float* g, const float* u, const float* dh, float* dg, float* du,
                    std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) {
        const float s = 1.0f / (1.0f + std::exp(-g[j]));
        du[j] = dh[j] * g[j] * s;
        dg[j] = dh[j] * u[j] * s * (1.0f + g[j] * (1.0f - s));
    }
}

void embeddingForward(const float* table, int dim, const std::int32_t* ids, int m, float* x) {
    for (int i = 0; i < m; ++i)
        std::copy_n(table + std::size_t(ids[i]) * std::size_t(dim), dim,
                    x + std::size_t(i) * std::size_t(dim));
}

void embeddingBackward(const float* dx, const std::int32_t* ids, int m, int dim, float* dtable) {
    for (int i = 0; i < m; ++i) {
        float* row = dtable + std::size_t(ids[i]) * std::size_t(dim);
        const float* d = dx + std::size_t(i) * std::size_t(dim);
        for (int j = 0; j < dim; ++j)
            row[j] += d[j];
    }
}

namespace {

// softmax(z / T) in double, into p.
void softmax(const float* z, int n, double temperature, std::vector<double>& p) {
    p.resize(std::size_t(n));
    double maxZ = -INFINITY;
    for (int j = 0; j < n; ++j)
        maxZ = std::max(maxZ, double(z[j]));
    double sum = 0;
    for (int j = 0; j < n; ++j) {
        p[std::size_t(j)] = std::exp((double(z[j]) - maxZ) / temperature);
        sum += p[std::size_t(j)];
    }
    for (double& x : p)
        x /= sum;
}

} // namespace

LossParts distillationLoss(const float* logits, const float* teacher, const std::int32_t* targets,
                           int m, int vocab, float temperature, float klWeight, float alpha,
                           float* dlogits) {
    LossParts parts;
    std::vector<double> ps, pt, p1;
    const double T = temperature;
    for (int i = 0; i < m; ++i) {
        const float* z = logits + std::size_t(i) * std::size_t(vocab);
        float* dz = dlogits + std::size_t(i) * std::size_t(vocab);
        std::fill_n(dz, vocab, 0.0f);
        if (teacher && klWeight != 0.0f) {
            softmax(z, vocab, T, ps);
            softmax(teacher + std::size_t(i) * std::size_t(vocab), vocab, T, pt);
            double kl = 0;
            for (int j = 0; j < vocab; ++j) {
                const auto J = std::size_t(j);
                if (pt[J] > 0)
                    kl += pt[J] * (std::log(pt[J]) - std::log(std::max(ps[J], 1e-300)));
                // d(T²·KL)/dz = T · (ps − pt)
                dz[j] += float(klWeight * T * (ps[J] - pt[J]) / m);
            }
            parts.kl += kl / m;
        }
        // The text's cross-entropy is reported even when α leaves it out of the loss: it says
        // how the student reads the text.
        if (targets) {
            softmax(z, vocab, 1.0, p1);
            const auto y = std::size_t(targets[i]);
            parts.ce += -std::log(std::max(p1[y], 1e-300)) / m;
            if (alpha != 0.0f)
                for (int j = 0; j < vocab; ++j)
                    dz[j] +=
                        float(alpha * (p1[std::size_t(j)] - (std::size_t(j) == y ? 1.0 : 0.0)) / m);
        }
    }
    parts.loss = double(klWeight) * T * T * parts.kl + double(alpha) * parts.ce;
    return parts;
}

} // namespace grad

// Activations of one sequence, kept for the backward pass.
struct TrainableModel::Cache {
    int T = 0;
    struct Layer {
        std::vector<float> xIn, xn1, inv1, q, k, v, probs, att, xMid, xn2, inv2, g, u, h;
    };
    std::vector<Layer> layers;
    std::vector<float> xOut, xnf, invf, logits;
};

Result<TrainableModel> TrainableModel::fromModel(const Model& model) {
    if (auto valid = validateLlamaTensors(model); !valid)
        return valid.error();
    if (model.config.qkvBias)
        return Error{QStringLiteral("training (distillation) does not handle the Q, K and V biases "
                                    "of this model (Qwen2) yet")};
    TrainableModel t;
    t.m_config = model.config;
    const std::vector<NamedValues> values = modelValues(model);
    std::size_t total = 0;
    for (const NamedValues& v : values)
        total += v.values.size();
    t.m_params.reserve(total);
    for (const NamedValues& v : values) {
        Slot s;
        s.name = v.name;
        s.shape = v.shape;
        s.offset = t.m_params.size();
        s.count = v.values.size();
        s.decays = v.shape.size() == 2;
        t.m_params.insert(t.m_params.end(), v.values.begin(), v.values.end());
        t.m_slots.push_back(s);
    }
    t.m_cache = std::make_shared<Cache>();
    return t;
}

std::shared_ptr<const Model> TrainableModel::toModel(const Model& base, const QString& path) const {
    std::vector<NamedValues> tensors;
    for (const Slot& s : m_slots)
        tensors.push_back(
            NamedValues{s.name, s.shape,
                        std::vector<float>(m_params.begin() + std::ptrdiff_t(s.offset),
                                           m_params.begin() + std::ptrdiff_t(s.offset + s.count))});
    return modelFromValues(base, m_config, tensors, path);
}

const TrainableModel::Slot* TrainableModel::slot(const QString& name) const {
    for (const Slot& s : m_slots)
        if (s.name == name)
            return &s;
    return nullptr;
}

float* TrainableModel::at(const QString& name) {
    const Slot* s = slot(name);
    return s ? m_params.data() + s->offset : nullptr;
}

float* TrainableModel::layer(int l, const char* kind) {
    return at(blockTensorName(l, kind));
}

void TrainableModel::run(std::span<const std::int32_t> tokens, Cache& cache) {
    const LlamaConfig& c = m_config;
    const int T = int(tokens.size());
    const auto rows = [T](int width) { return std::size_t(T) * std::size_t(width); };
    cache.T = T;
    cache.layers.resize(std::size_t(c.layers));
    std::vector<float> x(rows(c.dim)), tmp(rows(c.dim));
    grad::embeddingForward(at(QStringLiteral("token_embd.weight")), c.dim, tokens.data(), T,
                           x.data());
    for (int l = 0; l < c.layers; ++l) {
        Cache::Layer& L = cache.layers[std::size_t(l)];
        L.xIn = x;
        L.xn1.resize(rows(c.dim));
        L.inv1.resize(std::size_t(T));
        grad::rmsNormForward(x.data(), layer(l, "attn_norm"), L.xn1.data(), L.inv1.data(), T, c.dim,
                             c.normEps);
        L.q.resize(rows(c.qDim()));
        L.k.resize(rows(c.kvDim()));
        L.v.resize(rows(c.kvDim()));
        grad::linearForward(L.xn1.data(), T, c.dim, layer(l, "attn_q"), c.qDim(), L.q.data());
        grad::linearForward(L.xn1.data(), T, c.dim, layer(l, "attn_k"), c.kvDim(), L.k.data());
        grad::linearForward(L.xn1.data(), T, c.dim, layer(l, "attn_v"), c.kvDim(), L.v.data());
        grad::ropeForward(L.q.data(), T, c.heads, c.headDim, c.ropeDim, c.ropeTheta, 0);
        grad::ropeForward(L.k.data(), T, c.kvHeads, c.headDim, c.ropeDim, c.ropeTheta, 0);
        L.probs.resize(std::size_t(c.heads) * rows(T));
        L.att.resize(rows(c.qDim()));
        grad::attentionForward(L.q.data(), L.k.data(), L.v.data(), L.att.data(), L.probs.data(), T,
                               c.heads, c.kvHeads, c.headDim);
        grad::linearForward(L.att.data(), T, c.qDim(), layer(l, "attn_output"), c.dim, tmp.data());
        for (std::size_t j = 0; j < x.size(); ++j)
            x[j] += tmp[j];
        L.xMid = x;
        L.xn2.resize(rows(c.dim));
        L.inv2.resize(std::size_t(T));
        grad::rmsNormForward(x.data(), layer(l, "ffn_norm"), L.xn2.data(), L.inv2.data(), T, c.dim,
                             c.normEps);
        L.g.resize(rows(c.hiddenDim));
        L.u.resize(rows(c.hiddenDim));
        L.h.resize(rows(c.hiddenDim));
        grad::linearForward(L.xn2.data(), T, c.dim, layer(l, "ffn_gate"), c.hiddenDim, L.g.data());
        grad::linearForward(L.xn2.data(), T, c.dim, layer(l, "ffn_up"), c.hiddenDim, L.u.data());
        grad::swigluForward(L.g.data(), L.u.data(), L.h.data(), L.h.size());
        grad::linearForward(L.h.data(), T, c.hiddenDim, layer(l, "ffn_down"), c.dim, tmp.data());
        for (std::size_t j = 0; j < x.size(); ++j)
            x[j] += tmp[j];
    }
    cache.xOut = x;
    cache.xnf.resize(rows(c.dim));
    cache.invf.resize(std::size_t(T));
    grad::rmsNormForward(x.data(), at(QStringLiteral("output_norm.weight")), cache.xnf.data(),
                         cache.invf.data(), T, c.dim, c.normEps);
    cache.logits.resize(rows(c.vocabSize));
    const float* classifier = c.tiedOutput ? at(QStringLiteral("token_embd.weight"))
                                           : at(QStringLiteral("output.weight"));
    grad::linearForward(cache.xnf.data(), T, c.dim, classifier, c.vocabSize, cache.logits.data());
}

void TrainableModel::forward(std::span<const std::int32_t> tokens, std::vector<float>& logits) {
    run(tokens, *m_cache);
    logits = m_cache->logits;
}

grad::LossParts TrainableModel::accumulate(std::span<const std::int32_t> tokens,
                                           const float* teacherLogits, float temperature,
                                           float klWeight, float alpha, float weight,
                                           std::vector<float>& gradient) {
    const LlamaConfig& c = m_config;
    Cache& cache = *m_cache;
    run(tokens, cache);
    const int T = int(tokens.size());
    const int scored = T - 1;
    const auto rows = [T](int width) { return std::size_t(T) * std::size_t(width); };
    gradient.resize(m_params.size(), 0.0f);
    const auto g = [&](const QString& name) { return gradient.data() + slot(name)->offset; };
    const auto gl = [&](int l, const char* kind) { return g(blockTensorName(l, kind)); };

    std::vector<float> dlogits(rows(c.vocabSize), 0.0f);
    const grad::LossParts parts =
        grad::distillationLoss(cache.logits.data(), teacherLogits, tokens.data() + 1, scored,
                               c.vocabSize, temperature, klWeight, alpha, dlogits.data());
    for (float& d : dlogits)
        d *= weight;

    const QString classifierName =
        c.tiedOutput ? QStringLiteral("token_embd.weight") : QStringLiteral("output.weight");
    std::vector<float> dxn(rows(c.dim)), dx(rows(c.dim)), dtmp(rows(c.dim));
    grad::linearBackward(cache.xnf.data(), T, c.dim, at(classifierName), c.vocabSize,
                         dlogits.data(), dxn.data(), g(classifierName));
    grad::rmsNormBackward(cache.xOut.data(), at(QStringLiteral("output_norm.weight")),
                          cache.invf.data(), dxn.data(), dx.data(),
                          g(QStringLiteral("output_norm.weight")), T, c.dim);

    std::vector<float> dh(rows(c.hiddenDim)), dg(rows(c.hiddenDim)), du(rows(c.hiddenDim));
    std::vector<float> datt(rows(c.qDim())), dq(rows(c.qDim())), dk(rows(c.kvDim())),
        dv(rows(c.kvDim()));
    for (int l = c.layers - 1; l >= 0; --l) {
        Cache::Layer& L = cache.layers[std::size_t(l)];
        // x_out = x_mid + down(swiglu(gate(n2), up(n2)))
        grad::linearBackward(L.h.data(), T, c.hiddenDim, layer(l, "ffn_down"), c.dim, dx.data(),
                             dh.data(), gl(l, "ffn_down"));
        grad::swigluBackward(L.g.data(), L.u.data(), dh.data(), dg.data(), du.data(), dh.size());
        grad::linearBackward(L.xn2.data(), T, c.dim, layer(l, "ffn_gate"), c.hiddenDim, dg.data(),
                             dxn.data(), gl(l, "ffn_gate"));
        grad::linearBackward(L.xn2.data(), T, c.dim, layer(l, "ffn_up"), c.hiddenDim, du.data(),
                             dtmp.data(), gl(l, "ffn_up"));
        for (std::size_t j = 0; j < dxn.size(); ++j)
            dxn[j] += dtmp[j];
        grad::rmsNormBackward(L.xMid.data(), layer(l, "ffn_norm"), L.inv2.data(), dxn.data(),
                              dtmp.data(), gl(l, "ffn_norm"), T, c.dim);
        for (std::size_t j = 0; j < dx.size(); ++j)
            dx[j] += dtmp[j];
        // x_mid = x_in + o(attention(rope(q(n1)), rope(k(n1)), v(n1)))
        grad::linearBackward(L.att.data(), T, c.qDim(), layer(l, "attn_output"), c.dim, dx.data(),
                             datt.data(), gl(l, "attn_output"));
        grad::attentionBackward(L.q.data(), L.k.data(), L.v.data(), L.probs.data(), datt.data(),
                                dq.data(), dk.data(), dv.data(), T, c.heads, c.kvHeads, c.headDim);
        grad::ropeBackward(dq.data(), T, c.heads, c.headDim, c.ropeDim, c.ropeTheta, 0);
        grad::ropeBackward(dk.data(), T, c.kvHeads, c.headDim, c.ropeDim, c.ropeTheta, 0);
        grad::linearBackward(L.xn1.data(), T, c.dim, layer(l, "attn_q"), c.qDim(), dq.data(),
                             dxn.data(), gl(l, "attn_q"));
        grad::linearBackward(L.xn1.data(), T, c.dim, layer(l, "attn_k"), c.kvDim(), dk.data(),
                             dtmp.data(), gl(l, "attn_k"));
        for (std::size_t j = 0; j < dxn.size(); ++j)
            dxn[j] += dtmp[j];
        grad::linearBackward(L.xn1.data(), T, c.dim, layer(l, "attn_v"), c.kvDim(), dv.data(),
                             dtmp.data(), gl(l, "attn_v"));
        for (std::size_t j = 0; j < dxn.size(); ++j)
            dxn[j] += dtmp[j];
        grad::rmsNormBackward(L.xIn.data(), layer(l, "attn_norm"), L.inv1.data(), dxn.data(),
                              dtmp.data(), gl(l, "attn_norm"), T, c.dim);
        for (std::size_t j = 0; j < dx.size(); ++j)
            dx[j] += dtmp[j];
    }
    grad::embeddingBackward(dx.data(), tokens.data(), T, c.dim,
                            g(QStringLiteral("token_embd.weight")));
    return parts;
}

} // namespace cwb
