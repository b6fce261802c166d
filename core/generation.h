// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"
#include "progress.h"
#include "result.h"

#include <QByteArray>
#include <QJsonObject>

#include <cstdint>
#include <vector>

namespace cwb {

// Text sampled from a model, one document at a time: each starts from BOS (from EOS for a
// tokenizer without one) and ends at EOS, at BOS (llama2.c's stories end that way) or at
// `maxLength` tokens. Documents are joined by `separator`, the form `cwb distill --text` and
// calibration read. A teacher's own text is how sequence-level distillation gets more data than
// a fixed training text holds: the student sees contexts drawn from the teacher's distribution.
struct GenerationOptions {
    std::int64_t tokens = 0;  // sampled tokens in all, the last document cut short to fit
    int maxLength = 0;        // tokens per document, start token included; 0: the model's context
    double temperature = 1.0; // 0: greedy
    double topP = 1.0;        // nucleus sampling: the fewest tokens whose probability reaches it
    std::uint64_t seed = 1234;
    int threads = 1;
    QByteArray separator = "<|endoftext|>";

    QJsonObject toJson() const;
};

struct GeneratedText {
    QByteArray text;
    // Each document's sampled ids, the EOS or BOS that ended it included; the start token is not.
    std::vector<std::vector<std::int32_t>> sampled;
    std::int64_t tokens = 0; // sampled in all
    double seconds = 0;
    double tokensPerSecond = 0;
};

Result<GeneratedText> generateText(const Model& model, const GenerationOptions& options,
                                   const Progress& progress = {});

} // namespace cwb
