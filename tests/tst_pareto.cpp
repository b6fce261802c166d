// SPDX-License-Identifier: GPL-3.0-or-later
// The Pareto frontier against a brute-force check, on random points with ties and duplicates, for
// every pair of directions; and the run metrics the trade-off explorer plots.
#include "pareto.h"
#include "runmetrics.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace cwb;

namespace {

// Written apart from dominates(): a point is off the front if some other point is no worse on both
// axes and better on one.
std::vector<std::size_t> bruteForceFront(const std::vector<ParetoPoint>& p, Better bx, Better by) {
    auto better = [](double a, double b, Better d) { return d == Better::Lower ? a < b : a > b; };
    auto noWorse = [&](double a, double b, Better d) { return a == b || better(a, b, d); };
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (std::isnan(p[i].x) || std::isnan(p[i].y))
            continue;
        bool dominated = false;
        for (std::size_t j = 0; j < p.size() && !dominated; ++j)
            dominated = j != i && !std::isnan(p[j].x) && !std::isnan(p[j].y) &&
                        noWorse(p[j].x, p[i].x, bx) && noWorse(p[j].y, p[i].y, by) &&
                        (better(p[j].x, p[i].x, bx) || better(p[j].y, p[i].y, by));
        if (!dominated)
            front.push_back(i);
    }
    return front;
}

std::vector<std::size_t> sorted(std::vector<std::size_t> v) {
    std::sort(v.begin(), v.end());
    return v;
}

} // namespace

class TestPareto : public QObject {
    Q_OBJECT

private slots:
    void byHand() {
        // Size (lower better) against ΔPPL (lower better).
        const std::vector<ParetoPoint> p = {
            {1.0, 9.0}, // smallest: on the front
            {2.0, 4.0}, // on
            {2.5, 4.0}, // bigger for the same loss: off
            {3.0, 1.0}, // on
            {4.0, 1.0}, // off
            {5.0, 0.0}, // largest but lossless: on
            {2.0, 4.0}, // a duplicate of an on-front point: on as well
        };
        const auto front = paretoFront(p, Better::Lower, Better::Lower);
        QCOMPARE(front, (std::vector<std::size_t>{0, 1, 6, 3, 5}));
        QVERIFY(dominates(p[1], p[2], Better::Lower, Better::Lower));
        QVERIFY(!dominates(p[1], p[6], Better::Lower, Better::Lower));
    }

    void higherIsBetterFlipsTheFront() {
        // Size against top-1 agreement (higher better): the front runs the other way.
        const std::vector<ParetoPoint> p = {{1, 0.5}, {2, 0.9}, {3, 0.8}, {4, 0.99}, {0.5, 0.4}};
        QCOMPARE(sorted(paretoFront(p, Better::Lower, Better::Higher)),
                 (std::vector<std::size_t>{0, 1, 3, 4}));
        QCOMPARE(sorted(paretoFront(p, Better::Higher, Better::Higher)),
                 (std::vector<std::size_t>{3}));
    }

    void nanIsNeverOnTheFront() {
        const std::vector<ParetoPoint> p = {{1, 1}, {std::nan(""), 0}, {0, std::nan("")}};
        QCOMPARE(paretoFront(p, Better::Lower, Better::Lower), (std::vector<std::size_t>{0}));
        QVERIFY(paretoFront({}, Better::Lower, Better::Lower).empty());
    }

