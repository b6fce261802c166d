// SPDX-License-Identifier: GPL-3.0-or-later
#include "hfconfig.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace cwb {
namespace {

constexpr int kLimitDim = 1 << 20;

Error refuse(const QString& why) {
    return Error{QStringLiteral("config.json: %1").arg(why)};
}

// A positive integer field, or its fallback when absent (none: required).
Result<int> positive(const QJsonObject& o, const char* key, int fallback = 0) {
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull()) {
        if (fallback > 0)
            return fallback;
        return refuse(QStringLiteral("%1 is missing").arg(QLatin1String(key)));
    }
    const double d = v.toDouble(-1);
    if (!v.isDouble() || std::floor(d) != d || d < 1 || d > kLimitDim)
        return refuse(QStringLiteral("%1 is not a whole number from 1 to %2")
                          .arg(QLatin1String(key))
                          .arg(kLimitDim));
    return int(d);
}

std::int32_t tokenId(const QJsonValue& v) {
    if (v.isArray() && !v.toArray().isEmpty()) // some models list several EOS ids
        return tokenId(v.toArray().first());
    const double d = v.toDouble(-1);
    return v.isDouble() && d >= 0 && d < kLimitDim * 8.0 && std::floor(d) == d ? std::int32_t(d)
                                                                               : -1;
}

} // namespace

Result<HfConfig> parseHfConfig(const QByteArray& json) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return refuse(QStringLiteral("not valid JSON (%1 at byte %2)")
                          .arg(parseError.errorString())
                          .arg(parseError.offset));
    if (!doc.isObject())
        return refuse(QStringLiteral("not a JSON object"));
    const QJsonObject o = doc.object();

    HfConfig hf;
    const QJsonArray architectures = o.value(QLatin1String("architectures")).toArray();
    if (architectures.size() != 1 || !architectures.first().isString())
        return refuse(QStringLiteral("architectures must name exactly one architecture"));
    hf.architecture = architectures.first().toString();
    const QStringList supported{QStringLiteral("LlamaForCausalLM"),
                                QStringLiteral("MistralForCausalLM"),
                                QStringLiteral("Qwen2ForCausalLM")};
    if (!supported.contains(hf.architecture))
        return refuse(QStringLiteral("architectures = %1 is not supported (%2 are)")
                          .arg(hf.architecture, supported.join(QStringLiteral(", "))));
    hf.qkvBias = hf.architecture == QLatin1String("Qwen2ForCausalLM");

    const QString act = o.value(QLatin1String("hidden_act")).toString(QStringLiteral("silu"));
    if (act != QLatin1String("silu"))
        return refuse(QStringLiteral("hidden_act = %1 is not supported (silu is)").arg(act));
    const QJsonValue scaling = o.value(QLatin1String("rope_scaling"));
    if (!scaling.isUndefined() && !scaling.isNull()) {
        const QJsonObject s = scaling.toObject();
        const QString type =
            s.value(QLatin1String("rope_type")).toString(s.value(QLatin1String("type")).toString());
        if (type != QLatin1String("default"))
            return refuse(
                QStringLiteral("rope_scaling (type \"%1\") is not supported: the model would run "
                               "with unscaled rotary embeddings and give wrong results")
                    .arg(type.isEmpty() ? QStringLiteral("?") : type));
    }
    for (const char* key : {"attention_bias", "mlp_bias"})
        if (o.value(QLatin1String(key)).toBool(false))
            return refuse(QStringLiteral("%1 = true is not supported: the engine runs biases "
                                         "only on the Q, K and V projections, as Qwen2 has them")
                              .arg(QLatin1String(key)));

    LlamaConfig& c = hf.llama;
    c.architecture = QStringLiteral("llama");
    auto dim = positive(o, "hidden_size");
    auto hidden = positive(o, "intermediate_size");
    auto layers = positive(o, "num_hidden_layers");
    auto heads = positive(o, "num_attention_heads");
    auto vocab = positive(o, "vocab_size");
    auto context = positive(o, "max_position_embeddings", 2048);
    for (auto* r : {&dim, &hidden, &layers, &heads, &vocab, &context})
        if (!*r)
            return r->error();
    auto kvHeads = positive(o, "num_key_value_heads", *heads);
    if (!kvHeads)
        return kvHeads.error();
    c.dim = *dim;
    c.hiddenDim = *hidden;
    c.layers = *layers;
    c.heads = *heads;
    c.kvHeads = *kvHeads;
    c.vocabSize = *vocab;
    c.contextLength = *context;
    if (c.layers > 4096)
        return refuse(QStringLiteral("num_hidden_layers = %1 is out of range").arg(c.layers));
    if (c.dim % c.heads != 0 || c.heads % c.kvHeads != 0 || (c.dim / c.heads) % 2 != 0)
        return refuse(QStringLiteral("num_attention_heads %1 and num_key_value_heads %2 do not "
                                     "divide hidden_size %3 into even head sizes")
                          .arg(c.heads)
                          .arg(c.kvHeads)
                          .arg(c.dim));
    c.headDim = c.dim / c.heads;
    c.ropeDim = c.headDim;
    const QJsonValue headDim = o.value(QLatin1String("head_dim"));
    if (!headDim.isUndefined() && !headDim.isNull() && headDim.toDouble() != c.headDim)
        return refuse(QStringLiteral("head_dim = %1 differs from hidden_size / "
                                     "num_attention_heads = %2, which is not supported")
                          .arg(headDim.toDouble())
                          .arg(c.headDim));

    const QJsonValue eps = o.value(QLatin1String("rms_norm_eps"));
    if (!eps.isUndefined()) {
        if (!(eps.toDouble(-1) > 0 && eps.toDouble() < 1))
            return refuse(QStringLiteral("rms_norm_eps is not a number between 0 and 1"));
        c.normEps = float(eps.toDouble());
    } else {
        c.normEps = 1e-6f; // transformers' default for these architectures
    }
    const QJsonValue theta = o.value(QLatin1String("rope_theta"));
    if (!theta.isUndefined()) {
        if (!(theta.toDouble(-1) > 1 && theta.toDouble() < 1e12))
            return refuse(QStringLiteral("rope_theta is not a number above 1"));
        c.ropeTheta = float(theta.toDouble());
    }
    c.tiedOutput = o.value(QLatin1String("tie_word_embeddings")).toBool(false);

    const QJsonValue window = o.value(QLatin1String("sliding_window"));
    const bool windowUsed = hf.architecture == QLatin1String("MistralForCausalLM") ||
                            o.value(QLatin1String("use_sliding_window")).toBool(false);
    if (windowUsed && window.isDouble() && window.toDouble() < c.contextLength)
        hf.warnings << QStringLiteral("sliding_window %1 is not applied: contexts longer than it "
                                      "attend to every earlier token")
                           .arg(window.toDouble());
    hf.bosTokenId = tokenId(o.value(QLatin1String("bos_token_id")));
    hf.eosTokenId = tokenId(o.value(QLatin1String("eos_token_id")));
    return hf;
}

} // namespace cwb
