// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationsite.h"
#include "modelconfig.h"
#include "result.h"
#include "weightset.h"

#include <atomic>
#include <cstdint>
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

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

int defaultThreadCount();

} // namespace cwb
