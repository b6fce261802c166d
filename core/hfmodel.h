// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"

namespace cwb {

// True if `path` is a folder, or a file in a folder, that holds a Hugging Face checkpoint
// (config.json beside model.safetensors or model.safetensors.index.json).
bool isHfFolder(const QString& path);

// Opens a Hugging Face checkpoint folder: config.json, model.safetensors or the shards of
// model.safetensors.index.json (F32, F16, BF16, memory-mapped), tokenizer.json with
// tokenizer_config.json. Tensors get their GGUF names; Q and K rows, which Hugging Face keeps in
// rotate-half order (each head's first half of dimensions, then its second), are put back into
// the interleaved pairs the engine rotates, as GGUF and llama2.c store them; so are Qwen2's Q and
// K biases (blk.N.attn_q.bias), one value per row.
Result<std::shared_ptr<const Model>> loadHfModel(const QString& folder);

// The GGUF name of a Hugging Face tensor name, or an empty string for one we do not know.
QString canonicalTensorName(const QString& hfName);

// Hugging Face's rotate-half rows of a Q or K matrix back to interleaved pairs: within each head of
// `headDim` rows, row 2i + p comes from row p · headDim/2 + i. `rowBytes` per row.
void interleaveRotaryRows(std::span<const std::uint8_t> in, std::span<std::uint8_t> out, int heads,
                          int headDim, std::size_t rowBytes);

} // namespace cwb
