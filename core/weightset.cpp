// SPDX-License-Identifier: GPL-3.0-or-later
#include "weightset.h"

#include <cstdint>

namespace cwb {
namespace {

// The tensor as f32: in place if it is stored so, else decoded into `owned`.
std::span<const float> decoded(const Tensor& t, std::vector<std::vector<float>>& owned) {
    const auto n = std::size_t(t.elements());
    const bool aligned = reinterpret_cast<std::uintptr_t>(t.data.data()) % alignof(float) == 0;
    if (t.type == StoredType::F32 && aligned)
        return {reinterpret_cast<const float*>(t.data.data()), n};
    std::vector<float>& out = owned.emplace_back(n);
    const StoredTypeTraits& traits = traitsOf(t.type);
    const std::size_t rowLen = std::size_t(t.rowLength());
    const std::size_t rowSize = rowBytes(traits, rowLen);
    for (std::size_t r = 0; r < n / rowLen; ++r)
        traits.dequantize(t.data.data() + r * rowSize, std::span(out).subspan(r * rowLen, rowLen));
    return out;
}

} // namespace

Result<WeightSet> WeightSet::fromModel(const Model& model) {
    return fromPlan(model, ResolvedPlan{});
}

Result<WeightSet> WeightSet::fromPlan(const Model& model, const ResolvedPlan& plan,
                                      const Progress& progress) {
    WeightSet ws;
    ws.config = model.config;
    ws.m_files = model.files;
    Error failure;
    int done = 0;
    const int total = int(model.tensors.size());
    auto matrix = [&](const QString& name) -> MatrixWeights {
        const Tensor* t = model.find(name);
        if (!t || !failure.message.isEmpty())
            return {};
        const std::span<const float> values = decoded(*t, ws.m_owned);
        const TensorChoice* choice = plan.find(name);
        if (!choice || choice->precision == PrecisionId::Fp32)
            return {values, nullptr};
        progress(double(done++) / double(total), QStringLiteral("quantizing %1").arg(name));
        auto q = quantizeMatrix(choice->precision, values, t->rowLength(), name);
        if (!q) {
            failure = q.error();
            return {};
        }
        auto quantized = std::make_shared<const QuantizedMatrix>(std::move(q.value()));
        std::vector<float>& back = ws.m_owned.emplace_back(dequantizeMatrix(*quantized));
        const bool activations = precisionInfo(choice->precision).quantizesActivations;
        return {back, activations ? std::move(quantized) : nullptr};
    };
    auto vector = [&](const QString& name) -> std::span<const float> {
        const Tensor* t = model.find(name);
        return t ? decoded(*t, ws.m_owned) : std::span<const float>{};
    };

    const MatrixWeights embedding = matrix(QStringLiteral("token_embd.weight"));
    ws.tokenEmbd = embedding.values;
    ws.outputNorm = vector(QStringLiteral("output_norm.weight"));
    ws.output = model.config.tiedOutput ? embedding : matrix(QStringLiteral("output.weight"));
    for (int l = 0; l < model.config.layers; ++l) {
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
        ws.layers.push_back(w);
        if (progress.cancelled())
            return cancelledError();
    }
    if (!failure.message.isEmpty())
        return failure;
    for (const auto& w : ws.layers)
        for (auto s : {w.attnNorm, w.ffnNorm, w.wq.values, w.wk.values, w.wv.values, w.wo.values,
                       w.gate.values, w.up.values, w.down.values})
            if (s.empty())
                return Error{QStringLiteral("the model lacks a block tensor")};
    if (ws.tokenEmbd.empty() || ws.outputNorm.empty() || ws.output.values.empty())
        return Error{QStringLiteral("the model lacks its embedding, final norm or classifier")};
    return ws;
}

} // namespace cwb
