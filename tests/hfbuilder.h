// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "testassets.h"

#include "bytelevel.h"
#include "llama2c.h"
#include "model.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <tuple>

// Writes Hugging Face model folders for tests, from the format descriptions: safetensors (an
// 8-byte little-endian header length, a JSON header of {name: {dtype, shape, data_offsets}}, the
// bytes), config.json, tokenizer.json and tokenizer_config.json.
namespace cwbtest {

enum class HfDtype { F32, BF16 };

struct HfTensor {
    QString name;
    std::vector<std::int64_t> shape; // PyTorch order: rows first
    std::vector<float> values;
};

inline bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

// A safetensors file from a header and the data that follows it, as given (for broken files too).
inline QByteArray rawSafetensors(const QByteArray& header, const QByteArray& data) {
    QByteArray out;
    const std::uint64_t length = std::uint64_t(header.size());
    out.append(reinterpret_cast<const char*>(&length), 8);
    return out + header + data;
}

// bf16 is the top half of the f32 bits, rounded to nearest even.
inline std::uint16_t toBf16(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7fff + ((u >> 16) & 1);
    return std::uint16_t(u >> 16);
}

inline QByteArray safetensorsFile(const std::vector<HfTensor>& tensors, HfDtype dtype) {
    QJsonObject header;
    QByteArray data;
    for (const HfTensor& t : tensors) {
        const qint64 begin = data.size();
        for (float v : t.values) {
            if (dtype == HfDtype::F32) {
                data.append(reinterpret_cast<const char*>(&v), 4);
            } else {
                const std::uint16_t b = toBf16(v);
                data.append(reinterpret_cast<const char*>(&b), 2);
            }
        }
        QJsonArray shape;
        for (auto d : t.shape)
            shape.append(qint64(d));
        header[t.name] =
            QJsonObject{{QStringLiteral("dtype"),
                         dtype == HfDtype::F32 ? QStringLiteral("F32") : QStringLiteral("BF16")},
                        {QStringLiteral("shape"), shape},
                        {QStringLiteral("data_offsets"), QJsonArray{begin, qint64(data.size())}}};
    }
    header[QStringLiteral("__metadata__")] =
        QJsonObject{{QStringLiteral("format"), QStringLiteral("pt")}};
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (json.size() % 8) // the specification pads the header with spaces
        json.append(' ');
    return rawSafetensors(json, data);
}

// stories260K's weights under Hugging Face names, Q and K rows in rotate-half order: within each
// head, the first halves of the rotary pairs, then the second halves (transformers' permute()).
inline std::vector<HfTensor> stories260KTensors() {
    auto loaded = cwb::loadModel(stories260KBin());
    if (!loaded)
        qFatal("%s", qPrintable(loaded.error().message));
    const cwb::Model& m = **loaded;
    const cwb::LlamaConfig& c = m.config;
    const std::map<QString, QString> blockNames{
        {QStringLiteral("attn_norm"), QStringLiteral("input_layernorm")},
        {QStringLiteral("attn_q"), QStringLiteral("self_attn.q_proj")},
        {QStringLiteral("attn_k"), QStringLiteral("self_attn.k_proj")},
        {QStringLiteral("attn_v"), QStringLiteral("self_attn.v_proj")},
        {QStringLiteral("attn_output"), QStringLiteral("self_attn.o_proj")},
        {QStringLiteral("ffn_norm"), QStringLiteral("post_attention_layernorm")},
        {QStringLiteral("ffn_gate"), QStringLiteral("mlp.gate_proj")},
        {QStringLiteral("ffn_up"), QStringLiteral("mlp.up_proj")},
        {QStringLiteral("ffn_down"), QStringLiteral("mlp.down_proj")}};
    std::vector<HfTensor> out;
    for (const cwb::Tensor& t : m.tensors) {
        HfTensor h;
        if (t.name == QLatin1String("token_embd.weight"))
            h.name = QStringLiteral("model.embed_tokens.weight");
        else if (t.name == QLatin1String("output_norm.weight"))
            h.name = QStringLiteral("model.norm.weight");
        else if (t.name == QLatin1String("output.weight"))
            h.name = QStringLiteral("lm_head.weight");
        else
            h.name = QStringLiteral("model.layers.%1.%2.weight")
                         .arg(t.name.section(QLatin1Char('.'), 1, 1),
                              blockNames.at(t.name.section(QLatin1Char('.'), 2, 2)));
        h.shape.assign(t.shape.rbegin(), t.shape.rend());
        const auto* f = reinterpret_cast<const float*>(t.data.data());
        h.values.assign(f, f + t.elements());
        const bool q = t.name.endsWith(QLatin1String("attn_q.weight"));
        if (q || t.name.endsWith(QLatin1String("attn_k.weight"))) {
            const int heads = q ? c.heads : c.kvHeads, hd = c.headDim;
            const auto row = std::size_t(t.rowLength());
            std::vector<float> permuted(h.values.size());
            for (int head = 0; head < heads; ++head)
                for (int i = 0; i < hd / 2; ++i)
                    for (int p = 0; p < 2; ++p)
                        std::copy_n(
                            f + std::size_t(head * hd + 2 * i + p) * row, row,
                            permuted.begin() +
                                std::ptrdiff_t(std::size_t(head * hd + p * hd / 2 + i) * row));
            h.values = std::move(permuted);
        }
        out.push_back(std::move(h));
    }
    return out;
}

inline QJsonObject stories260KConfig() {
    return QJsonObject{
        {QStringLiteral("architectures"), QJsonArray{QStringLiteral("LlamaForCausalLM")}},
        {QStringLiteral("model_type"), QStringLiteral("llama")},
        {QStringLiteral("hidden_size"), 64},
        {QStringLiteral("intermediate_size"), 172},
        {QStringLiteral("num_hidden_layers"), 5},
        {QStringLiteral("num_attention_heads"), 8},
        {QStringLiteral("num_key_value_heads"), 4},
        {QStringLiteral("vocab_size"), 512},
        {QStringLiteral("max_position_embeddings"), 512},
        {QStringLiteral("rms_norm_eps"), 1e-5},
        {QStringLiteral("rope_theta"), 10000.0},
        {QStringLiteral("rope_scaling"), QJsonValue::Null},
        {QStringLiteral("hidden_act"), QStringLiteral("silu")},
        {QStringLiteral("tie_word_embeddings"), true},
        {QStringLiteral("bos_token_id"), 1},
        {QStringLiteral("eos_token_id"), 2},
        {QStringLiteral("torch_dtype"), QStringLiteral("float32")}};
}

inline cwb::Tokenizer tok512() {
    QFile f(asset(QStringLiteral("stories260K/tok512.bin")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("tok512.bin missing");
    const QByteArray bytes = f.readAll();
    auto tok = cwb::loadLlama2cTokenizer(
        {reinterpret_cast<const std::uint8_t*>(bytes.constData()), std::size_t(bytes.size())}, 512);
    if (!tok)
        qFatal("%s", qPrintable(tok.error().message));
    return std::move(tok.value());
}

// tok512.bin as a tokenizer.json of Llama 2's kind: the ▁ normalizer, byte fallback, and a merge
// for every way a piece splits into two pieces, ordered by the merged piece's score (best first),
// which is the order SentencePiece merges in.
inline QJsonObject tokenizerJsonFrom(const cwb::Tokenizer& tok, bool mergesAsPairs) {
    const QString marker = QStringLiteral("\u2581");
    auto text = [&](std::int32_t id) {
        return QString::fromStdString(tok.piece(id)).replace(QLatin1Char(' '), marker);
    };
    auto isByte = [&](std::int32_t id) {
        const std::string& p = tok.piece(id);
        return p.size() == 6 && p.rfind("<0x", 0) == 0 && p[5] == '>';
    };
    auto mergeable = [&](std::int32_t id) {
        return tok.kind(id) == cwb::TokenKind::Normal && !isByte(id) && !tok.piece(id).empty();
    };
    QJsonObject vocab;
    std::map<std::string, std::int32_t> ids;
    for (std::int32_t id = 0; id < tok.vocabSize(); ++id) {
        vocab[text(id)] = id;
        if (mergeable(id))
            ids.emplace(tok.piece(id), id);
    }
    std::vector<std::tuple<float, std::int32_t, std::size_t>> order; // -score, id, split
    for (std::int32_t id = 0; id < tok.vocabSize(); ++id) {
        if (!mergeable(id))
            continue;
        const std::string& p = tok.piece(id);
        for (std::size_t k = 1; k < p.size(); ++k)
            if ((std::uint8_t(p[k]) & 0xc0) != 0x80 && ids.count(p.substr(0, k)) &&
                ids.count(p.substr(k)))
                order.emplace_back(-tok.score(id), id, k);
    }
    std::sort(order.begin(), order.end());
    QJsonArray merges;
    for (const auto& [negScore, id, k] : order) {
        const QString left =
            QString::fromStdString(tok.piece(id).substr(0, k)).replace(QLatin1Char(' '), marker);
        const QString right =
            QString::fromStdString(tok.piece(id).substr(k)).replace(QLatin1Char(' '), marker);
        if (mergesAsPairs)
            merges.append(QJsonArray{left, right});
        else
            merges.append(left + QLatin1Char(' ') + right);
    }
    QJsonArray added;
    for (std::int32_t id : {tok.unk(), tok.bos(), tok.eos()})
        added.append(QJsonObject{{QStringLiteral("id"), id},
                                 {QStringLiteral("content"), text(id)},
                                 {QStringLiteral("single_word"), false},
                                 {QStringLiteral("lstrip"), false},
                                 {QStringLiteral("rstrip"), false},
                                 {QStringLiteral("normalized"), false},
                                 {QStringLiteral("special"), true}});
    const QJsonObject bos{
        {QStringLiteral("SpecialToken"),
         QJsonObject{{QStringLiteral("id"), text(tok.bos())}, {QStringLiteral("type_id"), 0}}}};
    const QJsonObject a{
        {QStringLiteral("Sequence"),
         QJsonObject{{QStringLiteral("id"), QStringLiteral("A")}, {QStringLiteral("type_id"), 0}}}};
    return QJsonObject{
        {QStringLiteral("version"), QStringLiteral("1.0")},
        {QStringLiteral("added_tokens"), added},
        {QStringLiteral("normalizer"),
         QJsonObject{
             {QStringLiteral("type"), QStringLiteral("Sequence")},
             {QStringLiteral("normalizers"),
              QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("Prepend")},
                                     {QStringLiteral("prepend"), marker}},
                         QJsonObject{{QStringLiteral("type"), QStringLiteral("Replace")},
                                     {QStringLiteral("pattern"),
                                      QJsonObject{{QStringLiteral("String"), QStringLiteral(" ")}}},
                                     {QStringLiteral("content"), marker}}}}}},
        {QStringLiteral("pre_tokenizer"), QJsonValue::Null},
        {QStringLiteral("post_processor"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("TemplateProcessing")},
                     {QStringLiteral("single"), QJsonArray{bos, a}},
                     {QStringLiteral("special_tokens"),
                      QJsonObject{{text(tok.bos()),
                                   QJsonObject{{QStringLiteral("id"), text(tok.bos())},
                                               {QStringLiteral("ids"), QJsonArray{tok.bos()}},
                                               {QStringLiteral("tokens"),
                                                QJsonArray{text(tok.bos())}}}}}}}},
        {QStringLiteral("model"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("BPE")},
                     {QStringLiteral("dropout"), QJsonValue::Null},
                     {QStringLiteral("unk_token"), text(tok.unk())},
                     {QStringLiteral("continuing_subword_prefix"), QJsonValue::Null},
                     {QStringLiteral("end_of_word_suffix"), QJsonValue::Null},
                     {QStringLiteral("fuse_unk"), true},
                     {QStringLiteral("byte_fallback"), true},
                     {QStringLiteral("ignore_merges"), false},
                     {QStringLiteral("vocab"), vocab},
                     {QStringLiteral("merges"), merges}}}};
}

