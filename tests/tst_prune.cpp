// SPDX-License-Identifier: GPL-3.0-or-later
#include "testassets.h"

#include "calibration.h"
#include "engine.h"
#include "ggufexport.h"
#include "model.h"
#include "prune.h"
#include "pruneevaluation.h"
#include "tensorvalues.h"
#include "textfile.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace cwb;

namespace {

std::vector<float> valuesOf(const Model& m, const QString& name) {
    std::vector<float> scratch;
    const Tensor* t = m.find(name);
    if (!t)
        return {};
    const auto v = decodedValues(*t, scratch);
    return {v.begin(), v.end()};
}

std::vector<float> logitsOf(const Model& m, const std::vector<std::int32_t>& tokens) {
    auto weights = WeightSet::fromModel(m);
    auto engine = Engine::create(std::move(weights.value()), EngineOptions{1});
    KvCache cache(m.config, int(tokens.size()));
    std::vector<float> logits;
    (void)(*engine)->forward(cache, tokens, 0, logits);
    return logits;
}

PrunePlan rulePlan(PruneMethod method, double sparsity) {
    PrunePlan p;
    p.rules.push_back(
        {QStringLiteral("blk\\.[0-9]+\\.(attn_(q|k|v|output)|ffn_(gate|up|down))\\.weight"), method,
         sparsity});
    return p;
}

} // namespace

class TestPrune : public QObject {
    Q_OBJECT

    std::shared_ptr<const Model> m_model;
    CalibrationStats m_stats;
    QByteArray m_validation;

private slots:
    void initTestCase() {
        auto model = loadModel(cwbtest::stories260KBin());
        QVERIFY2(model, qPrintable(model ? QString() : model.error().message));
        m_model = *model;
        auto text = readCalibrationText(
            cwbtest::source(QStringLiteral("resources/texts/tinystories-train-512k.txt")));
        QVERIFY(text);
        CalibrationOptions o;
        o.sequences = 16;
        o.sequenceLength = 128;
        o.hessians = false;
        o.sampleRows = 0;
        auto stats = calibrate(*m_model, *text, o);
        QVERIFY(stats);
        m_stats = std::move(stats.value());
        auto valid = readTextFile(cwbtest::validationText());
        QVERIFY(valid);
        m_validation = *valid;
    }

    // The claim: Wanda's activation-aware score loses less than magnitude at 50%.
    void wandaBeatsMagnitudeAtHalfSparsity() {
        EvalOptions eo;
        eo.split = SplitMode::Documents;
        eo.maxTokens = 3000;
        eo.threads = 1;
        auto magnitude = pruneModel(*m_model, rulePlan(PruneMethod::Magnitude, 0.5), nullptr);
        auto wanda = pruneModel(*m_model, rulePlan(PruneMethod::Wanda, 0.5), &m_stats);
        QVERIFY(magnitude && wanda);
        auto kldMagnitude = compareModels(*m_model, *magnitude->model, m_validation, eo);
        auto kldWanda = compareModels(*m_model, *wanda->model, m_validation, eo);
        QVERIFY(kldMagnitude && kldWanda);
        qInfo("KLD at 50%%: magnitude %.4f, wanda %.4f", kldMagnitude->kldMean, kldWanda->kldMean);
        QVERIFY(kldWanda->kldMean < kldMagnitude->kldMean);
        QVERIFY(kldWanda->kldMean > 0.01); // something was pruned

        // Sizes: half the matrix weights are zero, a sparse format saves, the dense file does not.
        for (const TensorSparsity& t : wanda->tensors)
            if (!t.method.isEmpty()) {
                QCOMPARE(t.sparsity(), 0.5);
                QVERIFY(t.sparseBytes < t.denseBytes);
            }
        QCOMPARE(wanda->denseBytes, std::uint64_t(m_model->parameterCount()) * 4);
        QVERIFY(wanda->sparseBytes < wanda->denseBytes);
    }

    void lowSparsityIsNoSaving() {
        auto pruned = pruneModel(*m_model, rulePlan(PruneMethod::Magnitude, 0.02), nullptr);
        QVERIFY(pruned);
        // A bitmask and 98% of the values take more than the dense tensor: counted as no saving.
        for (const TensorSparsity& t : pruned->tensors)
            QCOMPARE(t.sparseBytes, t.denseBytes);
    }

    void twoFourPattern() {
        auto pruned = pruneModel(*m_model, rulePlan(PruneMethod::TwoFour, 0.5), &m_stats);
        QVERIFY(pruned);
        const auto w = valuesOf(*pruned->model, QStringLiteral("blk.1.ffn_up.weight"));
        QVERIFY(!w.empty());
        for (std::size_t i = 0; i + 4 <= w.size(); i += 4)
            QVERIFY(std::count(w.begin() + std::ptrdiff_t(i), w.begin() + std::ptrdiff_t(i + 4),
                               0.0f) >= 2);
    }

