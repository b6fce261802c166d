// SPDX-License-Identifier: GPL-3.0-or-later
// Every backward pass against central finite differences of its forward pass.
#include "testassets.h"

#include "backward.h"
#include "engine.h"
#include "model.h"

#include <QtTest>

#include <cmath>
#include <functional>
#include <random>

using namespace cwb;

namespace {

std::vector<float> randomVector(std::size_t n, std::mt19937& rng, float scale = 1.0f) {
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v)
        x = d(rng);
    return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& c) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        s += double(a[i]) * double(c[i]);
    return s;
}

// Compares `analytic` (d loss / d x) with central differences of `loss` in every element of `x`
// (or `maxChecks` of them, spread evenly).
void checkGradient(const char* what, std::vector<float>& x, const std::vector<float>& analytic,
                   const std::function<double()>& loss, float eps = 1e-2f,
                   std::size_t maxChecks = 200) {
    QCOMPARE(analytic.size(), x.size());
    const std::size_t stride = std::max<std::size_t>(1, x.size() / maxChecks);
    double worst = 0;
    for (std::size_t i = 0; i < x.size(); i += stride) {
        const float saved = x[i];
        x[i] = saved + eps;
        const double up = loss();
        x[i] = saved - eps;
        const double down = loss();
        x[i] = saved;
        const double numeric = (up - down) / (2.0 * double(eps));
        const double err = std::fabs(numeric - double(analytic[i])) /
                           std::max(1e-2, std::fabs(numeric) + std::fabs(double(analytic[i])));
        worst = std::max(worst, err);
        if (err > 2e-2)
            QFAIL(qPrintable(QStringLiteral("%1[%2]: analytic %3, numeric %4")
                                 .arg(QLatin1String(what))
                                 .arg(i)
                                 .arg(double(analytic[i]))
                                 .arg(numeric)));
    }
    qInfo("%s: worst relative error %.2e", what, worst);
}

} // namespace

class TestBackward : public QObject {
    Q_OBJECT

private slots:
    void linear() {
        std::mt19937 rng(1);
        const int m = 3, in = 5, out = 4;
        auto x = randomVector(std::size_t(m * in), rng);
        auto w = randomVector(std::size_t(out * in), rng);
        const auto c = randomVector(std::size_t(m * out), rng);
        std::vector<float> y(std::size_t(m * out));
        const auto loss = [&] {
            grad::linearForward(x.data(), m, in, w.data(), out, y.data());
            return dot(y, c);
        };
        std::vector<float> dx(x.size()), dw(w.size(), 0.0f);
        grad::linearBackward(x.data(), m, in, w.data(), out, c.data(), dx.data(), dw.data());
        checkGradient("linear dx", x, dx, loss);
        checkGradient("linear dW", w, dw, loss);
    }

    void rmsNorm() {
        std::mt19937 rng(2);
        const int m = 3, n = 16;
        auto x = randomVector(std::size_t(m * n), rng);
        auto w = randomVector(std::size_t(n), rng);
        const auto c = randomVector(x.size(), rng);
        std::vector<float> y(x.size()), inv(static_cast<std::size_t>(m));
        const auto loss = [&] {
            grad::rmsNormForward(x.data(), w.data(), y.data(), inv.data(), m, n, 1e-5f);
            return dot(y, c);
        };
        loss();
        std::vector<float> dx(x.size()), dw(w.size(), 0.0f);
        grad::rmsNormBackward(x.data(), w.data(), inv.data(), c.data(), dx.data(), dw.data(), m, n);
        checkGradient("rmsnorm dx", x, dx, loss);
        checkGradient("rmsnorm dw", w, dw, loss);
    }

    void rope() {
        std::mt19937 rng(3);
        const int m = 4, heads = 2, hd = 8, ropeDim = 6;
        auto x = randomVector(std::size_t(m * heads * hd), rng);
        const auto c = randomVector(x.size(), rng);
        const auto loss = [&] {
            std::vector<float> y = x;
            grad::ropeForward(y.data(), m, heads, hd, ropeDim, 10000.0f, 3);
            return dot(y, c);
        };
        std::vector<float> dx = c;
        grad::ropeBackward(dx.data(), m, heads, hd, ropeDim, 10000.0f, 3);
        checkGradient("rope dx", x, dx, loss);
    }

    void groupedQueryAttention() {
        std::mt19937 rng(4);
        const int T = 5, heads = 4, kvHeads = 2, hd = 4;
        auto q = randomVector(std::size_t(T * heads * hd), rng);
        auto k = randomVector(std::size_t(T * kvHeads * hd), rng);
        auto v = randomVector(std::size_t(T * kvHeads * hd), rng);
        const auto c = randomVector(q.size(), rng);
        std::vector<float> out(q.size()), probs(std::size_t(heads * T * T));
        const auto loss = [&] {
            grad::attentionForward(q.data(), k.data(), v.data(), out.data(), probs.data(), T, heads,
                                   kvHeads, hd);
            return dot(out, c);
        };
        loss();
        std::vector<float> dq(q.size()), dk(k.size()), dv(v.size());
        grad::attentionBackward(q.data(), k.data(), v.data(), probs.data(), c.data(), dq.data(),
                                dk.data(), dv.data(), T, heads, kvHeads, hd);
        checkGradient("attention dq", q, dq, loss);
        checkGradient("attention dk", k, dk, loss);
        checkGradient("attention dv", v, dv, loss);
    }

