// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"
#include "plan.h"
#include "progress.h"

#include <span>
#include <vector>

namespace cwb {

// A weight matrix as the engine takes it: its f32 values (used in place, decoded, or
// dequantized from the plan's precision) and, for a precision that quantizes activations too, the
// quantized matrix the int8 kernel runs instead.
struct MatrixWeights {
    std::span<const float> values;
    std::shared_ptr<const QuantizedMatrix> quantized;
};

struct LayerWeights {
    std::span<const float> attnNorm, ffnNorm;
    MatrixWeights wq, wk, wv, wo, gate, up, down;
};

// Every weight of a model as f32, ready for the f32 forward pass: F32 tensors are used in place
// from the file's memory map, other stored types are decoded once into buffers held here.
class WeightSet {
public:
    static Result<WeightSet> fromModel(const Model& model);
    // The weights a plan gives: each matrix quantized to its precision by the reference
    // quantizer and dequantized back, so evaluating them is exact.
    static Result<WeightSet> fromPlan(const Model& model, const ResolvedPlan& plan,
                                      const Progress& progress = {});

    LlamaConfig config;
    std::span<const float> tokenEmbd, outputNorm; // the embedding is looked up in f32
    MatrixWeights output;                         // token_embd's values when tied
    std::vector<LayerWeights> layers;

private:
    std::vector<std::shared_ptr<const MappedFile>> m_files; // the spans above point into these
    std::vector<std::vector<float>> m_owned;
};

} // namespace cwb
