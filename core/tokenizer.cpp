// SPDX-License-Identifier: GPL-3.0-or-later
#include "tokenizer.h"

#include <queue>

namespace cwb {
namespace {

// "<0xAB>" -> 0xAB, or -1.
int byteOfPiece(const std::string& piece) {
    if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>')
        return -1;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        return -1;
    };
    const int hi = hex(piece[3]);
    const int lo = hex(piece[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// llama2.c never merges with a score at or below this.
constexpr float kNoMergeScore = -1e10f;

struct Symbol {
    std::int32_t id;
    std::uint32_t start;
    std::uint32_t length; // 0 once merged into its left neighbour
    std::int32_t prev;
    std::int32_t next;
    bool mergeable;
};

struct Candidate {
    float score;
    std::int32_t left;
    std::int32_t right;
    std::uint32_t length;
    std::int32_t id;
};

// Highest score first; on equal scores the leftmost pair, as llama2.c's scan picks it.
struct CandidateOrder {
    bool operator()(const Candidate& a, const Candidate& b) const {
        if (a.score != b.score)
            return a.score < b.score;
        return a.left > b.left;
    }
};

} // namespace

Result<Tokenizer> Tokenizer::create(Vocabulary vocabulary) {
    const std::size_t n = vocabulary.pieces.size();
    if (n == 0)
        return Error{QStringLiteral("the vocabulary is empty")};
    if (vocabulary.scores.size() != n || vocabulary.kinds.size() != n)
        return Error{QStringLiteral("the vocabulary's pieces, scores and kinds differ in count")};
    for (std::int32_t special : {vocabulary.bos, vocabulary.eos, vocabulary.unk})
        if (special < -1 || special >= std::int32_t(n))
            return Error{QStringLiteral("a special token id (%1) is outside the vocabulary of %2")
                             .arg(special)
                             .arg(n)};

    Tokenizer t;
    t.m_vocab = std::move(vocabulary);
    t.m_byteToken.fill(-1);
    const auto& pieces = t.m_vocab.pieces;
    for (std::size_t id = 0; id < n; ++id) {
        const TokenKind kind = t.m_vocab.kinds[id];
        const int byte = byteOfPiece(pieces[id]);
        if (byte >= 0 && (kind == TokenKind::Byte || kind == TokenKind::Normal)) {
            if (t.m_byteToken[std::size_t(byte)] < 0) {
                t.m_byteToken[std::size_t(byte)] = std::int32_t(id);
                ++t.m_byteTokens;
            }
            continue;
        }
        if (kind != TokenKind::Normal && kind != TokenKind::UserDefined)
            continue;
        if (std::int32_t(id) == t.m_vocab.bos || std::int32_t(id) == t.m_vocab.eos ||
            std::int32_t(id) == t.m_vocab.unk || pieces[id].empty())
            continue;
        t.m_lookup.emplace(std::string_view(pieces[id]), std::int32_t(id)); // first id wins
    }
    return t;
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool addBos) const {
    std::vector<std::int32_t> out;
    if (addBos && m_vocab.bos >= 0)
        out.push_back(m_vocab.bos);
    if (text.empty())
        return out;

    std::string padded;
    padded.reserve(text.size() + 1);
    padded.push_back(' '); // SentencePiece's dummy prefix
    padded.append(text);
    const std::string_view s(padded);

    std::vector<Symbol> symbols;
    symbols.reserve(s.size());
    auto addSymbol = [&](std::int32_t id, std::size_t start, std::size_t length, bool mergeable) {
        const auto index = std::int32_t(symbols.size());
        symbols.push_back(
            {id, std::uint32_t(start), std::uint32_t(length), index - 1, index + 1, mergeable});
    };
    // Characters: a lead byte and up to three continuation bytes, as llama2.c groups them.
    for (std::size_t i = 0; i < s.size();) {
        std::size_t length = 1;
        while (i + length < s.size() && length < 4 && (std::uint8_t(s[i + length]) & 0xc0) == 0x80)
            ++length;
        const auto found = m_lookup.find(s.substr(i, length));
        if (found != m_lookup.end()) {
            addSymbol(found->second, i, length, true);
        } else {
            for (std::size_t b = 0; b < length; ++b) {
                const std::int32_t byteId = m_byteToken[std::uint8_t(s[i + b])];
                if (byteId >= 0)
                    addSymbol(byteId, i + b, 1, false);
                else if (m_vocab.unk >= 0 && b == 0)
                    addSymbol(m_vocab.unk, i, length, false); // one <unk> per character
            }
        }
        i += length;
    }
    if (symbols.empty())
        return out;
    symbols.back().next = -1;

    std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue;
    auto tryPair = [&](std::int32_t left, std::int32_t right) {
        if (left < 0 || right < 0)
            return;
        const Symbol& a = symbols[std::size_t(left)];
        const Symbol& b = symbols[std::size_t(right)];
        if (!a.mergeable || !b.mergeable)
            return;
        const auto found = m_lookup.find(s.substr(a.start, a.length + b.length));
        if (found == m_lookup.end())
            return;
        const float score = m_vocab.scores[std::size_t(found->second)];
        if (!(score > kNoMergeScore))
            return;
        queue.push({score, left, right, a.length + b.length, found->second});
    };
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
        tryPair(std::int32_t(i), std::int32_t(i + 1));

    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& left = symbols[std::size_t(c.left)];
        Symbol& right = symbols[std::size_t(c.right)];
        if (left.length == 0 || right.length == 0 || left.next != c.right ||
            left.length + right.length != c.length)
            continue; // stale: one side has merged since
        left.id = c.id;
        left.length = c.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0)
            symbols[std::size_t(right.next)].prev = c.left;
        tryPair(left.prev, c.left);
        tryPair(c.left, left.next);
    }

    for (std::int32_t i = 0; i >= 0; i = symbols[std::size_t(i)].next)
        out.push_back(symbols[std::size_t(i)].id);
    return out;
}

std::string Tokenizer::decode(std::int32_t previous, std::int32_t id) const {
    if (id < 0 || id >= vocabSize())
        return {};
    const std::string& p = m_vocab.pieces[std::size_t(id)];
    const int byte = byteOfPiece(p);
    if (byte >= 0)
        return std::string(1, char(byte));
    if (previous == m_vocab.bos && !p.empty() && p[0] == ' ')
        return p.substr(1);
    return p;
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids) const {
    std::string text;
    std::int32_t previous = -1;
    for (std::int32_t id : ids) {
        if (id != m_vocab.bos && id != m_vocab.eos)
            text += decode(previous, id);
        previous = id;
    }
    return text;
}

} // namespace cwb
