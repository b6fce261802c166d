// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"

namespace cwb {

// llama2.c's legacy checkpoint (run.c's format): seven int32 (dim, hidden_dim, n_layers,
// n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means a separate classifier),
// then f32 weights in a fixed order.
Result<std::shared_ptr<const Model>> loadLlama2c(const QString& path, const LoadOptions& options);

// llama2.c's tokenizer.bin: int32 max_token_length, then per token a f32 score, an int32 length
// and the bytes.
Result<Tokenizer> loadLlama2cTokenizer(std::span<const std::uint8_t> bytes, int vocabSize);

// The tokenizer beside a checkpoint: tokenizer.bin, then tok<vocab>.bin (llama2.c's names).
QString findLlama2cTokenizer(const QString& modelPath, int vocabSize);

} // namespace cwb
