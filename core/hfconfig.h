// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "modelconfig.h"
#include "result.h"

#include <QByteArray>
#include <QStringList>

namespace cwb {

// What a Hugging Face config.json says, as far as the engine runs it.
struct HfConfig {
    QString architecture; // "LlamaForCausalLM"
    LlamaConfig llama;
    bool qkvBias = false; // Qwen2: biases on the Q, K and V projections
    std::int32_t bosTokenId = -1;
    std::int32_t eosTokenId = -1;
    QStringList warnings;
};

// Reads config.json of LlamaForCausalLM, MistralForCausalLM or Qwen2ForCausalLM. Anything that
// would change the computation and that the engine does not do (another architecture, rope
// scaling, a head size other than hidden_size / heads, biases other than Qwen2's on Q, K and V) is
// refused, naming the field.
Result<HfConfig> parseHfConfig(const QByteArray& json);

} // namespace cwb
