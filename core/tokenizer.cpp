// SPDX-License-Identifier: GPL-3.0-or-later
#include "tokenizer.h"

#include "bytelevel.h"

#include <algorithm>
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
    const bool sentencePiece = t.m_vocab.model == TokenizerModel::SentencePiece;
    for (std::size_t id = 0; id < n; ++id) {
        const TokenKind kind = t.m_vocab.kinds[id];
        const int byte = sentencePiece ? byteOfPiece(pieces[id]) : -1;
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
    if (auto r = t.prepareMergesAndSplits(); !r)
        return r.error();
    return t;
}

Result<void> Tokenizer::prepareMergesAndSplits() {
    const auto& merges = m_vocab.merges;
    if (merges.size() > std::size_t(1) << 24) // ranks are exact as float scores up to here
        return Error{QStringLiteral("the tokenizer lists %1 merges; at most 16777216 are "
                                    "supported")
                         .arg(merges.size())};
    m_merges.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const auto& [left, right] = merges[rank];
        const auto l = m_lookup.find(left);
        const auto r = m_lookup.find(right);
        const auto joined = m_lookup.find(left + right);
        if (l == m_lookup.end() || r == m_lookup.end() || joined == m_lookup.end())
            return Error{QStringLiteral("merge %1 (\"%2\" + \"%3\") joins pieces that are not in "
                                        "the vocabulary")
                             .arg(rank + 1)
                             .arg(QString::fromStdString(left), QString::fromStdString(right))};
        const std::uint64_t key =
            std::uint64_t(std::uint32_t(l->second)) << 32 | std::uint32_t(r->second);
        m_merges.emplace(key, Merge{std::int32_t(rank), joined->second}); // first rank wins
    }
    for (const QString& pattern : m_vocab.splitPatterns) {
        QRegularExpression re(pattern, QRegularExpression::UseUnicodePropertiesOption);
        if (!re.isValid())
            return Error{QStringLiteral("the pre-tokenizer pattern %1 is not a valid regular "
                                        "expression: %2")
                             .arg(pattern, re.errorString())};
        re.optimize();
        m_split.push_back(std::move(re));
    }
    auto& literals = m_vocab.literals;
    for (std::int32_t id : literals)
        if (id < 0 || id >= vocabSize() || m_vocab.pieces[std::size_t(id)].empty())
            return Error{QStringLiteral("added token %1 is not a piece of the vocabulary").arg(id)};
    // Longest first, so that a literal that begins another is not matched in its place.
    std::stable_sort(literals.begin(), literals.end(), [this](std::int32_t a, std::int32_t b) {
        return m_vocab.pieces[std::size_t(a)].size() > m_vocab.pieces[std::size_t(b)].size();
    });
    return {};
}

QString Tokenizer::kindName() const {
    return m_vocab.model == TokenizerModel::ByteLevel ? QStringLiteral("byte-level BPE")
                                                      : QStringLiteral("SentencePiece BPE");
}

QString Tokenizer::kindId() const {
    return m_vocab.model == TokenizerModel::ByteLevel ? QStringLiteral("byte-level-bpe")
                                                      : QStringLiteral("sentencepiece-bpe");
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool addBos) const {
    std::vector<std::int32_t> out;
    if (addBos && m_vocab.addBos && m_vocab.bos >= 0)
        out.push_back(m_vocab.bos);
    if (text.empty())
        return out;
    if (m_vocab.literals.empty()) {
        encodeSegment(text, true, out);
        return out;
    }
    // Added tokens are cut out of the text first; the text between them is encoded alone.
    std::array<bool, 256> mayStart{};
    for (std::int32_t id : m_vocab.literals)
        mayStart[std::uint8_t(m_vocab.pieces[std::size_t(id)][0])] = true;
    std::size_t segment = 0;
    for (std::size_t i = 0; i < text.size();) {
        std::int32_t found = -1;
        if (mayStart[std::uint8_t(text[i])])
            for (std::int32_t id : m_vocab.literals)
                if (text.substr(i).starts_with(m_vocab.pieces[std::size_t(id)])) {
                    found = id;
                    break;
                }
        if (found < 0) {
            ++i;
            continue;
        }
        if (i > segment)
            encodeSegment(text.substr(segment, i - segment), segment == 0, out);
        out.push_back(found);
        i += m_vocab.pieces[std::size_t(found)].size();
        segment = i;
    }
    if (segment < text.size())
        encodeSegment(text.substr(segment), segment == 0, out);
    return out;
}

