// SPDX-License-Identifier: GPL-3.0-or-later
#include "testassets.h"

#include "calibration.h"
#include "model.h"
#include "precision.h"
#include "quantmethods.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <random>

using namespace cwb;

namespace {

std::shared_ptr<const Model> demo() {
    return loadModel(cwbtest::stories260KBin()).value();
}

CalibrationText trainingText() {
    auto t = readCalibrationText(
        cwbtest::asset(QStringLiteral("tinystories-train-2MiB/tinystories_train_first2MiB.txt")));
    if (!t)
        qFatal("%s", qPrintable(t.error().message));
    return t.value();
}

CalibrationOptions small(int sequences) {
    CalibrationOptions o;
    o.sequences = sequences;
    o.sequenceLength = 128;
    o.threads = 2;
    return o;
}

std::size_t siteBytes(const CalibrationStats& s) {
    std::size_t n = 0;
    for (const auto& [name, c] : s.sites)
        n += c.absMax.size() * 4 + c.sumSquares.size() * 8 + c.sumAbs.size() * 8 +
             c.hessian.size() * 8 + c.samples.size() * 4 + c.histogram.bins().size() * 8;
    return n;
}

} // namespace

class TestCalibration : public QObject {
    Q_OBJECT

private slots:
    void collectsEveryMatmulInput() {
        const auto model = demo();
        auto stats = calibrate(*model, trainingText(), small(8));
        QVERIFY(stats);
        QCOMPARE(stats->sites.size(),
                 std::size_t(5 * 4 + 1)); // 4 inputs per block, the classifier's
        const ChannelStats* down = stats->site({2, SiteKind::DownInput});
        QVERIFY(down);
        QCOMPARE(down->channels, 172);
        QCOMPARE(down->rows, std::int64_t(8 * 128));
        QCOMPARE(down->hessian.size(), std::size_t(172 * 172));
        // Mean square is Σx²/n, and the absmax bounds every channel's mean |x|.
        for (int j = 0; j < down->channels; ++j) {
            QVERIFY(down->meanSquare(j) >= 0);
            QVERIFY(down->meanAbs(j) <= double(down->absMax[std::size_t(j)]) + 1e-6);
        }
        std::uint64_t counted = 0;
        for (auto b : down->histogram.bins())
            counted += b;
        QCOMPARE(counted, std::uint64_t(8 * 128 * 172));
        QCOMPARE(stats->tokens, std::int64_t(8 * 128));
        QCOMPARE(stats->sequenceTokens.size(), std::size_t(8));
    }

    void deterministicAndRoundTrips() {
        const auto model = demo();
        auto a = calibrate(*model, trainingText(), small(8));
        auto b = calibrate(*model, trainingText(), small(8));
        QVERIFY(a && b);
        QCOMPARE(a->serialize(), b->serialize()); // same inputs, same bytes
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.stats"));
        QVERIFY(a->save(path));
        auto loaded = CalibrationStats::load(path);
        QVERIFY(loaded);
        QCOMPARE(loaded->serialize(), a->serialize());
    }

    void memoryGrowsWithTheModelNotTheText() {
        const auto model = demo();
        auto few = calibrate(*model, trainingText(), small(4));
        auto many = calibrate(*model, trainingText(), small(32));
        QVERIFY(few && many);
        QCOMPARE(many->tokens, 8 * few->tokens);
        QCOMPARE(siteBytes(*many), siteBytes(*few)); // accumulated, not kept per token
    }

    void textProblems() {
        const auto model = demo();
        auto empty = parseCalibrationText(QStringLiteral("e.txt"), QByteArray("  \n"), false);
        QVERIFY(!empty);
        QVERIFY(empty.error().message.contains(QLatin1String("empty")));
        auto shortText =
            parseCalibrationText(QStringLiteral("s.txt"), QByteArray("Once upon a time."), false);
        QVERIFY(shortText);
        auto cut = cutCalibrationText(*model, *shortText, small(4));
        QVERIFY(!cut);
        QVERIFY2(cut.error().message.contains(QLatin1String("0 sequences of 128")),
                 qPrintable(cut.error().message));
        QVERIFY(!parseCalibrationText(QStringLiteral("bad.txt"), QByteArray("caf\xe9"), false));
    }

