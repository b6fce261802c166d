// SPDX-License-Identifier: GPL-3.0-or-later
#include "weightset.h"

#include <cstdint>

namespace cwb {

Result<WeightSet> WeightSet::fromModel(const Model& model) {
    WeightSet ws;
    ws.config = model.config;
    ws.m_files = model.files;
    auto view = [&](const QString& name) -> std::span<const float> {
        const Tensor* t = model.find(name);
        if (!t)
            return {};
        const auto n = std::size_t(t->elements());
        const bool aligned = reinterpret_cast<std::uintptr_t>(t->data.data()) % alignof(float) == 0;
        if (t->type == StoredType::F32 && aligned)
            return {reinterpret_cast<const float*>(t->data.data()), n};
        std::vector<float>& out = ws.m_owned.emplace_back(n);
        const StoredTypeTraits& traits = traitsOf(t->type);
        const std::size_t rowLen = std::size_t(t->rowLength());
        const std::size_t rowSize = rowBytes(traits, rowLen);
        for (std::size_t r = 0; r < n / rowLen; ++r)
            traits.dequantize(t->data.data() + r * rowSize,
                              std::span(out).subspan(r * rowLen, rowLen));
        return out;
    };
    ws.tokenEmbd = view(QStringLiteral("token_embd.weight"));
    ws.outputNorm = view(QStringLiteral("output_norm.weight"));
    ws.output = model.config.tiedOutput ? ws.tokenEmbd : view(QStringLiteral("output.weight"));
    for (int l = 0; l < model.config.layers; ++l) {
        LayerWeights w;
        w.attnNorm = view(blockTensorName(l, "attn_norm"));
        w.wq = view(blockTensorName(l, "attn_q"));
        w.wk = view(blockTensorName(l, "attn_k"));
        w.wv = view(blockTensorName(l, "attn_v"));
        w.wo = view(blockTensorName(l, "attn_output"));
        w.ffnNorm = view(blockTensorName(l, "ffn_norm"));
        w.gate = view(blockTensorName(l, "ffn_gate"));
        w.up = view(blockTensorName(l, "ffn_up"));
        w.down = view(blockTensorName(l, "ffn_down"));
        ws.layers.push_back(w);
    }
    for (const auto& w : ws.layers)
        for (auto s : {w.attnNorm, w.wq, w.wk, w.wv, w.wo, w.ffnNorm, w.gate, w.up, w.down})
            if (s.empty())
                return Error{QStringLiteral("the model lacks a block tensor")};
    if (ws.tokenEmbd.empty() || ws.outputNorm.empty() || ws.output.empty())
        return Error{QStringLiteral("the model lacks its embedding, final norm or classifier")};
    return ws;
}

} // namespace cwb
