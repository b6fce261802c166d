// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"
#include "progress.h"
#include "result.h"

#include <QByteArray>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace cwb {

class Engine;

// How a text becomes scored sequences.
//  Chunks: llama.cpp's llama-perplexity -c ctx. The whole text is tokenized once with BOS in
//    front and cut into chunks of ctx tokens, each starting with BOS (unless the tokenizer adds
//    none: then each chunk is scored as cut); the second half of each chunk is scored (positions
//    ctx/2 .. ctx-2 predicting the tokens after them).
//  Documents: the text is split on a separator; each document is stripped, '\r' dropped and
//    runs of '\n' collapsed to one, tokenized from BOS with a fresh context, cut to ctx tokens,
//    and every token after BOS is scored.
enum class SplitMode { Chunks, Documents };
QString splitModeName(SplitMode mode);

struct EvalOptions {
    SplitMode split = SplitMode::Chunks;
    QByteArray separator = "<|endoftext|>";
    int ctx = 512;
    int maxChunks = 0;          // chunks method: 0 = every chunk that fits
    std::int64_t maxTokens = 0; // stop after this many scored tokens; 0 = all
    int threads = 0;            // 0 = every core
};

// One sequence run from an empty context; logits at positions [scoreFrom, scoreTo) are scored
// against the token that follows each.
struct EvalSequence {
    std::vector<std::int32_t> tokens;
    int scoreFrom = 0;
    int scoreTo = 0;
};

struct EvalPlan {
    std::vector<EvalSequence> sequences;
    std::int64_t scoredTokens = 0;
    std::int64_t processedTokens = 0;
    int ctx = 0;
    QStringList warnings;
};

// Tokenizes and cuts the text as the options say. Fails with a reason if nothing can be scored.
Result<EvalPlan> planEvaluation(const Model& model, const QByteArray& text,
                                const EvalOptions& options);

// Runs every sequence of the plan and hands each scored position's logits (vocabSize values) and
// the token that follows to `onScored`. Stops at cancellation.
Result<void>
runPlan(Engine& engine, const EvalPlan& plan, const Progress& progress,
        const std::function<void(std::span<const float> logits, std::int32_t next)>& onScored);

struct PerplexityResult {
    double ppl = 0;
    double pplStderr = 0; // as llama.cpp prints it: PPL × the standard error of the mean NLL
    double nllMean = 0;
    std::int64_t tokensScored = 0;
    std::int64_t tokensProcessed = 0;
    int sequences = 0;
    int ctx = 0;
    int threads = 0;
    SplitMode split = SplitMode::Chunks;
    double seconds = 0;         // the whole call, tokenizing included
    double tokensPerSecond = 0; // tokens run through the model per second of forward passes
    QStringList warnings;
};

// Negative log-likelihood of `next` under softmax(logits), in double as llama.cpp sums it.
double negativeLogLikelihood(std::span<const float> logits, std::int32_t next);

// Accumulates NLLs into llama.cpp's PPL and its uncertainty.
class NllAccumulator {
public:
    void add(double nll) {
        m_sum += nll;
        m_sumSquares += nll * nll;
        ++m_count;
    }
    std::int64_t count() const { return m_count; }
    double mean() const { return m_count ? m_sum / double(m_count) : 0.0; }
    double ppl() const;
    double pplStderr() const;

private:
    double m_sum = 0, m_sumSquares = 0;
    std::int64_t m_count = 0;
};

// Perplexity of the model's f32 weights on a text: the whole evaluation, engine included, on
// the calling thread.
Result<PerplexityResult> evaluatePerplexity(const Model& model, const QByteArray& text,
                                            const EvalOptions& options,
                                            const Progress& progress = {});

} // namespace cwb
