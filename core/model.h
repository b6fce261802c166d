// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ggufreader.h"
#include "mappedfile.h"
#include "modelconfig.h"
#include "result.h"
#include "tensor.h"
#include "tokenizer.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace cwb {

enum class ModelFormat { Llama2c, Gguf, HuggingFace };

// A loaded model: its configuration, tokenizer and weight tensors under their canonical GGUF
// names. Weights stay in the memory-mapped files, which the model keeps alive. Immutable once
// loaded; share it across threads as shared_ptr<const Model>.
struct Model {
    QString path;
    QString tokenizerPath; // the separate tokenizer file, if there is one
    ModelFormat format = ModelFormat::Gguf;
    QString formatName; // "llama2.c checkpoint", "GGUF v3"
    LlamaConfig config;
    Tokenizer tokenizer;
    std::vector<Tensor> tensors; // in file order
    GgufMetadata metadata;       // GGUF files only
    QStringList warnings;        // things the user should know that did not stop loading
    std::vector<std::shared_ptr<const MappedFile>> files;
    // Tensor bytes made on load (Hugging Face Q and K rows reordered); tensors point into them.
    std::vector<std::shared_ptr<const std::vector<std::uint8_t>>> buffers;

    const Tensor* find(const QString& name) const;
    std::int64_t parameterCount() const;
    std::uint64_t storedBytes() const;
    std::uint64_t fileBytes() const;
};

struct LoadOptions {
    QString tokenizerPath; // for llama2.c checkpoints; found beside the model if empty
};

// Opens a llama2.c checkpoint or a GGUF file, told apart by content, not by name, or a Hugging
// Face model folder (the folder, or its config.json or a safetensors file in it).
Result<std::shared_ptr<const Model>> loadModel(const QString& path,
                                               const LoadOptions& options = {});

// Checks that every tensor the architecture needs is present with the shape the config implies,
// and that no bias is present that the engine would not run (only Q, K and V ones, with qkvBias).
Result<void> validateLlamaTensors(const Model& model);

QString blockTensorName(int layer, const char* kind); // "blk.3.attn_q.weight"
QString blockBiasName(int layer, const char* kind);   // "blk.3.attn_q.bias"

} // namespace cwb
