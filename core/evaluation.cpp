// SPDX-License-Identifier: GPL-3.0-or-later
#include "evaluation.h"

#include "engine.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace cwb {
namespace {

bool isSpace(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

// Strip, drop '\r', collapse runs of '\n': the text as llama2.c's training data has it.
std::string normaliseDocument(std::string_view doc) {
    std::size_t begin = 0, end = doc.size();
    while (begin < end && isSpace(doc[begin]))
        ++begin;
    while (end > begin && isSpace(doc[end - 1]))
        --end;
    std::string out;
    out.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
        const char ch = doc[i];
        if (ch == '\r')
            continue;
        if (ch == '\n' && !out.empty() && out.back() == '\n')
            continue;
        out.push_back(ch);
    }
    return out;
}

Result<EvalPlan> planChunks(const Model& model, std::string_view text, const EvalOptions& o) {
    EvalPlan plan;
    const std::vector<std::int32_t> tokens = model.tokenizer.encode(text, true);
    const std::int64_t available = std::int64_t(tokens.size()) / o.ctx;
    if (available == 0)
        return Error{QStringLiteral("the text has %1 tokens; one chunk of context %2 needs %2")
                         .arg(tokens.size())
                         .arg(o.ctx)};
    const std::int64_t chunks =
        o.maxChunks > 0 ? std::min<std::int64_t>(o.maxChunks, available) : available;
    const int first = o.ctx / 2;
    for (std::int64_t i = 0; i < chunks; ++i) {
        EvalSequence s;
        s.tokens.assign(tokens.begin() + i * o.ctx, tokens.begin() + (i + 1) * o.ctx);
        // As llama-perplexity: a tokenizer that adds no BOS has its chunks scored as cut.
        if (model.tokenizer.addsBos())
            s.tokens[0] = model.tokenizer.bos();
        s.scoreFrom = first;
        s.scoreTo = o.ctx - 1;
        plan.sequences.push_back(std::move(s));
    }
    return plan;
}

Result<EvalPlan> planDocuments(const Model& model, std::string_view text, const EvalOptions& o) {
    EvalPlan plan;
    const std::string_view sep(o.separator.constData(), std::size_t(o.separator.size()));
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = sep.empty() ? std::string_view::npos : text.find(sep, start);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string doc = normaliseDocument(text.substr(start, end - start));
        start = end + std::max<std::size_t>(sep.size(), 1);
        if (doc.empty())
            continue;
        EvalSequence s;
        s.tokens = model.tokenizer.encode(doc, true);
        if (int(s.tokens.size()) > o.ctx)
            s.tokens.resize(std::size_t(o.ctx));
        if (s.tokens.size() < 2)
            continue;
        s.scoreFrom = 0;
        s.scoreTo = int(s.tokens.size()) - 1;
        plan.sequences.push_back(std::move(s));
    }
    if (plan.sequences.empty())
        return Error{QStringLiteral("the text holds no document with a token to score")};
    return plan;
}

} // namespace

QString splitModeName(SplitMode mode) {
    return mode == SplitMode::Chunks ? QStringLiteral("chunks") : QStringLiteral("documents");
}

Result<EvalPlan> planEvaluation(const Model& model, const QByteArray& text, const EvalOptions& o) {
    if (o.ctx < 2)
        return Error{QStringLiteral("the context must be at least 2 tokens")};
    if (o.ctx > 1 << 20)
        return Error{
            QStringLiteral("a context of %1 tokens is beyond the limit of 1048576").arg(o.ctx)};
    if (text.isEmpty())
        return Error{QStringLiteral("the text is empty")};
    const std::string_view view(text.constData(), std::size_t(text.size()));
    auto plan =
        o.split == SplitMode::Chunks ? planChunks(model, view, o) : planDocuments(model, view, o);
    if (!plan)
        return plan;
    plan->ctx = o.ctx;
    if (o.ctx > model.config.contextLength)
        plan->warnings << QStringLiteral("the context of %1 is longer than the %2 tokens the model "
                                         "file states it was trained on")
                              .arg(o.ctx)
                              .arg(model.config.contextLength);
    // Keep at most maxTokens scored tokens, cutting the last sequence where the budget ends.
    std::int64_t budget = o.maxTokens > 0 ? o.maxTokens : INT64_MAX;
    std::size_t kept = 0;
    for (EvalSequence& s : plan->sequences) {
        if (budget == 0)
            break;
        const std::int64_t scored = s.scoreTo - s.scoreFrom;
        if (scored > budget) {
            s.scoreTo = s.scoreFrom + int(budget);
            s.tokens.resize(std::size_t(s.scoreTo) + 1);
        }
        budget -= s.scoreTo - s.scoreFrom;
        plan->scoredTokens += s.scoreTo - s.scoreFrom;
        plan->processedTokens += std::int64_t(s.tokens.size());
        ++kept;
    }
    plan->sequences.resize(kept);
    return plan;
}

