// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "commoninputs.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include "costmodel.h"
#include "modelsummary.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSysInfo>

namespace cwb::cli {

namespace {

// The efficiency calibration: a given benchmark run, else what the store's benchmarks say.
Result<Efficiency> efficiencyFor(RunStore& store, const RunRecord& run, const Arguments& a) {
    if (a.has(QStringLiteral("bench"))) {
        auto b = store.get(a.value(QStringLiteral("bench")).toLongLong());
        if (!b)
            return b.error();
        auto e = efficiencyOf(*b);
        if (!e)
            return Error{
                QStringLiteral(
                    "run %1 is not a finished benchmark with bandwidth and matmul measurements")
                    .arg(b->id)};
        return *e;
    }
    return efficiencyFromStore(store, run);
}

int runCost(const Arguments& a) {
    bool ok = false;
    const qint64 id = a.positional[0].toLongLong(&ok);
    if (!ok || id <= 0)
        throw UsageError{QStringLiteral("'%1' is not a run id").arg(a.positional[0])};
    const Workload workload = workloadFrom(a);
    auto store = openRunStore(a);
    if (!store) {
        printError(store.error().message);
        return 1;
    }
    auto run = (*store)->get(id);
    if (!run) {
        printError(run.error().message);
        return 1;
    }
    const auto model = modelCostOf(*run);
    if (!model) {
        printError(
            QStringLiteral("run %1 has no size to price (evaluate or benchmark a plan first)")
                .arg(id));
        return 1;
    }
    auto profiles = (*store)->hardwareProfiles();
    if (!profiles) {
        printError(profiles.error().message);
        return 1;
    }
    auto efficiency = efficiencyFor(**store, *run, a);
    if (!efficiency) {
        printError(efficiency.error().message);
        return 1;
    }
    const CostProjection p = projectCost(*model, *profiles, workload, *efficiency);
    if (a.flag(QStringLiteral("json"))) {
        QJsonArray rows;
        for (const ProfileCost& c : p.profiles)
            rows.append(
                QJsonObject{{QStringLiteral("profile"), c.profile.name},
                            {QStringLiteral("fits"), c.fits},
                            {QStringLiteral("memory_needed_gib"), c.memoryNeededGiB},
                            {QStringLiteral("prefill_tok_s"), c.prefillTokensPerSecond},
                            {QStringLiteral("decode_tok_s"), c.decodeTokensPerSecond},
                            {QStringLiteral("seconds_per_query"), c.secondsPerQuery},
                            {QStringLiteral("usd_per_1000_queries"), c.dollarsPer1000Queries},
                            {QStringLiteral("instances"), c.instances},
                            {QStringLiteral("usd_per_month"), c.dollarsPerMonth}});
        QJsonObject json{
            {QStringLiteral("run_id"), id},
            {QStringLiteral("workload"),
             QJsonObject{{QStringLiteral("prompt_tokens"), workload.promptTokens},
                         {QStringLiteral("output_tokens"), workload.outputTokens},
                         {QStringLiteral("queries_per_month"), workload.queriesPerMonth}}},
            {QStringLiteral("efficiency"),
             QJsonObject{{QStringLiteral("bandwidth"), p.efficiency.bandwidth},
                         {QStringLiteral("compute"), p.efficiency.compute},
                         {QStringLiteral("measured"), p.efficiency.measured},
                         {QStringLiteral("source"), p.efficiency.source}}},
            {QStringLiteral("profiles"), rows},
            {QStringLiteral("explanation"), QJsonArray::fromStringList(p.explanation)}};
        if (p.cheapest)
            json.insert(QStringLiteral("cheapest"), p.profiles[*p.cheapest].profile.name);
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    QString out = QStringLiteral(
                      "run %1 (%2), %3 prompt + %4 output tokens per query, %5 queries a month\n\n")
                      .arg(id)
                      .arg(run->name)
                      .arg(workload.promptTokens)
                      .arg(workload.outputTokens)
                      .arg(workload.queriesPerMonth, 0, 'g', 4);
    out += QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
               .arg(QStringLiteral("profile"), -30)
               .arg(QStringLiteral("fits"), -5)
               .arg(QStringLiteral("prefill t/s"), 12)
               .arg(QStringLiteral("decode t/s"), 11)
               .arg(QStringLiteral("$/1k queries"), 13)
               .arg(QStringLiteral("instances"), 9)
               .arg(QStringLiteral("$/month"), 11);
    for (std::size_t i = 0; i < p.profiles.size(); ++i) {
        const ProfileCost& c = p.profiles[i];
        out += QStringLiteral("%1 %2 %3 %4 %5 %6 %7%8\n")
                   .arg(c.profile.name, -30)
                   .arg(c.fits ? QStringLiteral("yes") : QStringLiteral("no"), -5)
                   .arg(c.prefillTokensPerSecond, 12, 'f', 0)
                   .arg(c.decodeTokensPerSecond, 11, 'f', 1)
                   .arg(c.dollarsPer1000Queries, 13, 'f', 4)
                   .arg(c.instances, 9)
                   .arg(c.dollarsPerMonth, 11, 'f', 0)
                   .arg(p.cheapest == i ? QStringLiteral("  ← cheapest that fits") : QString());
    }
    if (!p.cheapest)
        out += QStringLiteral("\nno profile has the %1 GiB this model needs\n")
                   .arg(p.profiles.empty() ? 0.0 : p.profiles[0].memoryNeededGiB, 0, 'f', 2);
    out += QStringLiteral("\nhow it is computed:\n");
    for (const QString& line : p.explanation)
        out += QStringLiteral("  %1\n").arg(line);
    printOut(out);
    return 0;
}

} // namespace

Command costCommand() {
    return Command{
        QStringLiteral("cost"),
        QStringLiteral("RUN [--workload PROMPT:OUTPUT:QUERIES] [--bench RUN] [--json]"),
        QStringLiteral("What serving a run's model would cost on each hardware profile."),
        {QStringLiteral("RUN")},
        {
            {QStringLiteral("workload"), QStringLiteral("P:O:Q"),
             QStringLiteral(
                 "prompt and output tokens per query, queries per month (default 512:128:1e6)")},
            {QStringLiteral("bench"), QStringLiteral("RUN"),
             QStringLiteral(
                 "the benchmark run whose measured efficiency calibrates the projection")},
            dbOption(),
            {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
        },
        runCost,
    };
}

} // namespace cwb::cli
