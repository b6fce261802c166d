// SPDX-License-Identifier: GPL-3.0-or-later
#include "weightset.h"

#include "quantmethods.h"
#include "tensorvalues.h"

#include <QCryptographicHash>

#include <cstdint>
#include <cstring>
#include <random>

namespace cwb {
namespace {

// Calls `matrix` for every weight matrix and `vector` for every norm and bias, in the engine's
// order. Biases are never quantized: a plan treats them as the 1-D tensors they are.
template <typename MatrixFn, typename VectorFn>
Result<void> fill(WeightSet& ws, const Model& model, MatrixFn matrix, VectorFn vector,
                  const Progress& progress) {
    ws.config = model.config;
    ws.tokenEmbd = matrix(QStringLiteral("token_embd.weight"));
    ws.outputNorm = vector(QStringLiteral("output_norm.weight"));
    ws.output = model.config.tiedOutput ? ws.tokenEmbd : matrix(QStringLiteral("output.weight"));
    for (int l = 0; l < model.config.layers; ++l) {
        if (progress.cancelled())
            return cancelledError();
        LayerWeights w;
        w.attnNorm = vector(blockTensorName(l, "attn_norm"));
        w.ffnNorm = vector(blockTensorName(l, "ffn_norm"));
        w.wq = matrix(blockTensorName(l, "attn_q"));
        w.wk = matrix(blockTensorName(l, "attn_k"));
        w.wv = matrix(blockTensorName(l, "attn_v"));
        w.wo = matrix(blockTensorName(l, "attn_output"));
        w.gate = matrix(blockTensorName(l, "ffn_gate"));
        w.up = matrix(blockTensorName(l, "ffn_up"));
        w.down = matrix(blockTensorName(l, "ffn_down"));
        if (model.config.qkvBias) {
            w.qBias = vector(blockBiasName(l, "attn_q"));
            w.kBias = vector(blockBiasName(l, "attn_k"));
            w.vBias = vector(blockBiasName(l, "attn_v"));
        }
        ws.layers.push_back(w);
    }
    return {};
}

Result<void> checkComplete(const WeightSet& ws) {
    for (const auto& w : ws.layers) {
        for (const MatrixWeights* m : {&w.wq, &w.wk, &w.wv, &w.wo, &w.gate, &w.up, &w.down})
            if (m->empty())
                return Error{QStringLiteral("the model lacks a block matrix")};
        if (w.attnNorm.empty() || w.ffnNorm.empty())
            return Error{QStringLiteral("the model lacks a block norm")};
        if (ws.config.qkvBias && (w.qBias.empty() || w.kBias.empty() || w.vBias.empty()))
            return Error{QStringLiteral("the model lacks a Q, K or V bias")};
    }
    if (ws.tokenEmbd.empty() || ws.outputNorm.empty() || ws.output.empty())
        return Error{QStringLiteral("the model lacks its embedding, final norm or classifier")};
    return {};
}

std::shared_ptr<const kernels::PackedMatrix> packed(kernels::PackedMatrix m) {
    return std::make_shared<const kernels::PackedMatrix>(std::move(m));
}

} // namespace

Result<WeightSet> WeightSet::fromModel(const Model& model) {
    return fromPlan(model, ResolvedPlan{});
}

Result<WeightSet> WeightSet::fromPlan(const Model& model, const ResolvedPlan& plan, WeightMode mode,
                                      const CalibrationStats* stats, const Progress& progress) {
    auto methods = applyMethods(model, plan, stats, progress);
    if (!methods)
        return methods.error();
    WeightSet ws;
    ws.m_files = model.files;
    ws.m_buffers = model.buffers;
    Error failure;
    // Values the methods changed, or the model's own, decoded if need be.
    auto f32 = [&](const QString& name) -> std::span<const float> {
        if (auto it = methods->f32.find(name); it != methods->f32.end())
            return ws.m_owned.emplace_back(std::move(it->second));
        const Tensor* t = model.find(name);
        if (!t)
            return {};
        std::vector<float> scratch; // moving it keeps its buffer, and so the span
        const std::span<const float> values = decodedValues(*t, scratch);
        ws.m_owned.push_back(std::move(scratch));
        return values;
    };
    auto pack = [&](QuantizedMatrix q) -> std::shared_ptr<const kernels::PackedMatrix> {
        auto p = kernels::PackedMatrix::pack(std::move(q));
        if (!p) {
            failure = p.error();
            return nullptr;
        }
        return packed(std::move(p.value()));
    };
    auto matrix = [&](const QString& name) -> MatrixWeights {
        if (!model.find(name) || !failure.message.isEmpty())
            return {};
        auto it = methods->quantized.find(name);
        if (it == methods->quantized.end()) { // fp32
            const auto values = f32(name);
            if (mode == WeightMode::Accuracy)
                return {values, nullptr};
            auto q = quantizeMatrix(PrecisionId::Fp32, values, model.find(name)->rowLength(), name);
            return q ? MatrixWeights{{}, pack(std::move(q.value()))} : MatrixWeights{};
        }
        QuantizedMatrix& q = it->second;
        const bool activations = precisionInfo(q.precision).quantizesActivations;
        if (mode == WeightMode::Speed)
            return {{}, pack(std::move(q))};
        // Accuracy: weight-only precisions run their dequantized values exactly; w8a8 runs its
        // int8 kernel, and keeps the dequantized values for the embedding lookup.
        const std::span<const float> values = ws.m_owned.emplace_back(dequantizeMatrix(q));
        return {values, activations ? pack(std::move(q)) : nullptr};
    };
    if (auto r = fill(ws, model, matrix, f32, progress); !r)
        return r.error();
    if (!failure.message.isEmpty())
        return failure;
    if (auto r = checkComplete(ws); !r)
        return r.error();
    ws.methodReports = std::move(methods->reports);
    ws.warnings = std::move(methods->warnings);
    return ws;
}

Result<WeightSet>
WeightSet::withValues(const Model& model,
                      const std::function<std::span<const float>(const QString&)>& values) {
    WeightSet ws;
    ws.m_files = model.files;
    ws.m_buffers = model.buffers;
    auto f32 = [&](const QString& name) -> std::span<const float> {
        if (const auto v = values(name); !v.empty())
            return v;
        const Tensor* t = model.find(name);
        if (!t)
            return {};
        std::vector<float> scratch;
        const std::span<const float> own = decodedValues(*t, scratch);
        ws.m_owned.push_back(std::move(scratch));
        return own;
    };
    auto matrix = [&](const QString& name) -> MatrixWeights { return {f32(name), nullptr}; };
    if (auto r = fill(ws, model, matrix, f32, {}); !r)
        return r.error();
    if (auto r = checkComplete(ws); !r)
        return r.error();
    return ws;
}

Result<WeightSet> WeightSet::synthetic(const Model& model, const ResolvedPlan& plan,
                                       std::uint64_t seed, const Progress& progress) {
    WeightSet ws;
    std::uint64_t next = seed;
    int done = 0;
    const int total = int(model.tensors.size());
    auto matrix = [&](const QString& name) -> MatrixWeights {
        const Tensor* t = model.find(name);
        if (!t || progress.cancelled())
            return {};
        progress(double(done++) / double(total), QStringLiteral("generating %1").arg(name));
        const TensorChoice* choice = plan.find(name);
        const PrecisionId id = choice ? choice->precision : PrecisionId::Fp32;
        return {{}, packed(kernels::PackedMatrix::random(id, t->rowLength(), t->rows(), ++next))};
    };
    auto vector = [&](const QString& name) -> std::span<const float> {
        const Tensor* t = model.find(name);
        if (!t)
            return {};
        // RMSNorm weights near one, as trained models have them; biases near zero.
        std::mt19937_64 rng(++next);
        std::normal_distribution<float> normal(name.endsWith(QLatin1String(".bias")) ? 0.0f : 1.0f,
                                               0.05f);
        std::vector<float>& v = ws.m_owned.emplace_back(std::size_t(t->elements()));
        for (float& x : v)
            x = normal(rng);
        return v;
    };
    if (auto r = fill(ws, model, matrix, vector, progress); !r)
        return r.error();
    if (progress.cancelled())
        return cancelledError();
    if (auto r = checkComplete(ws); !r)
        return r.error();
    return ws;
}

void WeightSet::embed(std::int32_t id, float* out) const {
    const auto dim = std::size_t(config.dim);
    if (!tokenEmbd.values.empty()) {
        std::memcpy(out, tokenEmbd.values.data() + std::size_t(id) * dim, dim * sizeof(float));
        return;
    }
    const kernels::PackedMatrix& m = *tokenEmbd.packed;
    std::vector<std::uint8_t> row(packedRowBytes(m.precision(), m.rowLength()));
    m.unpackRow(id, row.data());
    precisionInfo(m.precision()).dequantizeRow(row, std::span(out, dim));
}

std::uint64_t WeightSet::weightBytes() const {
    std::uint64_t bytes = outputNorm.size_bytes();
    auto add = [&](const MatrixWeights& m) {
        bytes += m.packed ? m.packed->bytes() : m.values.size_bytes();
    };
    add(tokenEmbd);
    if (!config.tiedOutput)
        add(output);
    for (const LayerWeights& l : layers) {
        bytes += l.attnNorm.size_bytes() + l.ffnNorm.size_bytes() + l.qBias.size_bytes() +
                 l.kBias.size_bytes() + l.vBias.size_bytes();
        for (const MatrixWeights* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down})
            add(*m);
    }
    return bytes;
}