inline QByteArray json(const QJsonObject& o) {
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// `tensors` in `dir` as one model.safetensors, or as `shards` files with
// model.safetensors.index.json.
inline void writeSafetensors(const QDir& d, const std::vector<HfTensor>& tensors, HfDtype dtype,
                             int shards) {
    if (shards <= 1) {
        writeFile(d.filePath(QStringLiteral("model.safetensors")), safetensorsFile(tensors, dtype));
        return;
    }
    QJsonObject weightMap;
    const std::size_t per = (tensors.size() + std::size_t(shards) - 1) / std::size_t(shards);
    for (int s = 0; s < shards; ++s) {
        const QString name = QStringLiteral("model-%1-of-%2.safetensors")
                                 .arg(s + 1, 5, 10, QLatin1Char('0'))
                                 .arg(shards, 5, 10, QLatin1Char('0'));
        const std::size_t from = std::min(tensors.size(), per * std::size_t(s));
        const std::size_t to = std::min(tensors.size(), per * std::size_t(s + 1));
        const std::vector<HfTensor> part(tensors.begin() + std::ptrdiff_t(from),
                                         tensors.begin() + std::ptrdiff_t(to));
        for (const HfTensor& t : part)
            weightMap[t.name] = name;
        writeFile(d.filePath(name), safetensorsFile(part, dtype));
    }
    writeFile(d.filePath(QStringLiteral("model.safetensors.index.json")),
              json(QJsonObject{{QStringLiteral("metadata"), QJsonObject{}},
                               {QStringLiteral("weight_map"), weightMap}}));
}

// stories260K as a Hugging Face folder in `dir`: one model.safetensors, or `shards` files with
// model.safetensors.index.json.
inline void writeStories260KFolder(const QString& dir, HfDtype dtype, int shards = 1,
                                   bool mergesAsPairs = false) {
    QDir().mkpath(dir);
    const QDir d(dir);
    writeSafetensors(d, stories260KTensors(), dtype, shards);
    writeFile(d.filePath(QStringLiteral("config.json")), json(stories260KConfig()));
    writeFile(d.filePath(QStringLiteral("tokenizer.json")),
              json(tokenizerJsonFrom(tok512(), mergesAsPairs)));
    writeFile(d.filePath(QStringLiteral("tokenizer_config.json")),
              json(QJsonObject{{QStringLiteral("add_bos_token"), true},
                               {QStringLiteral("add_eos_token"), false},
                               {QStringLiteral("bos_token"), QStringLiteral("<s>")},
                               {QStringLiteral("eos_token"), QStringLiteral("</s>")},
                               {QStringLiteral("unk_token"), QStringLiteral("<unk>")}}));
}

// Qwen2's layout on stories260K: its weights, plus a bias on every Q, K and V projection drawn
// from N(0, biasScale²), stored as Hugging Face stores them (Q and K biases, like their rows, in
// rotate-half order), after each block's v_proj weight.
inline std::vector<HfTensor> qwen2Tensors(float biasScale, std::uint32_t seed = 7) {
    std::vector<HfTensor> out;
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, biasScale);
    for (HfTensor& t : stories260KTensors()) {
        const bool v = t.name.endsWith(QLatin1String("self_attn.v_proj.weight"));
        const QString layer = t.name.section(QLatin1Char('.'), 0, 2); // "model.layers.3"
        out.push_back(std::move(t));
        if (!v)
            continue;
        for (const auto& [proj, rows] :
             {std::pair{"q_proj", 64}, std::pair{"k_proj", 32}, std::pair{"v_proj", 32}}) {
            HfTensor b{QStringLiteral("%1.self_attn.%2.bias").arg(layer, QLatin1String(proj)),
                       {rows},
                       std::vector<float>(std::size_t(rows))};
            for (float& x : b.values)
                x = normal(rng);
            out.push_back(std::move(b));
        }
    }
    return out;
}

