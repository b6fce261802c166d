// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"
#include "prune.h"
#include "result.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace cwb {

// The forward pass of engine.cpp again, keeping what the backward pass needs, and the backward
// pass of every operation. Row-major: a weight W maps `in` inputs to `out` outputs as `out` rows
// of `in` values (ggml's {in, out}), so y = x Wᵀ. Backward functions add into the gradients of
// weights (dw) and write the gradients of inputs (dx) unless documented otherwise.
namespace grad {

// y (m × out) = x (m × in) · Wᵀ, on oneDNN's sgemm.
void linearForward(const float* x, int m, int in, const float* w, int out, float* y);
// dx (m × in) = dy · W (skipped if dx is null); dW (out × in) += dyᵀ · x.
void linearBackward(const float* x, int m, int in, const float* w, int out, const float* dy,
                    float* dx, float* dw);

// y = w ⊙ x · r per row, r = 1/√(mean(x²) + eps); invRms receives r per row.
void rmsNormForward(const float* x, const float* w, float* y, float* invRms, int m, int n,
                    float eps);
void rmsNormBackward(const float* x, const float* w, const float* invRms, const float* dy,
                     float* dx, float* dw, int m, int n);

// Rotates adjacent pairs of the first ropeDim dimensions of each head of each row in place; row i
// is at position pos0 + i. The backward pass rotates the gradient back (the transpose).
void ropeForward(float* v, int m, int heads, int headDim, int ropeDim, float theta, int pos0);
void ropeBackward(float* dv, int m, int heads, int headDim, int ropeDim, float theta, int pos0);

// Causal grouped-query attention over one sequence of T rows: query head h reads KV head
// h / (heads / kvHeads). probs receives softmax(q·k/√hd) per head (heads × T × T).
void attentionForward(const float* q, const float* k, const float* v, float* out, float* probs,
                      int T, int heads, int kvHeads, int headDim);
// dq, dk, dv are overwritten.
void attentionBackward(const float* q, const float* k, const float* v, const float* probs,
                       const float* dout, float* dq, float* dk, float* dv, int T, int heads,
                       int kvHeads, int headDim);

// h = silu(g) ⊙ u.
void swigluForward(const float* g, const float* u, float* h, std::size_t n);
void swigluBackward(const float* g, const float* u, const float* dh, float* dg, float* du,
                    std::size_t n);

void embeddingForward(const float* table, int dim, const std::int32_t* ids, int m, float* x);
// dtable[ids[i]] += dx[i].
void embeddingBackward(const float* dx, const std::int32_t* ids, int m, int dim, float* dtable);

struct LossParts {
    double loss = 0; // klWeight·T²·KL + α·CE, mean over rows
    double kl = 0;   // mean KL(teacher ‖ student) at temperature T
    double ce = 0;   // mean cross-entropy of the targets at temperature 1, whatever α is
};
// The distillation loss over m rows of logits and its gradient, written to dlogits (scaled by
// 1/m). teacher may be null (CE only); targets may be null (KL only).
LossParts distillationLoss(const float* logits, const float* teacher, const std::int32_t* targets,
                           int m, int vocab, float temperature, float klWeight, float alpha,
                           float* dlogits);

} // namespace grad

// A model's weights as one flat array of f32 parameters, each tensor a slot in it, and the forward
// and backward pass of the whole model over one sequence.
class TrainableModel {
public:
    struct Slot {
        QString name;
        std::vector<std::int64_t> shape;
        std::size_t offset = 0, count = 0;
        bool decays = false; // matrices take weight decay; norms do not
    };

    static Result<TrainableModel> fromModel(const Model& model);
    std::shared_ptr<const Model> toModel(const Model& base, const QString& path) const;

    const LlamaConfig& config() const { return m_config; }
    std::vector<float>& parameters() { return m_params; }
    const std::vector<float>& parameters() const { return m_params; }
    const std::vector<Slot>& tensorSlots() const { return m_slots; }
    const Slot* slot(const QString& name) const;

    // Logits (T × vocab) of one sequence from an empty context.
    void forward(std::span<const std::int32_t> tokens, std::vector<float>& logits);
    // Forward and backward on one sequence: rows 0..T−2 are scored against the token after each
    // (and against teacherLogits' rows, T × vocab, if given). Adds the gradient, scaled by
    // `weight`, to `gradient` (same layout as parameters()).
    grad::LossParts accumulate(std::span<const std::int32_t> tokens, const float* teacherLogits,
                               float temperature, float klWeight, float alpha, float weight,
                               std::vector<float>& gradient);

private:
    struct Cache;
    void run(std::span<const std::int32_t> tokens, Cache& cache);
    float* at(const QString& name);
    float* layer(int l, const char* kind);

    LlamaConfig m_config;
    std::vector<float> m_params;
    std::vector<Slot> m_slots;
    std::shared_ptr<Cache> m_cache;
};

} // namespace cwb
