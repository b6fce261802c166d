// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace cwb {

// The Llama-family architecture: RMSNorm, rotary embeddings, grouped-query attention, SwiGLU.
struct LlamaConfig {
    QString architecture = QStringLiteral("llama");
    int dim = 0;       // embedding width
    int hiddenDim = 0; // feed-forward width
    int layers = 0;
    int heads = 0;
    int kvHeads = 0;
    int headDim = 0;
    int ropeDim = 0; // leading dimensions of each head that rotate
    int vocabSize = 0;
    int contextLength = 0; // as the file states it (some converters write a wrong one)
    float normEps = 1e-5f;
    float ropeTheta = 10000.0f;
    bool tiedOutput = false; // the classifier reuses token_embd.weight
    bool qkvBias = false;    // Qwen2: biases added to the Q, K and V projections

    int qDim() const { return heads * headDim; }
    int kvDim() const { return kvHeads * headDim; }
};

} // namespace cwb
