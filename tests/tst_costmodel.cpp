// SPDX-License-Identifier: GPL-3.0-or-later
// The cost model's arithmetic, worked by hand for one profile and workload.
#include "costmodel.h"

#include <QTest>

using namespace cwb;

class TestCostModel : public QObject {
    Q_OBJECT

    static HardwareProfile profile(double memoryGiB) {
        return {
            0,    QStringLiteral("test"), QStringLiteral("gpu"), memoryGiB, 100, 200, 50, 3.6, {},
            false};
    }
    // 1 GB of weights streamed per token, 1 GFLOP per token, 1 MB of KV per position.
    static ModelCost model() {
        ModelCost m;
        m.weightBytes = 1'000'000'000;
        m.decodeBytesPerToken = 1'000'000'000;
        m.flopsPerToken = 1e9;
        m.kvBytesPerToken = 1'000'000;
        return m;
    }

private slots:
    void byHand() {
        Workload w;
        w.promptTokens = 100;
        w.outputTokens = 50;
        w.queriesPerMonth = 1e6;
        Efficiency e;
        e.bandwidth = 0.5;
        e.compute = 0.4;
        const CostProjection p = projectCost(model(), {profile(80)}, w, e);
        const ProfileCost& c = p.profiles.at(0);
        // decode: 1e9 + 1e6 × (100 + 50/2) = 1.125e9 bytes a token; 100 GB/s × 0.5 / 1.125e9
        // = 44.444 t/s
        QVERIFY(std::abs(c.decodeTokensPerSecond - 50e9 / 1.125e9) < 1e-9);
        // prefill: fp16 peak 50 TFLOPS × 0.4 / 1e9 FLOP = 20,000 t/s
        QVERIFY(std::abs(c.prefillTokensPerSecond - 20000) < 1e-6);
        // one query: 100 / 20,000 + 50 / 44.444 = 0.005 + 1.125 = 1.13 s
        QVERIFY(std::abs(c.secondsPerQuery - 1.13) < 1e-9);
        // $3.60 an hour = $0.001 a second: 1.13 s a query → $1.13 per 1,000 queries
        QVERIFY(std::abs(c.dollarsPer1000Queries - 1.13) < 1e-9);
        // 1e6 queries × 1.13 s = 1.13e6 s a month, over 730 h × 3600 = 2.628e6 s: one instance,
        // running all month: 730 × $3.60 = $2,628
        QCOMPARE(c.instances, 1);
        QVERIFY(std::abs(c.dollarsPerMonth - 2628) < 1e-9);
        // memory: 1e9 × 1.1 + 1e6 × 150 = 1.25e9 bytes = 1.1642 GiB
        QVERIFY(std::abs(c.memoryNeededGiB - 1.25e9 / double(1ull << 30)) < 1e-12);
        QVERIFY(c.fits);
        QCOMPARE(p.cheapest, std::optional<std::size_t>(0));
        QVERIFY(!p.explanation.isEmpty());
    }

    void moreQueriesNeedMoreInstances() {
        Workload w;
        w.promptTokens = 100;
        w.outputTokens = 50;
        w.queriesPerMonth = 5e6; // 5.65e6 busy seconds: 3 instances of 2.628e6
        Efficiency e;
        e.bandwidth = 0.5;
        e.compute = 0.4;
        const ProfileCost c = projectCost(model(), {profile(80)}, w, e).profiles.at(0);
        QCOMPARE(c.instances, 3);
        QVERIFY(std::abs(c.dollarsPerMonth - 3 * 2628) < 1e-9);
    }

    void fitsBoundary() {
        Workload w;
        w.promptTokens = 100;
        w.outputTokens = 50;
        const double needed = 1.25e9 / double(1ull << 30);
        Efficiency e;
        auto p =
            projectCost(model(), {profile(needed), profile(std::nextafter(needed, 0.0))}, w, e);
        QVERIFY(p.profiles[0].fits);  // exactly enough memory fits
        QVERIFY(!p.profiles[1].fits); // a hair less does not
        QCOMPARE(p.cheapest, std::optional<std::size_t>(0));
        auto none = projectCost(model(), {profile(1.0)}, w, e);
        QVERIFY(!none.cheapest);
    }
};

QTEST_GUILESS_MAIN(TestCostModel)
#include "tst_costmodel.moc"
