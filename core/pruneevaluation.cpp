// SPDX-License-Identifier: GPL-3.0-or-later
#include "pruneevaluation.h"

#include "engine.h"
#include "weightset.h"

namespace cwb {

Result<ComparisonMetrics> compareModels(const Model& source, const Model& other,
                                        const QByteArray& text, const EvalOptions& options,
                                        const Progress& progress) {
    if (source.config.vocabSize != other.config.vocabSize)
        return Error{QStringLiteral("the models have different vocabularies")};
    auto plan = planEvaluation(source, text, options);
    if (!plan)
        return plan.error();
    EngineOptions engineOptions;
    engineOptions.threads = options.threads;
    engineOptions.cancel = progress.cancel;
    auto makeEngine = [&](const Model& m) -> Result<std::unique_ptr<Engine>> {
        auto weights = WeightSet::fromModel(m);
        if (!weights)
            return weights.error();
        return Engine::create(std::move(weights.value()), engineOptions);
    };
    auto a = makeEngine(source);
    if (!a)
        return a.error();
    auto b = makeEngine(other);
    if (!b)
        return b.error();
    const auto vocab = std::size_t(source.config.vocabSize);
    KvCache cacheA(source.config, plan->ctx), cacheB(other.config, plan->ctx);
    std::vector<float> logitsA, logitsB;
    DistributionComparer comparer;
    std::int64_t done = 0;
    for (const EvalSequence& s : plan->sequences) {
        if (progress.cancelled())
            return cancelledError();
        cacheA.clear();
        cacheB.clear();
        if (auto r = (*a)->forward(cacheA, s.tokens, s.scoreFrom, logitsA); !r)
            return r.error();
        if (auto r = (*b)->forward(cacheB, s.tokens, s.scoreFrom, logitsB); !r)
            return r.error();
        for (int p = s.scoreFrom; p < s.scoreTo; ++p) {
            const std::size_t at = std::size_t(p - s.scoreFrom) * vocab;
            comparer.add(std::span<const float>(logitsA).subspan(at, vocab),
                         std::span<const float>(logitsB).subspan(at, vocab),
                         s.tokens[std::size_t(p) + 1]);
        }
        done += s.scoreTo - s.scoreFrom;
        progress(double(done) / double(std::max<std::int64_t>(plan->scoredTokens, 1)),
                 QStringLiteral("%1 of %2 tokens compared").arg(done).arg(plan->scoredTokens));
    }
    return comparer.result();
}

} // namespace cwb
