// SPDX-License-Identifier: GPL-3.0-or-later
// safetensors files: the header length, the JSON header, dtypes, shapes and data offsets; and the
// same bytes as a folder's only weights file, with a valid config.json beside it, through the
// whole Hugging Face loader.
#include "fuzzsupport.h"

#include "model.h"
#include "safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    (void)cwb::parseSafetensors(std::span(data, size));
    static const QString folder = [] {
        const QString d = cwbfuzz::scratchDir() + QStringLiteral("/hf");
        QDir().mkpath(d);
        QFile config(d + QStringLiteral("/config.json"));
        if (!config.open(QIODevice::WriteOnly))
            std::abort();
        config.write(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 8,
            "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
            "num_key_value_heads": 2, "vocab_size": 4, "max_position_embeddings": 32,
            "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": true})");
        return d;
    }();
    QFile weights(folder + QStringLiteral("/model.safetensors"));
    if (!weights.open(QIODevice::WriteOnly | QIODevice::Truncate))
        std::abort();
    weights.write(reinterpret_cast<const char*>(data), qint64(size));
    weights.close();
    (void)cwb::loadModel(folder);
    return 0;
}