    void swiglu() {
        std::mt19937 rng(5);
        auto g = randomVector(40, rng, 2.0f);
        auto u = randomVector(40, rng);
        const auto c = randomVector(40, rng);
        std::vector<float> h(40);
        const auto loss = [&] {
            grad::swigluForward(g.data(), u.data(), h.data(), h.size());
            return dot(h, c);
        };
        std::vector<float> dg(40), du(40);
        grad::swigluBackward(g.data(), u.data(), c.data(), dg.data(), du.data(), 40);
        checkGradient("swiglu dg", g, dg, loss);
        checkGradient("swiglu du", u, du, loss);
    }

    void embedding() {
        std::mt19937 rng(6);
        const int vocab = 7, dim = 3;
        auto table = randomVector(std::size_t(vocab * dim), rng);
        const std::vector<std::int32_t> ids = {2, 5, 2, 0};
        const auto c = randomVector(ids.size() * dim, rng);
        std::vector<float> x(c.size());
        const auto loss = [&] {
            grad::embeddingForward(table.data(), dim, ids.data(), int(ids.size()), x.data());
            return dot(x, c);
        };
        std::vector<float> dt(table.size(), 0.0f);
        grad::embeddingBackward(c.data(), ids.data(), int(ids.size()), dim, dt.data());
        checkGradient("embedding", table, dt, loss);
    }

    void distillationLoss_data() {
        QTest::addColumn<float>("temperature");
        QTest::addColumn<float>("klWeight");
        QTest::addColumn<float>("alpha");
        QTest::newRow("KL at T=2 + CE") << 2.0f << 1.0f << 0.5f;
        QTest::newRow("KL at T=1") << 1.0f << 1.0f << 0.0f;
        QTest::newRow("CE only") << 1.0f << 0.0f << 1.0f;
    }
    void distillationLoss() {
        QFETCH(float, temperature);
        QFETCH(float, klWeight);
        QFETCH(float, alpha);
        std::mt19937 rng(7);
        const int m = 3, vocab = 11;
        auto z = randomVector(std::size_t(m * vocab), rng, 2.0f);
        const auto teacher = randomVector(z.size(), rng, 2.0f);
        const std::vector<std::int32_t> targets = {3, 0, 10};
        std::vector<float> dz(z.size());
        const auto loss = [&] {
            std::vector<float> scratch(z.size());
            return grad::distillationLoss(z.data(), teacher.data(), targets.data(), m, vocab,
                                          temperature, klWeight, alpha, scratch.data())
                .loss;
        };
        const auto parts = grad::distillationLoss(z.data(), teacher.data(), targets.data(), m,
                                                  vocab, temperature, klWeight, alpha, dz.data());
        QVERIFY(parts.kl >= 0);
        // The CE part is the targets' cross-entropy at T = 1 whatever α is, and the loss weighs
        // its parts as stated.
        double ce = 0;
        for (int i = 0; i < m; ++i) {
            const float* row = z.data() + std::size_t(i * vocab);
            double sum = 0;
            for (int j = 0; j < vocab; ++j)
                sum += std::exp(double(row[j]));
            ce += (std::log(sum) - double(row[targets[std::size_t(i)]])) / m;
        }
        QVERIFY2(std::abs(parts.ce - ce) < 1e-9 * ce, qPrintable(QString::number(parts.ce - ce)));
        const double T = temperature;
        QVERIFY(std::abs(parts.loss - (klWeight * T * T * parts.kl + alpha * parts.ce)) < 1e-12);
        checkGradient("distillation loss", z, dz, loss, 1e-2f);
        // KL of a distribution to itself is zero.
        std::vector<float> same = teacher, scratch(z.size());
        QVERIFY(grad::distillationLoss(same.data(), teacher.data(), nullptr, m, vocab, 2.0f, 1.0f,
                                       0.0f, scratch.data())
                    .kl < 1e-9);
    }

