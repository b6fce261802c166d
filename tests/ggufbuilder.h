// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>
#include <vector>

// Writes small GGUF files byte by byte for tests, including ones that break the rules.
namespace cwbtest {

class GgufBuilder {
public:
    QByteArray header;
    QByteArray metadata;
    QByteArray infos;
    QByteArray data;
    std::uint64_t tensorCount = 0;
    std::uint64_t metadataCount = 0;
    std::uint32_t version = 3;
    int alignment = 32;

    template <typename T> static void put(QByteArray& out, T v) {
        out.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    static void putString(QByteArray& out, const QByteArray& s) {
        put<std::uint64_t>(out, std::uint64_t(s.size()));
        out.append(s);
    }

    void addU32(const QByteArray& key, std::uint32_t v) {
        putString(metadata, key);
        put<std::uint32_t>(metadata, 4);
        put(metadata, v);
        ++metadataCount;
    }
    void addF32(const QByteArray& key, float v) {
        putString(metadata, key);
        put<std::uint32_t>(metadata, 6);
        put(metadata, v);
        ++metadataCount;
    }
    void addString(const QByteArray& key, const QByteArray& v) {
        putString(metadata, key);
        put<std::uint32_t>(metadata, 8);
        putString(metadata, v);
        ++metadataCount;
    }
    void addStringArray(const QByteArray& key, const QList<QByteArray>& values) {
        putString(metadata, key);
        put<std::uint32_t>(metadata, 9);
        put<std::uint32_t>(metadata, 8);
        put<std::uint64_t>(metadata, std::uint64_t(values.size()));
        for (const auto& v : values)
            putString(metadata, v);
        ++metadataCount;
    }
    void addF32Array(const QByteArray& key, const std::vector<float>& values) {
        putString(metadata, key);
        put<std::uint32_t>(metadata, 9);
        put<std::uint32_t>(metadata, 6);
        put<std::uint64_t>(metadata, values.size());
        for (float v : values)
            put(metadata, v);
        ++metadataCount;
    }
    // An f32 tensor whose data is appended, aligned.
    void addTensor(const QByteArray& name, std::vector<std::uint64_t> shape,
                   std::uint32_t type = 0) {
        putString(infos, name);
        put<std::uint32_t>(infos, std::uint32_t(shape.size()));
        std::uint64_t n = 1;
        for (auto d : shape) {
            put(infos, d);
            n *= d;
        }
        put(infos, type);
        while (data.size() % alignment)
            data.append('\0');
        put<std::uint64_t>(infos, std::uint64_t(data.size()));
        for (std::uint64_t i = 0; i < n; ++i)
            put<float>(data, 0.01f * float(i % 7));
        ++tensorCount;
    }

    // A tensor of any type whose bytes are given.
    void addRawTensor(const QByteArray& name, std::vector<std::uint64_t> shape, std::uint32_t type,
                      const QByteArray& bytes) {
        putString(infos, name);
        put<std::uint32_t>(infos, std::uint32_t(shape.size()));
        for (auto d : shape)
            put(infos, d);
        put(infos, type);
        while (data.size() % alignment)
            data.append('\0');
        put<std::uint64_t>(infos, std::uint64_t(data.size()));
        data += bytes;
        ++tensorCount;
    }
    void addI32Array(const QByteArray& key, const std::vector<std::int32_t>& values) {
        putString(metadata, key);
        put<std::uint32_t>(metadata, 9);
        put<std::uint32_t>(metadata, 5);
        put<std::uint64_t>(metadata, values.size());
        for (auto v : values)
            put(metadata, v);
        ++metadataCount;
    }

    QByteArray bytes() const {
        QByteArray out("GGUF");
        put(out, version);
        put(out, tensorCount);
        put(out, metadataCount);
        out += metadata;
        out += infos;
        while (out.size() % alignment)
            out.append('\0');
        out += data;
        return out;
    }

    // A complete, valid tiny llama model: dim 8, 1 block, 2 heads, vocab 4.
    static GgufBuilder tinyLlama() {
        GgufBuilder b;
        b.addString("general.architecture", "llama");
        b.addU32("llama.embedding_length", 8);
        b.addU32("llama.feed_forward_length", 16);
        b.addU32("llama.block_count", 1);
        b.addU32("llama.attention.head_count", 2);
        b.addU32("llama.context_length", 32);
        b.addF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        b.addString("tokenizer.ggml.model", "llama");
        b.addStringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>",
                                                   "\xe2\x96\x81"
                                                   "a"});
        b.addF32Array("tokenizer.ggml.scores", {0, 0, 0, -1});
        b.addTensor("token_embd.weight", {8, 4});
        b.addTensor("output_norm.weight", {8});
        b.addTensor("blk.0.attn_norm.weight", {8});
        b.addTensor("blk.0.attn_q.weight", {8, 8});
        b.addTensor("blk.0.attn_k.weight", {8, 8});
        b.addTensor("blk.0.attn_v.weight", {8, 8});
        b.addTensor("blk.0.attn_output.weight", {8, 8});
        b.addTensor("blk.0.ffn_norm.weight", {8});
        b.addTensor("blk.0.ffn_gate.weight", {8, 16});
        b.addTensor("blk.0.ffn_up.weight", {8, 16});
        b.addTensor("blk.0.ffn_down.weight", {16, 8});
        return b;
    }
};

} // namespace cwbtest
