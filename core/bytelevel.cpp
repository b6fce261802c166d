// SPDX-License-Identifier: GPL-3.0-or-later
#include "bytelevel.h"

#include <array>
#include <unordered_map>

namespace cwb {
namespace {

struct ByteMap {
    std::array<char32_t, 256> toChar{};
    std::unordered_map<char32_t, std::uint8_t> toByte;
};

const ByteMap& byteMap() {
    static const ByteMap map = [] {
        ByteMap m;
        auto printable = [](int b) {
            return (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
        };
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            m.toChar[std::size_t(b)] = printable(b) ? char32_t(b) : next++;
            m.toByte[m.toChar[std::size_t(b)]] = std::uint8_t(b);
        }
        return m;
    }();
    return map;
}

void appendUtf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(char(c));
    } else if (c < 0x800) {
        out.push_back(char(0xc0 | (c >> 6)));
        out.push_back(char(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        out.push_back(char(0xe0 | (c >> 12)));
        out.push_back(char(0x80 | ((c >> 6) & 0x3f)));
        out.push_back(char(0x80 | (c & 0x3f)));
    } else {
        out.push_back(char(0xf0 | (c >> 18)));
        out.push_back(char(0x80 | ((c >> 12) & 0x3f)));
        out.push_back(char(0x80 | ((c >> 6) & 0x3f)));
        out.push_back(char(0x80 | (c & 0x3f)));
    }
}

// The character at text[i] and its length in bytes; an invalid sequence is one byte of U+FFFD.
std::pair<char32_t, std::size_t> decodeUtf8(std::string_view text, std::size_t i) {
    const auto b0 = std::uint8_t(text[i]);
    if (b0 < 0x80)
        return {b0, 1};
    std::size_t length = 0;
    char32_t c = 0;
    char32_t least = 0;
    if ((b0 & 0xe0) == 0xc0) {
        length = 2, c = b0 & 0x1f, least = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
        length = 3, c = b0 & 0x0f, least = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
        length = 4, c = b0 & 0x07, least = 0x10000;
    } else {
        return {0xfffd, 1};
    }
    if (i + length > text.size())
        return {0xfffd, 1};
    for (std::size_t k = 1; k < length; ++k) {
        const auto b = std::uint8_t(text[i + k]);
        if ((b & 0xc0) != 0x80)
            return {0xfffd, 1};
        c = (c << 6) | (b & 0x3f);
    }
    if (c < least || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return {0xfffd, 1};
    return {c, length};
}

} // namespace

std::string bytesFromByteLevel(std::string_view text) {
    const ByteMap& m = byteMap();
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto [c, length] = decodeUtf8(text, i);
        const auto found = c == 0xfffd ? m.toByte.end() : m.toByte.find(c);
        if (found != m.toByte.end())
            out.push_back(char(found->second));
        else
            out.append(text.substr(i, length));
        i += length;
    }
    return out;
}

std::string byteLevelFromBytes(std::string_view bytes) {
    const ByteMap& m = byteMap();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char b : bytes)
        appendUtf8(out, m.toChar[std::uint8_t(b)]);
    return out;
}

QString gpt2Pattern() {
    return QStringLiteral(
        R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)");
}

QStringList byteLevelPatterns(std::string_view preName) {
    // As the models' tokenizer.json files write them (llama.cpp keeps the same table).
    const QString llama3 = QStringLiteral(
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)");
    const QString qwen2 = QStringLiteral(
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)");
    if (preName == "gpt2" || preName == "gpt-2" || preName == "default")
        return {gpt2Pattern()};
    if (preName == "llama-bpe" || preName == "llama3" || preName == "smaug-bpe")
        return {llama3};
    if (preName == "qwen2")
        return {qwen2};
    if (preName == "smollm")
        return {QStringLiteral(R"(\p{N})"), gpt2Pattern()};
    return {};
}

std::vector<std::pair<std::size_t, std::size_t>>
splitByPatterns(std::string_view text, const std::vector<QRegularExpression>& patterns) {
    // The text as UTF-16 for the regular expressions, with the byte offset of every code unit.
    QString u16;
    std::vector<std::size_t> offset;
    u16.reserve(qsizetype(text.size()));
    offset.reserve(text.size() + 1);
    for (std::size_t i = 0; i < text.size();) {
        const auto [c, length] = decodeUtf8(text, i);
        const char32_t units[] = {c};
        const QString s = QString::fromUcs4(units, 1);
        for (QChar unit : s) {
            u16.append(unit);
            offset.push_back(i);
        }
        i += length;
    }
    offset.push_back(text.size());

    std::vector<std::pair<qsizetype, qsizetype>> pieces{{0, u16.size()}};
    for (const QRegularExpression& re : patterns) {
        std::vector<std::pair<qsizetype, qsizetype>> next;
        for (const auto& [begin, end] : pieces) {
            const QString piece = u16.mid(begin, end - begin);
            qsizetype at = 0;
            auto it = re.globalMatch(piece);
            while (it.hasNext()) {
                const auto m = it.next();
                if (m.capturedLength() == 0)
                    continue;
                if (m.capturedStart() > at)
                    next.push_back({begin + at, begin + m.capturedStart()});
                next.push_back({begin + m.capturedStart(), begin + m.capturedEnd()});
                at = m.capturedEnd();
            }
            if (at < piece.size())
                next.push_back({begin + at, end});
        }
        pieces = std::move(next);
    }
    std::vector<std::pair<std::size_t, std::size_t>> out;
    out.reserve(pieces.size());
    for (const auto& [begin, end] : pieces)
        if (end > begin)
            out.push_back({offset[std::size_t(begin)], offset[std::size_t(end)]});
    return out;
}

} // namespace cwb
