// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QByteArray>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
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

// How text becomes the first symbols that merges join.
//  SentencePiece: a dummy space in front, each UTF-8 character looked up (bytes as <0xXX> tokens
//    if the character is not in the vocabulary, <unk> if there are no byte tokens).
//  ByteLevel (GPT-2, Llama 3, Qwen2, SmolLM): the text split by the pre-tokenizer's regular
//    expressions, each piece's bytes a symbol each; merges never cross pieces.
enum class TokenizerModel { SentencePiece, ByteLevel };

// A BPE vocabulary. With scores and no merge list it encodes exactly as llama2.c's encode(): the
// adjacent pair whose merge has the highest score is merged, leftmost first on ties, until none
// merges. With a merge list (tokenizer.json, GGUF gpt2) the pair listed first merges first.
class Tokenizer {
public:
    struct Vocabulary {
        // Spaces as ' ' (GGUF's U+2581 already replaced); byte-level pieces as their bytes.
        std::vector<std::string> pieces;
        std::vector<float> scores;
        std::vector<TokenKind> kinds;
        std::int32_t bos = -1;
        std::int32_t eos = -1;
        std::int32_t unk = -1;

        TokenizerModel model = TokenizerModel::SentencePiece;
        std::vector<std::pair<std::string, std::string>> merges; // pieces, in priority order
        bool addBos = true;                 // encode(text, true) puts BOS first
        bool dummyPrefix = true;            // SentencePiece: a space before the text
        bool prefixFirstOnly = false;       // ... before the text's start only, not after a literal
        bool splitAtSpaces = false;         // SentencePiece: every space starts a new word
        bool wholeWordsFirst = false;       // byte-level: a piece in the vocabulary is one token
        bool nfc = false;                   // byte-level: Unicode NFC before splitting
        QStringList splitPatterns;          // byte-level pre-tokenizer, applied in turn
        std::vector<std::int32_t> literals; // added tokens found in the text before anything else
    };

    Tokenizer() = default;
    static Result<Tokenizer> create(Vocabulary vocabulary);

    int vocabSize() const { return int(m_vocab.pieces.size()); }
    std::int32_t bos() const { return m_vocab.bos; }
    std::int32_t eos() const { return m_vocab.eos; }
    std::int32_t unk() const { return m_vocab.unk; }
    bool hasByteFallback() const { return m_byteTokens > 0; }
    bool addsBos() const { return m_vocab.addBos && m_vocab.bos >= 0; }
    TokenizerModel model() const { return m_vocab.model; }
    const Vocabulary& vocabulary() const { return m_vocab; }
    // For summaries and reports: "SentencePiece BPE" (kindId "sentencepiece-bpe") or
    // "byte-level BPE" ("byte-level-bpe").
    QString kindName() const;
    QString kindId() const;
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
    struct Merge {
        std::int32_t rank;
        std::int32_t id;
    };
    Result<void> prepareMergesAndSplits();
    void encodeSegment(std::string_view text, bool atStart, std::vector<std::int32_t>& out) const;
    void mergeWord(std::string_view word, bool byteSymbols, std::vector<std::int32_t>& out) const;

    Vocabulary m_vocab;
    std::unordered_map<std::string_view, std::int32_t> m_lookup; // mergeable pieces only
    std::unordered_map<std::uint64_t, Merge> m_merges;           // by (left id << 32 | right id)
    std::vector<QRegularExpression> m_split;
    std::array<std::int32_t, 256> m_byteToken{};
    int m_byteTokens = 0;
};

} // namespace cwb
