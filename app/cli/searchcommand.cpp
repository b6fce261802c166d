// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "commoninputs.h"
#include "runstoreoptions.h"
#include "sensitivityoptions.h"
#include "terminal.h"

#include "engine.h"
#include "modelsummary.h"
#include "planevaluation.h"
#include "runrecorder.h"
#include "search.h"
#include "searchrecord.h"
#include "textfile.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace cwb::cli {

namespace {

double positiveNumber(const Arguments& a, const QString& name) {
    bool ok = false;
    const double v = a.value(name).toDouble(&ok);
    if (!ok || !(v > 0) || !std::isfinite(v))
        throw UsageError{
            QStringLiteral("--%1 must be a positive number, not '%2'").arg(name, a.value(name))};
    return v;
}

Budget budgetOf(const Arguments& a) {
    const QStringList kinds{QStringLiteral("budget-bpw"), QStringLiteral("budget-bytes"),
                            QStringLiteral("budget-cost")};
    QStringList given;
    for (const QString& k : kinds)
        if (a.has(k))
            given << k;
    if (given.size() != 1)
        throw UsageError{QStringLiteral("give exactly one of --budget-bpw X, --budget-bytes N, "
                                        "--budget-cost USD (with --hardware NAME)")};
    Budget b;
    b.value = positiveNumber(a, given.first());
    if (given.first() == kinds[1])
        b.kind = BudgetKind::Bytes;
    else if (given.first() == kinds[2])
        b.kind = BudgetKind::DollarsPer1000Queries;
    if (b.kind == BudgetKind::DollarsPer1000Queries && !a.has(QStringLiteral("hardware")))
        throw UsageError{
            QStringLiteral("--budget-cost needs --hardware NAME (see 'cwb hardware')")};
    return b;
}

std::vector<double> sweepOf(const Arguments& a) {
    if (!a.has(QStringLiteral("sweep")))
        return {};
    const QStringList parts = a.value(QStringLiteral("sweep")).split(QLatin1Char(':'));
    bool ok[3] = {false, false, false};
    double v[3] = {0, 0, 0};
    for (int i = 0; i < 3 && parts.size() == 3; ++i)
        v[i] = parts[i].toDouble(&ok[i]);
    if (!ok[0] || !ok[1] || !ok[2] || !(v[2] > 0) || !(v[0] > 0) || v[1] < v[0] ||
        (v[1] - v[0]) / v[2] > 200)
        throw UsageError{QStringLiteral("--sweep is FROM:TO:STEP in the budget's unit, at most "
                                        "200 steps, e.g. 3:8:0.5")};
    std::vector<double> values;
    for (int i = 0; v[0] + i * v[2] <= v[1] * (1 + 1e-12); ++i)
        values.push_back(v[0] + i * v[2]);
    return values;
}

struct Evaluated {
    SearchResult search;
    PlanEvaluation measured;
    std::int64_t runId = 0;
};

QJsonObject searchJson(const Evaluated& e, bool withTensors) {
    const SearchResult& s = e.search;
    QJsonObject o{
        {QStringLiteral("budget"), budgetJson(s.budget)},
        {QStringLiteral("kld_predicted"), s.predictedKld},
        {QStringLiteral("kld_predicted_additive"), s.predictedKldAdditive},
        {QStringLiteral("kld_mean"), e.measured.metrics.kldMean},
        {QStringLiteral("kld_stderr"), e.measured.metrics.kldStderr},
        {QStringLiteral("kld_p99"), e.measured.metrics.kldP99},
        {QStringLiteral("top1_agreement"), e.measured.metrics.top1Agreement},
        {QStringLiteral("ppl"), e.measured.metrics.ppl},
        {QStringLiteral("size_bytes"), qint64(s.size.totalBytes)},
        {QStringLiteral("bpw"), s.size.bitsPerWeight},
        {QStringLiteral("predicted_over_measured"),
         e.measured.metrics.kldMean > 0 ? s.predictedKld / e.measured.metrics.kldMean : 0.0},
        {QStringLiteral("solver_bound"), s.boundStatement},
        {QStringLiteral("run_id"), qint64(e.runId)},
    };
    if (s.dollarsPer1000Queries)
        o.insert(QStringLiteral("usd_per_1000_queries"), *s.dollarsPer1000Queries);
    if (withTensors) {
        QJsonArray tensors;
        for (const TensorDecision& t : s.tensors)
            tensors.append(QJsonObject{
                {QStringLiteral("tensor"), t.name},
                {QStringLiteral("precision"), QLatin1String(precisionInfo(t.precision).name)},
                {QStringLiteral("kld_predicted"), t.predictedKld},
                {QStringLiteral("bytes"), qint64(t.bytes)},
                {QStringLiteral("reason"), t.reason}});
        o.insert(QStringLiteral("tensors"), tensors);
        o.insert(QStringLiteral("plan"), s.plan.toJson());
    }
    return o;
}

// Evaluates a searched plan for real and records it as a "search" run.
Result<Evaluated> evaluateAndRecord(RunStore& store, const SensitivityInputs& in,
                                    const SensitivityResult& sensitivity, SearchResult search,
                                    std::optional<std::int64_t> parent, const Progress& progress) {
    RunRecord record = newRunRecord(QStringLiteral("search"), in.model.get(), invokedCommand());
    record.name = search.plan.name;
    record.plan = search.plan.toJson();
    record.evalText = {QFileInfo(in.textPath).absoluteFilePath(), sha256Hex(in.text), 0};
    if (in.stats)
        record.calibText = {in.stats->textPath, in.stats->textSha256, in.stats->tokens};
    record.settings = evalSettingsJson(in.options.eval);
    record.settings.insert(QStringLiteral("budget"), budgetJson(search.budget));
    record.threads = in.options.eval.threads > 0 ? in.options.eval.threads : defaultThreadCount();
    record.parentId = parent;
    auto started = RunRecorder::start(store, record);
    if (!started)
        return started.error();
    RunRecorder recorder = std::move(started.value());
    PlanEvaluationOptions o;
    o.eval = in.options.eval;
    o.stats = in.options.stats;
    auto measured = evaluatePlan(*in.model, in.text, search.plan, o, progress);
    if (!measured) {
        (void)recorder.fail(measured.error());
        return measured.error();
    }
    (void)recorder.finish(
        searchOutcome(*in.model, search, *measured, sensitivity.method, in.options.stats));
    return Evaluated{std::move(search), std::move(measured.value()), recorder.id()};
}

QString frontierRow(const Evaluated& e) {
    const SearchResult& s = e.search;
    return QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
        .arg(s.budget.describe(), -22)
        .arg(s.size.bitsPerWeight, 6, 'f', 3)
        .arg(formatBytes(s.size.totalBytes), 10)
        .arg(s.predictedKld, 11, 'e', 3)
        .arg(e.measured.metrics.kldMean, 11, 'e', 3)
        .arg(e.measured.metrics.kldMean > 0 ? s.predictedKld / e.measured.metrics.kldMean : 0.0, 8,
             'f', 2)
        .arg(e.runId, 6);
}

int runSearch(const Arguments& a) {
    Budget budget = budgetOf(a);
    const std::vector<double> sweep = sweepOf(a);
    const Workload workload = workloadFrom(a);
    std::optional<double> maxKld;
    if (a.has(QStringLiteral("max-kld")))
        maxKld = positiveNumber(a, QStringLiteral("max-kld"));
    installInterruptHandler();
    std::optional<RunRecorder> none;
    const Progress progress = terminalProgress(QStringLiteral("search"));
    auto store = openRunStore(a);
    if (!store)
        return failRun(none, store.error());
    if (budget.kind == BudgetKind::DollarsPer1000Queries) {
        auto profile = (*store)->hardwareProfile(a.value(QStringLiteral("hardware")));
        if (!profile)
            return failRun(none, profile.error());
        auto efficiency = efficiencyFromStore(**store, RunRecord{});
        if (!efficiency)
            return failRun(none, efficiency.error());
        budget.pricing = CostContext{*profile, workload, *efficiency};
    }
    auto inputs = loadSensitivityInputs(a, progress);
    if (!inputs)
        return failRun(none, inputs.error());
    const SensitivityInputs& in = **inputs;
    auto sensitivity = measureSensitivity(*in.model, in.text, in.options, progress);
    if (!sensitivity)
        return failRun(none, sensitivity.error());

    SearchOptions options;
    options.budget = budget;
    options.maxKld = maxKld;
    auto found = searchPlan(*in.model, *sensitivity, options);
    if (!found)
        return failRun(none, found.error());
    if (a.has(QStringLiteral("out")))
        if (auto saved = savePlanFile(found->plan, a.value(QStringLiteral("out"))); !saved)
            return failRun(none, saved.error());
    auto main = evaluateAndRecord(**store, in, *sensitivity, std::move(found.value()), std::nullopt,
                                  progress);
    if (!main)
        return failRun(none, main.error());

    std::vector<Evaluated> frontier;
    QStringList skipped;
    if (!sweep.empty()) {
        const Frontier f = searchFrontier(*in.model, *sensitivity, options, sweep);
        skipped = f.skipped;
        for (const SearchResult& s : f.plans) {
            auto e = evaluateAndRecord(**store, in, *sensitivity, s, main->runId, progress);
            if (!e)
                return failRun(none, e.error());
            frontier.push_back(std::move(e.value()));
        }
    }
    finishProgressLine();
    for (const QString& w : sensitivity->warnings + main->measured.warnings)
        printWarning(w);

    if (a.flag(QStringLiteral("json"))) {
        QJsonObject json = searchJson(*main, true);
        json.insert(QStringLiteral("model"), in.model->path);
        json.insert(QStringLiteral("method"), methodName(sensitivity->method));
        const QJsonObject sensitivityJson = sensitivity->toJson();
        json.insert(QStringLiteral("sensitivity_cost"),
                    sensitivityJson.value(QStringLiteral("cost")));
        json.insert(QStringLiteral("joint_weight"), sensitivity->jointWeight);
        json.insert(QStringLiteral("probes"), sensitivityJson.value(QStringLiteral("probes")));
        if (!sweep.empty()) {
            QJsonArray rows;
            for (const Evaluated& e : frontier)
                rows.append(searchJson(e, false));
            json.insert(QStringLiteral("frontier"), rows);
            json.insert(QStringLiteral("skipped"), QJsonArray::fromStringList(skipped));
        }
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    const SearchResult& s = main->search;
    QString out =
        QStringLiteral("model      %1\nbudget     %2\nmethod     %3\nplan       %4 "
                       "(%5, %6 bpw)%7\n\n")
            .arg(QFileInfo(in.model->path).fileName(), s.budget.describe(),
                 methodName(sensitivity->method), s.plan.name, formatBytes(s.size.totalBytes))
            .arg(s.size.bitsPerWeight, 0, 'f', 3)
            .arg(a.has(QStringLiteral("out"))
                     ? QStringLiteral(", written to %1").arg(a.value(QStringLiteral("out")))
                     : QString());
    for (const TensorDecision& t : s.tensors)
        out += QStringLiteral("%1 %2 %3\n")
                   .arg(t.name, -28)
                   .arg(QLatin1String(precisionInfo(t.precision).name), -14)
                   .arg(t.reason);
    out += QStringLiteral("\nKLD        predicted %1 (the joint model: the tensors' own losses "
                          "summed, %6, and their logit shifts summed, weighted %7 as the probe "
                          "plans measured), measured %2 ± %3 (predicted/measured %4)\nsolver     "
                          "%5\n")
               .arg(s.predictedKld, 0, 'e', 3)
               .arg(main->measured.metrics.kldMean, 0, 'e', 3)
               .arg(main->measured.metrics.kldStderr, 0, 'e', 1)
               .arg(main->measured.metrics.kldMean > 0
                        ? s.predictedKld / main->measured.metrics.kldMean
                        : 0.0,
                    0, 'f', 2)
               .arg(s.boundStatement)
               .arg(s.predictedKldAdditive, 0, 'e', 3)
               .arg(sensitivity->jointWeight, 0, 'f', 2);
    if (s.dollarsPer1000Queries)
        out += QStringLiteral("cost       $%1 per 1,000 queries on %2\n")
                   .arg(*s.dollarsPer1000Queries, 0, 'g', 4)
                   .arg(s.budget.pricing->profile.name);
    if (!sweep.empty()) {
        out += QStringLiteral("\nfrontier\n%1 %2 %3 %4 %5 %6 %7\n")
                   .arg(QStringLiteral("budget"), -22)
                   .arg(QStringLiteral("bpw"), 6)
                   .arg(QStringLiteral("size"), 10)
                   .arg(QStringLiteral("predicted"), 11)
                   .arg(QStringLiteral("measured"), 11)
                   .arg(QStringLiteral("pred/meas"), 8)
                   .arg(QStringLiteral("run"), 6);
        for (const Evaluated& e : frontier)
            out += frontierRow(e);
        for (const QString& reason : skipped)
            out += QStringLiteral("skipped: %1\n").arg(reason);
    }
    out += QStringLiteral("\nrun %1, recorded in %2\n").arg(main->runId).arg((*store)->path());
    printOut(out);
    return 0;
}

} // namespace

Command searchCommand() {
    std::vector<Option> options = {
        {QStringLiteral("budget-bpw"), QStringLiteral("X"),
         QStringLiteral("bits per weight of the matrices, scales included")},
        {QStringLiteral("budget-bytes"), QStringLiteral("N"),
         QStringLiteral("total bytes of the model")},
        {QStringLiteral("budget-cost"), QStringLiteral("USD"),
         QStringLiteral("$ per 1,000 queries on --hardware")},
        {QStringLiteral("hardware"), QStringLiteral("NAME"),
         QStringLiteral("hardware profile that prices --budget-cost")},
        {QStringLiteral("workload"), QStringLiteral("P:O:Q"),
         QStringLiteral("with --budget-cost: prompt and output tokens per query, queries a month "
                        "(default 512:128:1e6)")},
        {QStringLiteral("max-kld"), QStringLiteral("K"),
         QStringLiteral("fail unless the best plan's predicted mean KLD is at most K")},
        {QStringLiteral("out"), QStringLiteral("PLAN.json"),
         QStringLiteral("write the plan found")},
        {QStringLiteral("sweep"), QStringLiteral("A:B:STEP"),
         QStringLiteral("also search budgets A, A+STEP, … B (the budget's unit) and evaluate each: "
                        "the frontier")},
    };
    for (const Option& o : sensitivityOptionTable())
        options.push_back(o);
    options.push_back(dbOption());
    options.push_back(
        {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")});
    return Command{
        QStringLiteral("search"),
        QStringLiteral("MODEL --text FILE --budget-bpw X | --budget-bytes N | --budget-cost USD "
                       "--hardware NAME [--max-kld K] [--out PLAN.json] [--sweep A:B:STEP] "
                       "[options]"),
        QStringLiteral("Find the per-tensor precisions with the least summed KLD of the tensors "
                       "alone within a budget, predict the plan's KLD with the joint loss model; "
                       "evaluate the plan and record it."),
        {QStringLiteral("MODEL")},
        options,
        runSearch,
    };
}

} // namespace cwb::cli
