// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"

#include <span>
#include <vector>

namespace cwb {

struct LayerWeights {
    std::span<const float> attnNorm, wq, wk, wv, wo, ffnNorm, gate, up, down;
};

// Every weight of a model as f32, ready for the f32 forward pass: F32 tensors are used in place
// from the file's memory map, other stored types are decoded once into buffers held here.
class WeightSet {
public:
    static Result<WeightSet> fromModel(const Model& model);

    LlamaConfig config;
    std::span<const float> tokenEmbd, outputNorm, output;
    std::vector<LayerWeights> layers;

private:
    std::vector<std::shared_ptr<const MappedFile>> m_files; // the spans above point into these
    std::vector<std::vector<float>> m_owned;
};

} // namespace cwb
