// SPDX-License-Identifier: GPL-3.0-or-later
#include "generation.h"

#include "engine.h"
#include "weightset.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

namespace cwb {

namespace {

// Draws one token from `logits` (modified in place) at the options' temperature and top-p.
std::int32_t sampleToken(std::vector<float>& logits, const GenerationOptions& o,
                         std::mt19937_64& rng, std::vector<std::int32_t>& order) {
    if (o.temperature <= 0)
        return std::int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    const float top = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float& l : logits) {
        l = float(std::exp((double(l) - top) / o.temperature));
        sum += l;
    }
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    double u = uniform(rng);
    if (o.topP >= 1) {
        u *= sum;
        for (std::size_t i = 0; i < logits.size(); ++i) {
            u -= logits[i];
            if (u <= 0)
                return std::int32_t(i);
        }
        return std::int32_t(logits.size() - 1); // rounding left u just above zero
    }
    order.resize(logits.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::int32_t a, std::int32_t b) { return logits[a] > logits[b]; });
    double kept = 0;
    std::size_t n = 0;
    while (n < order.size() && kept < o.topP * sum)
        kept += logits[order[n++]];
    u *= kept;
    for (std::size_t i = 0; i < n; ++i) {
        u -= logits[order[i]];
        if (u <= 0)
            return order[i];
    }
    return order[n - 1];
}

} // namespace

QJsonObject GenerationOptions::toJson() const {
    return QJsonObject{
        {QStringLiteral("tokens"), qint64(tokens)},      {QStringLiteral("max_length"), maxLength},
        {QStringLiteral("temperature"), temperature},    {QStringLiteral("top_p"), topP},
        {QStringLiteral("seed"), QString::number(seed)},
    };
}

Result<GeneratedText> generateText(const Model& model, const GenerationOptions& options,
                                   const Progress& progress) {
    const Tokenizer& tok = model.tokenizer;
    const std::int32_t start = tok.bos() >= 0 ? tok.bos() : tok.eos();
    if (start < 0)
        return Error{QStringLiteral("the tokenizer has neither BOS nor EOS to start a text from")};
    if (options.tokens <= 0)
        return Error{QStringLiteral("nothing to generate: ask for at least one token")};
    if (options.temperature < 0 || !(options.topP > 0 && options.topP <= 1))
        return Error{QStringLiteral("temperature must be ≥ 0 and top-p in (0, 1]")};
    const int context = model.config.contextLength;
    const int maxLength = options.maxLength > 0 ? options.maxLength : context;
    if (maxLength < 2 || (context > 0 && maxLength > context))
        return Error{QStringLiteral("a document must hold 2 to %1 tokens, not %2")
                         .arg(context)
                         .arg(maxLength)};

    const int threads = options.threads > 0 ? options.threads : defaultThreadCount();
    omp_set_num_threads(threads);
    auto weights = WeightSet::fromModel(model);
    if (!weights)
        return weights.error();
    auto engine =
        Engine::create(std::move(weights.value()), EngineOptions{threads, progress.cancel});
    if (!engine)
        return engine.error();

    const auto started = std::chrono::steady_clock::now();
    std::mt19937_64 rng(options.seed);
    KvCache cache(model.config, maxLength);
    std::vector<float> logits;
    std::vector<std::int32_t> order;
    GeneratedText out;
    while (out.tokens < options.tokens) {
        if (progress.cancelled())
            return cancelledError();
        cache.clear();
        std::vector<std::int32_t> document{start};
        std::vector<std::int32_t>& sampled = out.sampled.emplace_back();
        while (int(document.size()) < maxLength && out.tokens < options.tokens) {
            const std::int32_t last = document.back();
            if (auto r = (*engine)->forward(cache, std::span(&last, 1), 0, logits); !r)
                return r.error();
            const std::int32_t next = sampleToken(logits, options, rng, order);
            sampled.push_back(next);
            ++out.tokens;
            if (next == tok.eos() || next == tok.bos())
                break;
            document.push_back(next);
        }
        if (out.sampled.size() > 1)
            out.text += options.separator;
        out.text += QByteArray::fromStdString(tok.decode(document)); // BOS drops its space
        progress(double(out.tokens) / double(options.tokens),
                 QStringLiteral("%1 documents").arg(out.sampled.size()));
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    out.tokensPerSecond = out.seconds > 0 ? double(out.tokens) / out.seconds : 0;
    return out;
}

} // namespace cwb