    void jsonLines() {
        auto ok = parseCalibrationText(
            QStringLiteral("c.jsonl"),
            QByteArray("{\"text\": \"One day.\"}\n\n{\"text\": \"Then.\", \"id\": 2}\n"), true);
        QVERIFY(ok);
        QCOMPARE(ok->documents.size(), 2);
        QCOMPARE(ok->documents[1], QByteArray("Then."));
        auto badJson = parseCalibrationText(QStringLiteral("c.jsonl"),
                                            QByteArray("{\"text\": \"a\"}\n{\"text\": \n"), true);
        QVERIFY(!badJson);
        QVERIFY2(badJson.error().message.contains(QLatin1String("line 2")),
                 qPrintable(badJson.error().message));
        auto noText =
            parseCalibrationText(QStringLiteral("c.jsonl"),
                                 QByteArray("{\"text\": \"a\"}\n\n{\"body\": \"b\"}\n"), true);
        QVERIFY(!noText);
        QVERIFY2(noText.error().message.contains(QLatin1String("line 3")) &&
                     noText.error().message.contains(QLatin1String("\"text\"")),
                 qPrintable(noText.error().message));
        QTemporaryDir dir;
        QFile f(dir.filePath(QStringLiteral("data.jsonl")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"text\": \"Once upon a time there was a cat.\"}\n");
        f.close();
        auto read = readCalibrationText(f.fileName());
        QVERIFY(read);
        QCOMPARE(read->documents.first(), QByteArray("Once upon a time there was a cat."));
    }

    void hostileStatsFiles() {
        const auto model = demo();
        auto stats = calibrate(*model, trainingText(), small(2));
        QVERIFY(stats);
        const QByteArray good = stats->serialize();
        for (qsizetype cut :
             {qsizetype(0), qsizetype(10), qsizetype(200), good.size() / 2, good.size() - 1}) {
            auto r = CalibrationStats::deserialize(good.left(cut));
            QVERIFY(!r);
            QVERIFY(r.error().message.startsWith(QLatin1String("not a usable statistics file")));
        }
        QByteArray hugeHeader = good;
        const std::uint64_t huge = 1ull << 60;
        std::memcpy(hugeHeader.data() + 8, &huge, 8);
        QVERIFY(!CalibrationStats::deserialize(hugeHeader));
        QVERIFY(!CalibrationStats::deserialize(good + QByteArray("x")));
        QVERIFY(!CalibrationStats::load(QStringLiteral("/nonexistent.stats")));
    }

    void histogramsWidenWithoutLosingCounts() {
        Histogram h;
        std::mt19937 rng(3);
        std::normal_distribution<float> normal(0, 1);
        std::uint64_t n = 0;
        for (int i = 0; i < 10000; ++i, ++n)
            h.add(normal(rng) * (i < 5000 ? 0.01f : 10.0f));
        std::uint64_t total = 0;
        for (auto b : h.bins())
            total += b;
        QCOMPARE(total, n);
        QVERIFY(h.range() >= 30 && std::exp2(std::round(std::log2(h.range()))) == h.range());
    }

    void gridsPackExactly() {
        // Whatever integers a method picks, packing them on a grid and decoding gives the grid's
        // values: what GPTQ computes with is what the file holds.
        std::mt19937 rng(5);
        std::normal_distribution<float> normal(0, 0.05f);
        for (const PrecisionInfo& p : precisions()) {
            if (!p.grid)
                continue;
            const std::int64_t k = 172;
            std::vector<float> row(static_cast<std::size_t>(k));
            for (float& v : row)
                v = normal(rng);
            const auto span = std::size_t(gridSpan(p, k));
            std::vector<QuantGrid> grids;
            std::vector<int> q(static_cast<std::size_t>(k));
            std::vector<float> expected(static_cast<std::size_t>(k));
            for (std::size_t b = 0; b * span < std::size_t(k); ++b) {
                const std::size_t len = std::min(span, std::size_t(k) - b * span);
                grids.push_back(p.grid(std::span<const float>(row).subspan(b * span, len)));
                for (std::size_t j = b * span; j < b * span + len; ++j) {
                    q[j] = grids.back().nearest(row[j]) +
                           (j % 3 == 0 ? -1 : 0); // not always the nearest
                    q[j] = std::clamp(q[j], grids.back().qmin, grids.back().qmax);
                    expected[j] = grids.back().value(q[j]);
                }
            }
            std::vector<std::uint8_t> packed(packedRowBytes(p.id, k));
            p.packRow(q, grids, packed);
            std::vector<float> decoded(static_cast<std::size_t>(k));
            p.dequantizeRow(packed, decoded);
            QVERIFY2(decoded == expected, p.name);
        }
    }

    void gptqLowersTheLayerOutputError() {
        // Correlated inputs, as real activations are: GPTQ's compensation pays exactly there.
        std::mt19937 rng(9);
        std::normal_distribution<float> normal(0, 1);
        const int k = 128, n = 64, samples = 512;
        std::vector<float> x(std::size_t(samples * k)), w(std::size_t(n * k));
        for (int s = 0; s < samples; ++s) {
            const float common = normal(rng);
            for (int j = 0; j < k; ++j)
                x[std::size_t(s * k + j)] = common * (1.0f + float(j % 7)) + 0.3f * normal(rng);
        }
        for (float& v : w)
            v = 0.05f * normal(rng);
        std::vector<double> h(std::size_t(k * k), 0.0);
        for (int s = 0; s < samples; ++s)
            for (int i = 0; i < k; ++i)
                for (int j = 0; j < k; ++j)
                    h[std::size_t(i * k + j)] +=
                        double(x[std::size_t(s * k + i)]) * x[std::size_t(s * k + j)];
        auto outputError = [&](const QuantizedMatrix& q) {
            const auto wq = dequantizeMatrix(q);
            double e = 0;
            for (int s = 0; s < samples; ++s)
                for (int o = 0; o < n; ++o) {
                    double d = 0;
                    for (int j = 0; j < k; ++j)
                        d += double(x[std::size_t(s * k + j)]) *
                             (wq[std::size_t(o * k + j)] - w[std::size_t(o * k + j)]);
                    e += d * d;
                }
            return e;
        };
        for (PrecisionId id : {PrecisionId::Int4G32, PrecisionId::Int4G32Asym, PrecisionId::Int8,
                               PrecisionId::Int2G16}) {
            QStringList warnings;
            auto gptq =
                gptqQuantize(id, w, k, h, samples, MethodOptions{}, QStringLiteral("w"), warnings);
            auto rtn = quantizeMatrix(id, w, k, QStringLiteral("w"));
            QVERIFY(gptq && rtn);
            QVERIFY(warnings.isEmpty());
            QCOMPARE(gptq->data.size(), rtn->data.size()); // the same layout and size
            const double e1 = outputError(*gptq), e0 = outputError(*rtn);
            qInfo("%s: output error rtn %.4g, gptq %.4g (%.2fx)", precisionInfo(id).name, e0, e1,
                  e1 / e0);
            QVERIFY(e1 < 0.7 * e0);
        }
    }
};

QTEST_GUILESS_MAIN(TestCalibration)
#include "tst_calibration.moc"