// Qwen2's pre-tokenizer split, as its tokenizer.json writes it.
inline QString qwen2SplitPattern() {
    return QStringLiteral(
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)");
}

// A byte-level BPE tokenizer.json of Qwen2's kind (NFC, its split, no BOS) with 512 tokens: the
// 256 bytes (id = byte value), 254 merges learned here from `corpus` (the most frequent adjacent
// pair first, ties to the smaller pair), then <|endoftext|> (510) and <|im_end|> (511).
inline QJsonObject qwen2TokenizerJson(const std::vector<std::string>& corpus) {
    const std::vector<QRegularExpression> split{QRegularExpression(qwen2SplitPattern())};
    std::map<std::string, std::int64_t> words;
    for (const std::string& doc : corpus)
        for (const auto& [begin, end] : cwb::splitByPatterns(doc, split))
            ++words[doc.substr(begin, end - begin)];
    std::vector<std::pair<std::vector<std::string>, std::int64_t>> symbols;
    for (const auto& [word, count] : words) {
        std::vector<std::string> w;
        for (char ch : word)
            w.emplace_back(1, ch);
        symbols.emplace_back(std::move(w), count);
    }
    std::set<std::string> pieces;
    for (int b = 0; b < 256; ++b)
        pieces.insert(std::string(1, char(b)));
    QJsonObject vocab;
    for (int b = 0; b < 256; ++b)
        vocab[QString::fromStdString(cwb::byteLevelFromBytes(std::string(1, char(b))))] = b;
    QJsonArray merges;
    for (int id = 256; id < 510; ++id) {
        std::map<std::pair<std::string, std::string>, std::int64_t> pairs;
        for (const auto& [w, count] : symbols)
            for (std::size_t i = 0; i + 1 < w.size(); ++i)
                if (!pieces.count(w[i] + w[i + 1]))
                    pairs[{w[i], w[i + 1]}] += count;
        if (pairs.empty())
            qFatal("the corpus is too small for 254 merges");
        auto best = pairs.begin();
        for (auto it = pairs.begin(); it != pairs.end(); ++it)
            if (it->second > best->second)
                best = it;
        const auto [left, right] = best->first;
        for (auto& [w, count] : symbols)
            for (std::size_t i = 0; i + 1 < w.size(); ++i)
                if (w[i] == left && w[i + 1] == right) {
                    w[i] += w[i + 1];
                    w.erase(w.begin() + std::ptrdiff_t(i) + 1);
                }
        pieces.insert(left + right);
        vocab[QString::fromStdString(cwb::byteLevelFromBytes(left + right))] = id;
        merges.append(QString::fromStdString(cwb::byteLevelFromBytes(left) + ' ' +
                                             cwb::byteLevelFromBytes(right)));
    }
    QJsonArray added;
    for (const auto& [id, content] : {std::pair{510, "<|endoftext|>"}, {511, "<|im_end|>"}}) {
        vocab[QLatin1String(content)] = id;
        added.append(QJsonObject{{QStringLiteral("id"), id},
                                 {QStringLiteral("content"), QLatin1String(content)},
                                 {QStringLiteral("single_word"), false},
                                 {QStringLiteral("lstrip"), false},
                                 {QStringLiteral("rstrip"), false},
                                 {QStringLiteral("normalized"), false},
                                 {QStringLiteral("special"), true}});
    }
    const QJsonObject byteLevel{{QStringLiteral("type"), QStringLiteral("ByteLevel")},
                                {QStringLiteral("add_prefix_space"), false},
                                {QStringLiteral("trim_offsets"), false},
                                {QStringLiteral("use_regex"), false}};
    return QJsonObject{
        {QStringLiteral("version"), QStringLiteral("1.0")},
        {QStringLiteral("added_tokens"), added},
        {QStringLiteral("normalizer"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("NFC")}}},
        {QStringLiteral("pre_tokenizer"),
         QJsonObject{
             {QStringLiteral("type"), QStringLiteral("Sequence")},
             {QStringLiteral("pretokenizers"),
              QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("Split")},
                                     {QStringLiteral("pattern"),
                                      QJsonObject{{QStringLiteral("Regex"), qwen2SplitPattern()}}},
                                     {QStringLiteral("behavior"), QStringLiteral("Isolated")},
                                     {QStringLiteral("invert"), false}},
                         byteLevel}}}},
        {QStringLiteral("post_processor"), byteLevel},
        {QStringLiteral("decoder"), byteLevel},
        {QStringLiteral("model"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("BPE")},
                     {QStringLiteral("dropout"), QJsonValue::Null},
                     {QStringLiteral("unk_token"), QJsonValue::Null},
                     {QStringLiteral("continuing_subword_prefix"), QString()},
                     {QStringLiteral("end_of_word_suffix"), QString()},
                     {QStringLiteral("fuse_unk"), false},
                     {QStringLiteral("byte_fallback"), false},
                     {QStringLiteral("ignore_merges"), false},
                     {QStringLiteral("vocab"), vocab},
                     {QStringLiteral("merges"), merges}}}};
}

