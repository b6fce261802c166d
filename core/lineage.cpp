// SPDX-License-Identifier: GPL-3.0-or-later
#include "lineage.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <set>

namespace cwb {

namespace {

// Far more steps than any real chain: a guard against a cycle a hand-edited database could hold.
constexpr int kMaxLineage = 64;

std::optional<double> metric(const RunRecord& run, const char* name) {
    const auto it = run.metrics.find(QLatin1String(name));
    if (it == run.metrics.end() || !std::isfinite(it->second.value))
        return std::nullopt;
    return it->second.value;
}

// The settings that say what a step did, by kind; the rest (paths, curves) stay in the run.
QJsonObject keySettings(const RunRecord& run) {
    static const char* const keys[] = {
        "student_spec", "steps",     "batch", "sequence_length", "lr",         "temperature",
        "alpha",        "kl_weight", "seed",  "prune_plan",      "split",      "ctx",
        "max_tokens",   "fallback",  "out",   "output_sha256",   "budget_bpw", "objective"};
    QJsonObject out;
    for (const char* key : keys)
        if (const QJsonValue v = run.settings.value(QLatin1String(key)); !v.isUndefined())
            out.insert(QLatin1String(key), v);
    if (!run.plan.isEmpty())
        out.insert(QStringLiteral("plan"), run.plan);
    return out;
}

QJsonObject keyResults(const RunRecord& run) {
    static const char* const keys[] = {
        "ppl",        "base_ppl", "kld_mean",   "top1_agreement",  "size_bytes", "bpw",
        "parameters", "steps",    "train_loss", "train_tok_per_s", "before_ppl", "dense_bytes"};
    QJsonObject out;
    for (const char* key : keys)
        if (const auto v = metric(run, key))
            out.insert(QLatin1String(key), *v);
    return out;
}

bool sameEvaluation(const RunRecord& a, const RunRecord& b) {
    if (a.evalText.isEmpty() || a.evalText.sha256 != b.evalText.sha256)
        return false;
    for (const char* key : {"split", "separator", "ctx", "chunks", "max_tokens"})
        if (a.settings.value(QLatin1String(key)) != b.settings.value(QLatin1String(key)))
            return false;
    return true;
}

// The original model's perplexity on `run`'s text, with its settings: an FP32 evaluation's, or
// the FP32 figure a plan evaluation measured beside its own.
std::optional<double> rootPerplexity(const RunRecord& run, const QString& rootSha,
                                     const std::vector<RunRecord>& runs) {
    std::optional<double> found;
    for (const RunRecord& r : runs) {
        if (r.status != RunStatus::Finished || !r.model || r.model->sha256 != rootSha ||
            r.kind != QLatin1String("evaluation") || !sameEvaluation(run, r))
            continue;
        if (const auto base = metric(r, "base_ppl"))
            found = base;
        else if (const auto ppl = metric(r, "ppl"))
            found = ppl;
    }
    return found;
}

} // namespace

Result<std::vector<RunRecord>> runLineage(RunStore& store, std::int64_t id) {
    std::vector<RunRecord> chain;
    std::set<std::int64_t> seen;
    std::optional<std::int64_t> next = id;
    while (next && !seen.count(*next) && int(chain.size()) < kMaxLineage) {
        auto run = store.get(*next);
        if (!run) {
            if (chain.empty())
                return run.error();
            break; // a parent deleted since: the chain starts after it
        }
        seen.insert(*next);
        next = run->parentId;
        chain.push_back(std::move(run.value()));
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
}

QJsonObject lineageStepJson(const RunRecord& run) {
    QJsonObject model;
    if (run.model)
        model = QJsonObject{{QStringLiteral("path"), run.model->path},
                            {QStringLiteral("sha256"), run.model->sha256},
                            {QStringLiteral("parameters"), qint64(run.model->parameters)}};
    return QJsonObject{
        {QStringLiteral("run_id"), qint64(run.id)},
        {QStringLiteral("parent_run_id"),
         run.parentId ? QJsonValue(qint64(*run.parentId)) : QJsonValue()},
        {QStringLiteral("kind"), run.kind},
        {QStringLiteral("name"), run.name},
        {QStringLiteral("status"), runStatusName(run.status)},
        {QStringLiteral("model"), model.isEmpty() ? QJsonValue() : QJsonValue(model)},
        {QStringLiteral("settings"), keySettings(run)},
        {QStringLiteral("results"), keyResults(run)}};
}

std::optional<LineageFigures> lineageFigures(RunStore& store, const RunRecord& run,
                                             const std::vector<RunRecord>& runs) {
    if (!run.parentId)
        return std::nullopt;
    auto chain = runLineage(store, run.id);
    if (!chain || chain->empty() || !chain->front().model)
        return std::nullopt;
    const RunRecord& root = chain->front();
    LineageFigures f;
    f.rootRunId = root.id;
    f.rootSha256 = root.model->sha256;
    f.rootFp32Bytes = 4.0 * double(root.model->parameters);
    f.rootPpl = rootPerplexity(run, f.rootSha256, runs);
    return f;
}

void addLineageMetrics(RunRecord& run, const LineageFigures& figures) {
    if (const auto size = metric(run, "size_bytes"); size && figures.rootFp32Bytes > 0)
        run.metrics[QStringLiteral("size_fraction_of_original")] = {*size / figures.rootFp32Bytes,
                                                                    std::nullopt};
    if (const auto ppl = metric(run, "ppl"); ppl && *ppl > 0 && figures.rootPpl)
        run.metrics[QStringLiteral("retained_quality")] = {*figures.rootPpl / *ppl, std::nullopt};
}

void addOwnLineageMetrics(RunRecord& run, std::int64_t parameters) {
    LineageFigures own;
    own.rootFp32Bytes = 4.0 * double(parameters);
    own.rootPpl = metric(run, "base_ppl");
    const bool fp32Evaluation =
        run.kind == QLatin1String("evaluation") && !metric(run, "kld_mean") && !own.rootPpl;
    if (fp32Evaluation)
        own.rootPpl = metric(run, "ppl");
    addLineageMetrics(run, own);
}

Result<std::vector<RunRecord>> descendantRuns(RunStore& store, const QString& sha256) {
    auto all = store.list();
    if (!all)
        return all.error();
    std::vector<RunRecord> out;
    for (const RunRecord& r : *all) {
        if (r.status != RunStatus::Finished || !r.parentId || !r.model || r.model->sha256 == sha256)
            continue;
        auto figures = lineageFigures(store, r, *all);
        if (!figures || figures->rootSha256 != sha256)
            continue;
        RunRecord annotated = r;
        addLineageMetrics(annotated, *figures);
        out.push_back(std::move(annotated));
    }
    return out;
}

} // namespace cwb