    // The whole model, every parameter tensor, on a tiny random configuration.
    void wholeModel() {
        auto base = loadModel(cwbtest::stories260KBin());
        QVERIFY(base);
        LlamaConfig c = (*base)->config;
        c.dim = 8;
        c.hiddenDim = 12;
        c.layers = 2;
        c.heads = 4;
        c.kvHeads = 2;
        c.headDim = 2;
        c.ropeDim = 2;
        std::mt19937 rng(8);
        std::vector<NamedValues> tensors;
        const auto add = [&](const QString& name, std::vector<std::int64_t> shape, float scale) {
            std::size_t n = 1;
            for (auto d : shape)
                n *= std::size_t(d);
            tensors.push_back({name, shape, randomVector(n, rng, scale)});
        };
        add(QStringLiteral("token_embd.weight"), {c.dim, c.vocabSize}, 0.5f);
        for (int l = 0; l < c.layers; ++l) {
            add(blockTensorName(l, "attn_norm"), {c.dim}, 1.0f);
            add(blockTensorName(l, "attn_q"), {c.dim, c.qDim()}, 0.5f);
            add(blockTensorName(l, "attn_k"), {c.dim, c.kvDim()}, 0.5f);
            add(blockTensorName(l, "attn_v"), {c.dim, c.kvDim()}, 0.5f);
            add(blockTensorName(l, "attn_output"), {c.qDim(), c.dim}, 0.5f);
            add(blockTensorName(l, "ffn_norm"), {c.dim}, 1.0f);
            add(blockTensorName(l, "ffn_gate"), {c.dim, c.hiddenDim}, 0.5f);
            add(blockTensorName(l, "ffn_up"), {c.dim, c.hiddenDim}, 0.5f);
            add(blockTensorName(l, "ffn_down"), {c.hiddenDim, c.dim}, 0.5f);
        }
        add(QStringLiteral("output_norm.weight"), {c.dim}, 1.0f);
        const auto model = modelFromValues(**base, c, tensors, QStringLiteral("tiny"));
        auto trainable = TrainableModel::fromModel(*model);
        QVERIFY2(trainable, qPrintable(trainable ? QString() : trainable.error().message));
        const std::vector<std::int32_t> tokens = {1, 40, 7, 300, 40, 9};
        const auto teacher = randomVector(tokens.size() * std::size_t(c.vocabSize), rng, 2.0f);
        std::vector<float> gradient;
        trainable->accumulate(tokens, teacher.data(), 2.0f, 1.0f, 0.5f, 1.0f, gradient);
        const auto loss = [&] {
            std::vector<float> scratch;
            return trainable->accumulate(tokens, teacher.data(), 2.0f, 1.0f, 0.5f, 1.0f, scratch)
                .loss;
        };
        std::vector<float>& params = trainable->parameters();
        for (const auto& s : trainable->tensorSlots()) {
            if (s.name == QLatin1String("token_embd.weight"))
                continue; // checked below on the rows the tokens use
            std::vector<float> x(params.begin() + std::ptrdiff_t(s.offset),
                                 params.begin() + std::ptrdiff_t(s.offset + s.count));
            const std::vector<float> analytic(gradient.begin() + std::ptrdiff_t(s.offset),
                                              gradient.begin() +
                                                  std::ptrdiff_t(s.offset + s.count));
            const auto sliceLoss = [&] {
                std::copy(x.begin(), x.end(), params.begin() + std::ptrdiff_t(s.offset));
                return loss();
            };
            checkGradient(qPrintable(s.name), x, analytic, sliceLoss, 1e-2f, 40);
            std::copy(x.begin(), x.end(), params.begin() + std::ptrdiff_t(s.offset));
        }
        // The tied embedding: rows of used tokens (lookup + classifier) and an unused one
        // (classifier only).
        const auto* embd = trainable->slot(QStringLiteral("token_embd.weight"));
        for (std::int32_t row : {40, 300, 100}) {
            const std::size_t at = embd->offset + std::size_t(row) * std::size_t(c.dim);
            std::vector<float> x(params.begin() + std::ptrdiff_t(at),
                                 params.begin() + std::ptrdiff_t(at) + c.dim);
            const std::vector<float> analytic(gradient.begin() + std::ptrdiff_t(at),
                                              gradient.begin() + std::ptrdiff_t(at) + c.dim);
            const auto rowLoss = [&] {
                std::copy(x.begin(), x.end(), params.begin() + std::ptrdiff_t(at));
                return loss();
            };
            checkGradient("token_embd row", x, analytic, rowLoss);
            std::copy(x.begin(), x.end(), params.begin() + std::ptrdiff_t(at));
        }
    }

    // The training forward pass is the engine's forward pass.
    void forwardMatchesEngine() {
        auto model = loadModel(cwbtest::stories260KBin());
        QVERIFY(model);
        auto trainable = TrainableModel::fromModel(**model);
        QVERIFY(trainable);
        const std::vector<std::int32_t> tokens = {1, 403, 407, 261, 378, 300, 12};
        std::vector<float> ours, engines;
        trainable->forward(tokens, ours);
        auto engine = Engine::create(WeightSet::fromModel(**model).value(), EngineOptions{1});
        QVERIFY(engine);
        KvCache cache((*model)->config, 16);
        QVERIFY((*engine)->forward(cache, tokens, 0, engines));
        QCOMPARE(ours.size(), engines.size());
        float worst = 0;
        for (std::size_t i = 0; i < ours.size(); ++i)
            worst = std::max(worst, std::fabs(ours[i] - engines[i]));
        qInfo("largest logit difference from the engine: %g", double(worst));
        QVERIFY(worst < 1e-3f);
    }
};

QTEST_GUILESS_MAIN(TestBackward)
#include "tst_backward.moc"
