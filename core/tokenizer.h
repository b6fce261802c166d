// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QByteArray>
#include <QString>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cwb {

// Token kinds, numbered as GGUF's tokenizer.ggml.token_type numbers them.
enum class TokenKind : std::int32_t {
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
};

// A SentencePiece-style BPE vocabulary with scores, encoding exactly as llama2.c's encode():
// a dummy space in front, each UTF-8 character looked up (bytes as <0xXX> tokens if the
// character is not in the vocabulary, <unk> if there are no byte tokens), then the adjacent pair
// whose merge has the highest score is merged, leftmost first on ties, until none merges.
class Tokenizer {
public:
    struct Vocabulary {
        std::vector<std::string> pieces; // spaces as ' ' (GGUF's U+2581 already replaced)
        std::vector<float> scores;
        std::vector<TokenKind> kinds;
        std::int32_t bos = -1;
        std::int32_t eos = -1;
        std::int32_t unk = -1;
    };

    Tokenizer() = default;
    static Result<Tokenizer> create(Vocabulary vocabulary);

    int vocabSize() const { return int(m_vocab.pieces.size()); }
    std::int32_t bos() const { return m_vocab.bos; }
    std::int32_t eos() const { return m_vocab.eos; }
    std::int32_t unk() const { return m_vocab.unk; }
    bool hasByteFallback() const { return m_byteTokens > 0; }
    // For summaries and reports: "SentencePiece BPE" (kindId "sentencepiece-bpe").
    QString kindName() const { return QStringLiteral("SentencePiece BPE"); }
    QString kindId() const { return QStringLiteral("sentencepiece-bpe"); }
    const std::string& piece(std::int32_t id) const { return m_vocab.pieces[std::size_t(id)]; }
    float score(std::int32_t id) const { return m_vocab.scores[std::size_t(id)]; }
    TokenKind kind(std::int32_t id) const { return m_vocab.kinds[std::size_t(id)]; }

    // Token ids of `text` (any bytes; invalid UTF-8 is encoded byte by byte, never read past).
    std::vector<std::int32_t> encode(std::string_view text, bool addBos) const;

    // The bytes a token stands for when it follows `previous`, as llama2.c prints it: the space
    // after BOS is dropped and <0xXX> pieces become their byte.
    std::string decode(std::int32_t previous, std::int32_t id) const;
    std::string decode(std::span<const std::int32_t> ids) const;

private:
    Vocabulary m_vocab;
    std::unordered_map<std::string_view, std::int32_t> m_lookup; // mergeable pieces only
    std::array<std::int32_t, 256> m_byteToken{};
    int m_byteTokens = 0;
};

} // namespace cwb
