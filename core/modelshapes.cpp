// SPDX-License-Identifier: GPL-3.0-or-later
#include "modelshapes.h"

#include <array>

namespace cwb {
namespace {

LlamaConfig shape(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int context,
                  float theta, bool tied) {
    LlamaConfig c;
    c.dim = dim;
    c.hiddenDim = hidden;
    c.layers = layers;
    c.heads = heads;
    c.kvHeads = kvHeads;
    c.headDim = dim / heads;
    c.ropeDim = c.headDim;
    c.vocabSize = vocab;
    c.contextLength = context;
    c.ropeTheta = theta;
    c.tiedOutput = tied;
    return c;
}

// From each model's published config.json.
const std::array<ModelShape, 8> kShapes = {{
    {"stories260k", "Karpathy's stories260K (the demo model)",
     shape(64, 172, 5, 8, 4, 512, 512, 10000, true)},
    {"smollm-135m", "SmolLM-135M", shape(576, 1536, 30, 9, 3, 49152, 2048, 10000, true)},
    {"tinyllama-1.1b", "TinyLlama-1.1B", shape(2048, 5632, 22, 32, 4, 32000, 2048, 10000, false)},
    {"llama-7b", "Llama 2 7B", shape(4096, 11008, 32, 32, 32, 32000, 4096, 10000, false)},
    {"mistral-7b", "Mistral 7B v0.1", shape(4096, 14336, 32, 32, 8, 32000, 32768, 10000, false)},
    {"llama3-8b", "Llama 3 8B", shape(4096, 14336, 32, 32, 8, 128256, 8192, 500000, false)},
    {"llama-13b", "Llama 2 13B", shape(5120, 13824, 40, 40, 40, 32000, 4096, 10000, false)},
    {"llama-70b", "Llama 2 70B", shape(8192, 28672, 80, 64, 8, 32000, 4096, 10000, false)},
}};

} // namespace

std::optional<ModelShape> modelShape(const QString& name) {
    for (const ModelShape& s : kShapes)
        if (name == QLatin1String(s.name))
            return s;
    return std::nullopt;
}

QStringList modelShapeNames() {
    QStringList names;
    for (const ModelShape& s : kShapes)
        names << QLatin1String(s.name);
    return names;
}

} // namespace cwb
