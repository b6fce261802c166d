// SPDX-License-Identifier: GPL-3.0-or-later
#include "ggufmodel.h"

#include "bytelevel.h"

#include <QFileInfo>

#include <cstring>

namespace cwb {
namespace {

constexpr std::int64_t kLimitDim = 1 << 20;

Result<int> positiveInt(const GgufMetadata& m, const QString& key, std::optional<int> fallback) {
    const auto v = m.integer(key);
    if (!v) {
        if (m.find(key))
            return Error{QStringLiteral("metadata %1 is not an integer").arg(key)};
        if (fallback)
            return *fallback;
        return Error{QStringLiteral("metadata %1 is missing").arg(key)};
    }
    if (*v <= 0 || *v > kLimitDim)
        return Error{QStringLiteral("metadata %1 = %2 is out of range").arg(key).arg(*v)};
    return int(*v);
}

// GGUF writes SentencePiece's U+2581 for a space; our vocabulary uses the space itself.
std::string spaceFromSentencePiece(const std::string& piece) {
    static const std::string_view marker = "\xe2\x96\x81";
    std::string out;
    out.reserve(piece.size());
    for (std::size_t i = 0; i < piece.size();) {
        if (std::string_view(piece).substr(i, marker.size()) == marker) {
            out.push_back(' ');
            i += marker.size();
        } else {
            out.push_back(piece[i++]);
        }
    }
    return out;
}

// GGUF's gpt2 vocabulary: merges, the pre-tokenizer named by tokenizer.ggml.pre, added tokens.
Result<void> readByteLevel(const GgufMetadata& m, Tokenizer::Vocabulary& v) {
    v.model = TokenizerModel::ByteLevel;
    const GgufArray* merges = m.array(QStringLiteral("tokenizer.ggml.merges"));
    if (!merges || merges->elementType != GgufType::String)
        return Error{QStringLiteral("tokenizer.ggml.merges is missing or not a list of strings")};
    v.merges.reserve(merges->strings.size());
    for (const std::string& merge : merges->strings) {
        const std::size_t space = merge.find(' ', 1);
        if (space == std::string::npos || space + 1 >= merge.size())
            return Error{QStringLiteral("tokenizer.ggml.merges entry %1 is not two pieces")
                             .arg(v.merges.size() + 1)};
        v.merges.emplace_back(bytesFromByteLevel(std::string_view(merge).substr(0, space)),
                              bytesFromByteLevel(std::string_view(merge).substr(space + 1)));
    }
    const std::string pre = m.string(QStringLiteral("tokenizer.ggml.pre")).value_or("default");
    v.splitPatterns = byteLevelPatterns(pre);
    if (v.splitPatterns.isEmpty())
        return Error{QStringLiteral("tokenizer.ggml.pre = \"%1\" is not a pre-tokenizer we know")
                         .arg(QString::fromStdString(pre))};
    v.wholeWordsFirst = pre == "llama-bpe" || pre == "llama3";
    v.dummyPrefix = false;
    const GgufValue* addBos = m.find(QStringLiteral("tokenizer.ggml.add_bos_token"));
    const bool* addsBos = addBos ? std::get_if<bool>(&addBos->value) : nullptr;
    v.addBos = addsBos && *addsBos;
    for (std::size_t id = 0; id < v.pieces.size(); ++id) {
        if (v.kinds[id] != TokenKind::UserDefined && v.kinds[id] != TokenKind::Control)
            continue;
        v.pieces[id] = m.array(QStringLiteral("tokenizer.ggml.tokens"))->strings[id]; // verbatim
        if (v.kinds[id] == TokenKind::UserDefined && !v.pieces[id].empty())
            v.literals.push_back(std::int32_t(id)); // as llama.cpp, which finds them in any text
    }
    return {};
}

Result<Tokenizer> readVocabulary(const GgufMetadata& m) {
    const auto kind = m.string(QStringLiteral("tokenizer.ggml.model"));
    if (!kind)
        return Error{QStringLiteral("the file has no tokenizer (tokenizer.ggml.model is missing)")};
    if (*kind != "llama" && *kind != "gpt2")
        return Error{QStringLiteral("tokenizer.ggml.model = \"%1\" is not supported yet (only "
                                    "\"llama\", SentencePiece-style BPE, and \"gpt2\", "
                                    "byte-level BPE)")
                         .arg(QString::fromStdString(*kind))};
    const bool byteLevel = *kind == "gpt2";
    const GgufArray* tokens = m.array(QStringLiteral("tokenizer.ggml.tokens"));
    if (!tokens || tokens->elementType != GgufType::String || tokens->count == 0)
        return Error{QStringLiteral("tokenizer.ggml.tokens is missing or not a list of strings")};
    const std::size_t n = tokens->strings.size();

    Tokenizer::Vocabulary v;
    v.pieces.reserve(n);
    for (const auto& t : tokens->strings)
        v.pieces.push_back(byteLevel ? bytesFromByteLevel(t) : spaceFromSentencePiece(t));
    v.scores.assign(n, 0.0f);
    if (const GgufArray* scores = m.array(QStringLiteral("tokenizer.ggml.scores"))) {
        if (scores->elementType != GgufType::F32 || scores->count != n)
            return Error{QStringLiteral("tokenizer.ggml.scores must hold %1 f32 values").arg(n)};
        std::memcpy(v.scores.data(), scores->raw.data(), n * sizeof(float));
    }
    v.kinds.assign(n, TokenKind::Normal);
    if (const GgufArray* types = m.array(QStringLiteral("tokenizer.ggml.token_type"))) {
        if (types->elementType != GgufType::I32 || types->count != n)
            return Error{
                QStringLiteral("tokenizer.ggml.token_type must hold %1 i32 values").arg(n)};
        for (std::size_t i = 0; i < n; ++i) {
            std::int32_t t;
            std::memcpy(&t, types->raw.data() + i * 4, 4);
            v.kinds[i] = t >= 1 && t <= 6 ? TokenKind(t) : TokenKind::Normal;
        }
    }
    auto special = [&](const char* key, std::int32_t fallback) -> Result<std::int32_t> {
        const QString k = QLatin1String(key);
        if (!m.find(k))
            return fallback < std::int32_t(n) ? fallback : -1;
        const auto id = m.integer(k);
        if (!id || *id < 0 || *id >= std::int64_t(n))
            return Error{QStringLiteral("%1 is not a token id of the vocabulary").arg(k)};
        return std::int32_t(*id);
    };
    auto bos = special("tokenizer.ggml.bos_token_id", byteLevel ? -1 : 1);
    auto eos = special("tokenizer.ggml.eos_token_id", byteLevel ? -1 : 2);
    auto unk = special("tokenizer.ggml.unknown_token_id", byteLevel ? -1 : 0);
    for (const auto* r : {&bos, &eos, &unk})
        if (!*r)
            return r->error();
    v.bos = *bos;
    v.eos = *eos;
    v.unk = *unk;
    if (byteLevel)
        if (auto r = readByteLevel(m, v); !r)
            return r.error();
    return Tokenizer::create(std::move(v));
}

Result<LlamaConfig> readConfig(const GgufMetadata& m) {
    const auto arch = m.string(QStringLiteral("general.architecture"));
    if (!arch)
        return Error{QStringLiteral("general.architecture is missing")};
    if (*arch != "llama")
        return Error{QStringLiteral("architecture \"%1\" is not supported (llama is)")
                         .arg(QString::fromStdString(*arch))};
    LlamaConfig c;
    const QString p = QStringLiteral("llama.");
    auto dim = positiveInt(m, p + "embedding_length", {});
    auto hidden = positiveInt(m, p + "feed_forward_length", {});
    auto layers = positiveInt(m, p + "block_count", {});
    auto heads = positiveInt(m, p + "attention.head_count", {});
    auto context = positiveInt(m, p + "context_length", 2048);
    for (auto* r : {&dim, &hidden, &layers, &heads, &context})
        if (!*r)
            return r->error();
    c.dim = *dim;
    c.hiddenDim = *hidden;
    c.layers = *layers;
    c.heads = *heads;
    c.contextLength = *context;
    auto kvHeads = positiveInt(m, p + "attention.head_count_kv", c.heads);
    if (!kvHeads)
        return kvHeads.error();
    c.kvHeads = *kvHeads;
    if (c.layers > 4096)
        return Error{QStringLiteral("llama.block_count = %1 is out of range").arg(c.layers)};
    // The head width is embedding / heads unless the file says otherwise: a model whose heads
    // were pruned keeps its embedding and has fewer heads of the same width.
    const bool statedWidth = m.find(p + "attention.key_length") != nullptr;
    if ((!statedWidth && c.dim % c.heads != 0) || c.heads % c.kvHeads != 0)
        return Error{QStringLiteral("%1 heads and %2 kv heads do not divide the embedding of %3")
                         .arg(c.heads)
                         .arg(c.kvHeads)
                         .arg(c.dim)};
    auto headDim = positiveInt(m, p + "attention.key_length", c.dim / c.heads);
    if (!headDim)
        return headDim.error();
    auto valueDim = positiveInt(m, p + "attention.value_length", *headDim);
    if (!valueDim)
        return valueDim.error();
    if (*valueDim != *headDim || *headDim > 1024)
        return Error{QStringLiteral("llama.attention.key_length %1 and value_length %2 must be "
                                    "equal and at most 1024")
                         .arg(*headDim)
                         .arg(*valueDim)};
    c.headDim = *headDim;
    auto ropeDim = positiveInt(m, p + "rope.dimension_count", c.headDim);
    if (!ropeDim)
        return ropeDim.error();
    if (*ropeDim > c.headDim || *ropeDim % 2 != 0)
        return Error{QStringLiteral("llama.rope.dimension_count %1 must be even and at most the "
                                    "head size %2")
                         .arg(*ropeDim)
                         .arg(c.headDim)};
    c.ropeDim = *ropeDim;
    if (const auto eps = m.number(p + "attention.layer_norm_rms_epsilon")) {
        if (!(*eps > 0 && *eps < 1))
            return Error{QStringLiteral("llama.attention.layer_norm_rms_epsilon is out of range")};
        c.normEps = float(*eps);
    }
    if (const auto theta = m.number(p + "rope.freq_base")) {
        if (!(*theta > 1 && *theta < 1e12))
            return Error{QStringLiteral("llama.rope.freq_base is out of range")};
        c.ropeTheta = float(*theta);
    }
    if (m.find(p + "rope.scaling.type")) {
        const auto type = m.string(p + "rope.scaling.type");
        if (!type || *type != "none")
            return Error{QStringLiteral("llama.rope.scaling.type = \"%1\" is not supported")
                             .arg(QString::fromStdString(type.value_or("?")))};
    }
    return c;
}

} // namespace

Result<std::shared_ptr<const Model>> loadGgufModel(const QString& path) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.error();
    const QString fileName = QFileInfo(path).fileName();
    auto withName = [&](const Error& e) {
        return Error{fileName + QStringLiteral(": ") + e.message};
    };

