// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"

namespace cwb {

// A GGUF file of the llama architecture with its `llama` (SentencePiece-style) vocabulary.
Result<std::shared_ptr<const Model>> loadGgufModel(const QString& path);

} // namespace cwb