    void matchesBruteForce_data() {
        QTest::addColumn<int>("xDir");
        QTest::addColumn<int>("yDir");
        for (int x = 0; x < 2; ++x)
            for (int y = 0; y < 2; ++y)
                QTest::addRow("%s/%s", x ? "higher" : "lower", y ? "higher" : "lower") << x << y;
    }
    void matchesBruteForce() {
        QFETCH(int, xDir);
        QFETCH(int, yDir);
        const Better bx = xDir ? Better::Higher : Better::Lower;
        const Better by = yDir ? Better::Higher : Better::Lower;
        QRandomGenerator random(42 + xDir * 2 + yDir);
        for (int trial = 0; trial < 300; ++trial) {
            // A coarse grid makes ties and duplicates common; a fine one, general position.
            const int grid = trial % 2 ? 6 : 1000;
            std::vector<ParetoPoint> p(std::size_t(random.bounded(0, 40)));
            for (ParetoPoint& q : p)
                q = {double(random.bounded(grid)), double(random.bounded(grid))};
            const auto front = paretoFront(p, bx, by);
            QCOMPARE(sorted(front), bruteForceFront(p, bx, by));
            // Ordered by x, then y.
            for (std::size_t i = 1; i < front.size(); ++i) {
                const ParetoPoint& a = p[front[i - 1]];
                const ParetoPoint& b = p[front[i]];
                QVERIFY(a.x < b.x || (a.x == b.x && a.y <= b.y));
            }
        }
    }

    void runMetricsReadTheStoredValues() {
        RunRecord run;
        run.metrics[QStringLiteral("delta_ppl_percent")] = {3.5, 0.2};
        run.metrics[QStringLiteral("top1_agreement")] = {0.93, std::nullopt};
        const CostAssumptions none;
        QCOMPARE(runMetricValue(run, RunMetric::DeltaPplPercent, none), std::optional(3.5));
        QCOMPARE(runMetricValue(run, RunMetric::Top1Agreement, none), std::optional(0.93));
        QCOMPARE(runMetricInfo(RunMetric::Top1Agreement).displayScale, 100.0);
        QCOMPARE(runMetricInfo(RunMetric::Top1Agreement).better, Better::Higher);
        QVERIFY(!runMetricValue(run, RunMetric::DecodeTokensPerSecond, none));
        QVERIFY(!runMetricValue(run, RunMetric::DollarsPer1000Queries, none));
        for (const RunMetricInfo& m : runMetrics()) {
            QCOMPARE(runMetricByKey(QLatin1String(m.key)), std::optional(m.id));
            const QString d = runMetricDescription(m.id);
            QVERIFY2(d.endsWith(QLatin1Char('.')) && d.size() > 20, m.key);
        }
    }

    void dollarsPer1000QueriesAreTheCostModels() {
        RunRecord run;
        run.model = ModelIdentity{};
        run.model->parameters = 1'000'000;
        run.model->config =
            QJsonObject{{QStringLiteral("layers"), 4},       {QStringLiteral("kv_heads"), 2},
                        {QStringLiteral("head_dim"), 16},    {QStringLiteral("dim"), 64},
                        {QStringLiteral("vocab_size"), 512}, {QStringLiteral("tied_output"), true}};
        run.metrics[QStringLiteral("size_bytes")] = {500'000, std::nullopt};
        run.metrics[QStringLiteral("bpw")] = {4.5, std::nullopt};
        CostAssumptions cost;
        HardwareProfile cheap{
            0, QStringLiteral("cheap"), QStringLiteral("cpu"), 4, 15, 0.4, 0.2, 0.03, {}, false};
        HardwareProfile big{
            0, QStringLiteral("big"), QStringLiteral("gpu"), 80, 2000, 600, 300, 3.0, {}, false};
        cost.profiles = {big, cheap};
        const CostProjection p =
            projectCost(*modelCostOf(run), cost.profiles, cost.workload, cost.efficiency);
        QVERIFY(p.cheapest);
        QCOMPARE(runMetricValue(run, RunMetric::DollarsPer1000Queries, cost),
                 std::optional(p.profiles.at(*p.cheapest).dollarsPer1000Queries));
        cost.profile = QStringLiteral("big");
        QCOMPARE(runMetricValue(run, RunMetric::DollarsPer1000Queries, cost),
                 std::optional(p.profiles.at(0).dollarsPer1000Queries));
        cost.profile = QStringLiteral("no such machine");
        QVERIFY(!runMetricValue(run, RunMetric::DollarsPer1000Queries, cost));
    }
};

QTEST_GUILESS_MAIN(TestPareto)
#include "tst_pareto.moc"