void Tokenizer::encodeSegment(std::string_view text, bool atStart,
                              std::vector<std::int32_t>& out) const {
    if (m_vocab.model == TokenizerModel::ByteLevel) {
        std::string normalized;
        if (m_vocab.nfc) {
            normalized = QString::fromUtf8(text.data(), qsizetype(text.size()))
                             .normalized(QString::NormalizationForm_C)
                             .toStdString();
            text = normalized;
        }
        const auto pieces = m_split.empty()
                                ? std::vector<std::pair<std::size_t, std::size_t>>{{0, text.size()}}
                                : splitByPatterns(text, m_split);
        for (const auto& [begin, end] : pieces) {
            const std::string_view piece = text.substr(begin, end - begin);
            const auto whole = m_vocab.wholeWordsFirst ? m_lookup.find(piece) : m_lookup.end();
            if (whole != m_lookup.end())
                out.push_back(whole->second);
            else
                mergeWord(piece, true, out);
        }
        return;
    }
    std::string padded;
    padded.reserve(text.size() + 1);
    if (m_vocab.dummyPrefix && (atStart || !m_vocab.prefixFirstOnly))
        padded.push_back(' '); // SentencePiece's dummy prefix
    padded.append(text);
    const std::string_view s(padded);
    if (!m_vocab.splitAtSpaces) {
        mergeWord(s, false, out);
        return;
    }
    std::size_t word = 0;
    for (std::size_t i = 1; i <= s.size(); ++i)
        if (i == s.size() || s[i] == ' ') {
            mergeWord(s.substr(word, i - word), false, out);
            word = i;
        }
}

void Tokenizer::mergeWord(std::string_view s, bool byteSymbols,
                          std::vector<std::int32_t>& out) const {
    if (s.empty())
        return;
    std::vector<Symbol> symbols;
    symbols.reserve(s.size());
    auto addSymbol = [&](std::int32_t id, std::size_t start, std::size_t length, bool mergeable) {
        const auto index = std::int32_t(symbols.size());
        symbols.push_back(
            {id, std::uint32_t(start), std::uint32_t(length), index - 1, index + 1, mergeable});
    };
    if (byteSymbols) {
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto found = m_lookup.find(s.substr(i, 1));
            if (found != m_lookup.end())
                addSymbol(found->second, i, 1, true);
            else if (m_vocab.unk >= 0)
                addSymbol(m_vocab.unk, i, 1, false);
        }
    }
    // Characters: a lead byte and up to three continuation bytes, as llama2.c groups them.
    for (std::size_t i = 0; i < s.size() && !byteSymbols;) {
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
        return;
    symbols.back().next = -1;

    const bool ranked = m_vocab.model == TokenizerModel::ByteLevel || !m_vocab.merges.empty();
    std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue;
    auto tryPair = [&](std::int32_t left, std::int32_t right) {
        if (left < 0 || right < 0)
            return;
        const Symbol& a = symbols[std::size_t(left)];
        const Symbol& b = symbols[std::size_t(right)];
        if (!a.mergeable || !b.mergeable)
            return;
        if (ranked) { // the merge listed first goes first: its rank is its score
            const auto m =
                m_merges.find(std::uint64_t(std::uint32_t(a.id)) << 32 | std::uint32_t(b.id));
            if (m != m_merges.end())
                queue.push(
                    {-float(m->second.rank), left, right, a.length + b.length, m->second.id});
            return;
        }
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
}

std::string Tokenizer::decode(std::int32_t previous, std::int32_t id) const {
    if (id < 0 || id >= vocabSize())
        return {};
    const std::string& p = m_vocab.pieces[std::size_t(id)];
    const int byte = byteOfPiece(p);
    if (byte >= 0)
        return std::string(1, char(byte));
    if (m_vocab.model == TokenizerModel::SentencePiece && previous == m_vocab.bos && !p.empty() &&
        p[0] == ' ')
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