inline QJsonObject qwen2Config() {
    QJsonObject c = stories260KConfig();
    c[QStringLiteral("architectures")] = QJsonArray{QStringLiteral("Qwen2ForCausalLM")};
    c[QStringLiteral("model_type")] = QStringLiteral("qwen2");
    c[QStringLiteral("rms_norm_eps")] = 1e-6;
    c[QStringLiteral("rope_theta")] = 1000000.0;
    c[QStringLiteral("use_sliding_window")] = false;
    c[QStringLiteral("sliding_window")] = 4096;
    c[QStringLiteral("bos_token_id")] = 510;
    c[QStringLiteral("eos_token_id")] = 511;
    return c;
}

// A Qwen2ForCausalLM folder in `dir`: qwen2Tensors(biasScale) in one F32 file, or `shards` files,
// qwen2Config() and a tokenizer learned from `corpus`.
inline void writeQwen2Folder(const QString& dir, float biasScale,
                             const std::vector<std::string>& corpus, int shards = 1) {
    QDir().mkpath(dir);
    const QDir d(dir);
    writeSafetensors(d, qwen2Tensors(biasScale), HfDtype::F32, shards);
    writeFile(d.filePath(QStringLiteral("config.json")), json(qwen2Config()));
    writeFile(d.filePath(QStringLiteral("tokenizer.json")), json(qwen2TokenizerJson(corpus)));
    writeFile(d.filePath(QStringLiteral("tokenizer_config.json")),
              json(QJsonObject{{QStringLiteral("bos_token"), QJsonValue::Null},
                               {QStringLiteral("eos_token"), QStringLiteral("<|im_end|>")},
                               {QStringLiteral("pad_token"), QStringLiteral("<|endoftext|>")},
                               {QStringLiteral("model_max_length"), 512}}));
}

} // namespace cwbtest
