// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationsite.h"
#include "modelconfig.h"
#include "result.h"
#include "weightset.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace cwb {

// Keys and values of every position run so far, for every layer.
class KvCache {
public:
    KvCache(const LlamaConfig& config, int capacity);
    int capacity() const { return m_capacity; }
    int length() const { return m_length; }
    void clear() { m_length = 0; }

private:
    friend class Engine;
    float* keys(int layer, int position);
    float* values(int layer, int position);

    int m_capacity;
    int m_length = 0;
    int m_kvDim;
    std::vector<float> m_keys, m_values; // [layer][position][kvDim]
};

struct EngineOptions {
    int threads = 0;                           // 0: every core
    const std::atomic<bool>* cancel = nullptr; // polled between layers: a large model stops quickly
    ActivationObserver* observer = nullptr;    // sees every matmul input (calibration)
    int stopAfterLayer = -1;                   // ≥ 0: run blocks up to this one, no classifier
    // Sees the residual stream (rows × dim) at the input of every stage: block l for l < layers,
    // the final norm and classifier for l == layers. Sensitivity analysis keeps these so it can
    // rerun a model from the block where its weights first differ.
    std::function<void(int stage, std::span<const float> residual)> stageInput = nullptr;
};

// The f32 forward pass of a Llama-family model on oneDNN matmuls. Create it, and call it, on
// one thread: the oneDNN primitives it creates once are tied to that thread's use.
class Engine {
public:
    static Result<std::unique_ptr<Engine>> create(WeightSet weights, const EngineOptions& options);
    ~Engine();

    const LlamaConfig& config() const;
    int threads() const;

    // Runs `tokens` at the positions after those already in `cache` and appends them to it.
    // `logits` receives the classifier output of positions [logitsFrom, tokens.size()),
    // one row of vocabSize values per position; positions before logitsFrom skip the classifier.
    // A cancelled call leaves the cache as it was.
    Result<void> forward(KvCache& cache, std::span<const std::int32_t> tokens, int logitsFrom,
                         std::vector<float>& logits);
    // Runs other weights of the same shapes from now on, reusing the matmul primitives made for
    // the old ones (sensitivity analysis runs hundreds of one-tensor variants of a model).
    Result<void> setWeights(WeightSet weights);

    // The same from stage `firstStage` on (0 ≤ firstStage ≤ layers): `residual` holds the m × dim
    // residual stream at that stage's input, as stageInput saw it. Only the key and value cache
    // of the stages run is written, and only those are read.
    Result<void> forwardFrom(KvCache& cache, int firstStage, std::span<const float> residual, int m,
                             int logitsFrom, std::vector<float>& logits);

private:
    struct Impl;
    Result<void> checkCall(const KvCache& cache, int m, int logitsFrom) const;
    Result<void> runStages(KvCache& cache, int firstStage, int m, int logitsFrom,
                           std::vector<float>& logits);
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

int defaultThreadCount();

} // namespace cwb