    void structuredRemovalMakesASmallerDenseModel() {
        PrunePlan plan;
        plan.ffnFraction = 0.25;
        plan.kvGroupsRemoved = 1;
        plan.keepBlocks = {0, 2, 4};
        auto pruned = pruneModel(*m_model, plan, &m_stats);
        QVERIFY2(pruned, qPrintable(pruned ? QString() : pruned.error().message));
        const LlamaConfig& c = pruned->model->config;
        QCOMPARE(c.layers, 3);
        QCOMPARE(c.hiddenDim, 172 - 43);
        QCOMPARE(c.kvHeads, 3);
        QCOMPARE(c.heads, 6); // every KV head keeps its two query heads
        QVERIFY(pruned->parametersAfter < pruned->parametersBefore);
        QCOMPARE(pruned->model->find(QStringLiteral("blk.1.ffn_down.weight"))->shape,
                 (std::vector<std::int64_t>{129, 64}));
        // Norms of kept blocks are the source's, renumbered.
        QCOMPARE(valuesOf(*pruned->model, QStringLiteral("blk.1.attn_norm.weight")),
                 valuesOf(*m_model, QStringLiteral("blk.2.attn_norm.weight")));

        // It runs on the plain engine.
        const std::vector<std::int32_t> tokens = {1, 403, 407, 261, 378};
        QCOMPARE(logitsOf(*pruned->model, tokens).size(), std::size_t(5 * 512));

        // The GGUF export round-trips the pruned model exactly, with heads removed (the file
        // states their width, 8, which is no longer embedding / heads) and without.
        for (int removed : {1, 0}) {
            plan.kvGroupsRemoved = removed;
            pruned = pruneModel(*m_model, plan, &m_stats);
            QVERIFY(pruned);
            const auto logits = logitsOf(*pruned->model, tokens);
            QTemporaryDir dir;
            const QString path = dir.filePath(QStringLiteral("pruned.gguf"));
            auto written = exportGguf(*pruned->model, Plan{}, path, ExportOptions{});
            QVERIFY2(written, qPrintable(written ? QString() : written.error().message));
            auto loaded = loadModel(path);
            QVERIFY2(loaded, qPrintable(loaded ? QString() : loaded.error().message));
            const LlamaConfig& l = (*loaded)->config;
            QCOMPARE(l.layers, 3);
            QCOMPARE(l.heads, pruned->model->config.heads);
            QCOMPARE(l.kvHeads, pruned->model->config.kvHeads);
            QCOMPARE(l.headDim, 8);
            QCOMPARE(logitsOf(**loaded, tokens), logits);
        }
    }

    void structuredFfnKeepsTheMostImportantNeurons() {
        PrunePlan plan;
        plan.ffnFraction = 0.25;
        EvalOptions eo;
        eo.split = SplitMode::Documents;
        eo.maxTokens = 1500;
        eo.threads = 1;
        auto byActivation = pruneModel(*m_model, plan, &m_stats);
        plan.importance = ImportanceScore::Magnitude;
        auto byMagnitude = pruneModel(*m_model, plan, nullptr);
        QVERIFY(byActivation && byMagnitude);
        auto a = compareModels(*m_model, *byActivation->model, m_validation, eo);
        auto b = compareModels(*m_model, *byMagnitude->model, m_validation, eo);
        QVERIFY(a && b);
        qInfo("KLD of 25%% FFN neurons removed: activation %.4f, magnitude %.4f", a->kldMean,
              b->kldMean);
        QVERIFY(a->kldMean > 0.0);
    }

    void dropBlocksByInfluence() {
        PrunePlan plan;
        plan.blocksRemoved = 2;
        auto pruned = pruneModel(*m_model, plan, &m_stats);
        QVERIFY(pruned);
        QCOMPARE(pruned->model->config.layers, 3);
        QCOMPARE(pruned->blockInfluence.size(), std::size_t(5));
        QCOMPARE(pruned->keptBlocks.size(), std::size_t(3));
        // The kept blocks are the three most influential.
        for (int kept : pruned->keptBlocks)
            for (int b = 0; b < 5; ++b)
                if (std::find(pruned->keptBlocks.begin(), pruned->keptBlocks.end(), b) ==
                    pruned->keptBlocks.end())
                    QVERIFY(pruned->blockInfluence[std::size_t(kept)] >=
                            pruned->blockInfluence[std::size_t(b)]);
    }

    void planJsonRoundTrips() {
        PrunePlan plan = rulePlan(PruneMethod::TwoFour, 0.5);
        plan.name = QStringLiteral("x");
        plan.ffnFraction = 0.5;
        plan.keepBlocks = {0, 1};
        auto back = PrunePlan::fromJson(plan.toJson());
        QVERIFY(back);
        QCOMPARE(back->toJson(), plan.toJson());
        QVERIFY(!PrunePlan::fromJson(QJsonObject{
            {QStringLiteral("rules"),
             QJsonArray{QJsonObject{{QStringLiteral("match"), QStringLiteral("x")},
                                    {QStringLiteral("method"), QStringLiteral("bogus")}}}}}));
        QVERIFY(!pruneModel(*m_model, rulePlan(PruneMethod::Wanda, 0.5), nullptr));
    }
};

QTEST_GUILESS_MAIN(TestPrune)
#include "tst_prune.moc"
