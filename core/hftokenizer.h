// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"
#include "tokenizer.h"

#include <QByteArray>
#include <QStringList>

namespace cwb {

struct HfTokenizer {
    Tokenizer tokenizer;
    QStringList warnings;
};

// Special token ids config.json names, used when the tokenizer files do not say.
struct HfTokenIds {
    std::int32_t bos = -1;
    std::int32_t eos = -1;
};

// Reads a Hugging Face tokenizer.json whose model is BPE: SentencePiece-style (the ▁ normalizer
// or Metaspace pre-tokenizer, byte fallback: Llama 2, TinyLlama, Mistral) or byte-level (a
// ByteLevel pre-tokenizer with its regular-expression splits: Llama 3, Qwen2, SmolLM). Added
// tokens are matched in the text first. Whether BOS goes first comes from tokenizer_config.json's
// add_bos_token (`tokenizerConfig`, may be empty), else the post-processor's template. Any
// normalizer or pre-tokenizer step it does not implement is refused by name.
Result<HfTokenizer> parseHfTokenizer(const QByteArray& tokenizerJson,
                                     const QByteArray& tokenizerConfig = {},
                                     const HfTokenIds& fallback = {});

} // namespace cwb