std::uint64_t WeightSet::decodeBytesPerToken() const {
    if (config.tiedOutput)
        return weightBytes();
    return weightBytes() -
           (tokenEmbd.packed ? tokenEmbd.packed->bytes() : tokenEmbd.values.size_bytes());
}

std::shared_ptr<const Model> syntheticModel(const LlamaConfig& c, const QString& name) {
    auto m = std::make_shared<Model>();
    m->path = name;
    m->formatName = QStringLiteral("synthetic (random weights)");
    m->config = c;
    auto add = [&](QString tensorName, std::vector<std::int64_t> shape) {
        m->tensors.push_back(Tensor{std::move(tensorName), std::move(shape), StoredType::F32, {}});
    };
    const std::int64_t D = c.dim, F = c.hiddenDim, Q = c.qDim(), KV = c.kvDim(), V = c.vocabSize;
    add(QStringLiteral("token_embd.weight"), {D, V});
    for (int l = 0; l < c.layers; ++l) {
        add(blockTensorName(l, "attn_norm"), {D});
        add(blockTensorName(l, "attn_q"), {D, Q});
        add(blockTensorName(l, "attn_k"), {D, KV});
        add(blockTensorName(l, "attn_v"), {D, KV});
        add(blockTensorName(l, "attn_output"), {Q, D});
        add(blockTensorName(l, "ffn_norm"), {D});
        add(blockTensorName(l, "ffn_gate"), {D, F});
        add(blockTensorName(l, "ffn_up"), {D, F});
        add(blockTensorName(l, "ffn_down"), {F, D});
        if (c.qkvBias) {
            add(blockBiasName(l, "attn_q"), {Q});
            add(blockBiasName(l, "attn_k"), {KV});
            add(blockBiasName(l, "attn_v"), {KV});
        }
    }
    add(QStringLiteral("output_norm.weight"), {D});
    if (!c.tiedOutput)
        add(QStringLiteral("output.weight"), {D, V});
    return m;
}

} // namespace cwb