    auto gguf = parseGguf(mapped.value()->bytes());
    if (!gguf)
        return withName(gguf.error());
    auto config = readConfig(gguf->metadata);
    if (!config)
        return withName(config.error());
    auto tokenizer = readVocabulary(gguf->metadata);
    if (!tokenizer)
        return withName(tokenizer.error());

    auto model = std::make_shared<Model>();
    model->path = path;
    model->format = ModelFormat::Gguf;
    model->formatName = QStringLiteral("GGUF v%1").arg(gguf->version);
    model->config = *config;
    model->config.vocabSize = tokenizer->vocabSize();
    model->tokenizer = std::move(tokenizer.value());
    model->tensors = std::move(gguf->tensors);
    model->metadata = std::move(gguf->metadata);
    model->files = {mapped.value()};
    model->config.tiedOutput = model->find(QStringLiteral("output.weight")) == nullptr;
    // As llama.cpp's llama architecture: Q, K and V biases when the file has them (Qwen2).
    for (const char* kind : {"attn_q", "attn_k", "attn_v"})
        model->config.qkvBias |= model->find(blockBiasName(0, kind)) != nullptr;
    if (model->config.tiedOutput)
        model->warnings << QStringLiteral(
            "no output.weight: the classifier reuses token_embd.weight");

    if (auto valid = validateLlamaTensors(*model); !valid)
        return withName(valid.error());
    return std::shared_ptr<const Model>(std::move(model));
}

} // namespace cwb