Result<void> runPlan(Engine& engine, const EvalPlan& plan, const Progress& progress,
                     const std::function<void(std::span<const float>, std::int32_t)>& onScored) {
    const int vocab = engine.config().vocabSize;
    KvCache cache(engine.config(), plan.ctx);
    std::vector<float> logits;
    std::int64_t done = 0;
    for (const EvalSequence& s : plan.sequences) {
        if (progress.cancelled())
            return cancelledError();
        cache.clear();
        if (auto r = engine.forward(cache, s.tokens, s.scoreFrom, logits); !r)
            return r;
        for (int p = s.scoreFrom; p < s.scoreTo; ++p) {
            const auto row = std::span<const float>(logits).subspan(
                std::size_t(p - s.scoreFrom) * std::size_t(vocab), std::size_t(vocab));
            onScored(row, s.tokens[std::size_t(p) + 1]);
        }
        done += s.scoreTo - s.scoreFrom;
        progress(double(done) / double(std::max<std::int64_t>(plan.scoredTokens, 1)),
                 QStringLiteral("%1 of %2 tokens scored").arg(done).arg(plan.scoredTokens));
    }
    return {};
}

double negativeLogLikelihood(std::span<const float> logits, std::int32_t next) {
    const float maxLogit = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits)
        sum += std::exp(double(l) - double(maxLogit));
    return std::log(sum) + double(maxLogit) - double(logits[std::size_t(next)]);
}

double NllAccumulator::ppl() const {
    return std::exp(mean());
}

double NllAccumulator::pplStderr() const {
    if (m_count < 2)
        return 0.0;
    const double m = mean();
    const double variance = m_sumSquares / double(m_count) - m * m;
    return variance > 0 ? ppl() * std::sqrt(variance / double(m_count - 1)) : 0.0;
}

Result<PerplexityResult> evaluatePerplexity(const Model& model, const QByteArray& text,
                                            const EvalOptions& options, const Progress& progress) {
    QElapsedTimer wall;
    wall.start();
    progress(0.0, QStringLiteral("tokenizing"));
    auto plan = planEvaluation(model, text, options);
    if (!plan)
        return plan.error();
    if (progress.cancelled())
        return cancelledError();
    auto weights = WeightSet::fromModel(model);
    if (!weights)
        return weights.error();
    auto engine =
        Engine::create(std::move(weights.value()), EngineOptions{options.threads, progress.cancel});
    if (!engine)
        return engine.error();

    NllAccumulator nll;
    QElapsedTimer forward;
    forward.start();
    auto run =
        runPlan(**engine, *plan, progress, [&](std::span<const float> logits, std::int32_t next) {
            nll.add(negativeLogLikelihood(logits, next));
        });
    if (!run)
        return run.error();
    const double forwardSeconds = double(forward.nsecsElapsed()) / 1e9;

    PerplexityResult r;
    r.ppl = nll.ppl();
    r.pplStderr = nll.pplStderr();
    r.nllMean = nll.mean();
    r.tokensScored = nll.count();
    r.tokensProcessed = plan->processedTokens;
    r.sequences = int(plan->sequences.size());
    r.ctx = plan->ctx;
    r.threads = (*engine)->threads();
    r.split = options.split;
    r.seconds = double(wall.nsecsElapsed()) / 1e9;
    r.tokensPerSecond = forwardSeconds > 0 ? double(r.tokensProcessed) / forwardSeconds : 0.0;
    r.warnings = plan->warnings;
    return r;
}

} // namespace cwb
