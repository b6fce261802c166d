// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwb {

// GPT-2's byte-level BPE writes every byte as a printable character: bytes that are printable
// Latin-1 stand for themselves, the other 68 are moved to U+0100.. in byte order (so a space is
// 'Ġ', U+0120). These turn such text back into the bytes and the bytes into such text.
std::string bytesFromByteLevel(std::string_view text); // characters outside the map are kept
std::string byteLevelFromBytes(std::string_view bytes);

// The pre-tokenizer splits of the byte-level vocabularies we know, by the name GGUF files give in
// tokenizer.ggml.pre; empty if the name is unknown.
QStringList byteLevelPatterns(std::string_view preName);
QString gpt2Pattern(); // GPT-2's own split, ByteLevel's use_regex

// Splits `text` by each regular expression in turn, keeping the matches and the text between
// them as pieces (the tokenizers library's "Isolated" behaviour). Returns byte ranges
// [start, end) into `text`; bytes that are not valid UTF-8 are kept, each as one character.
std::vector<std::pair<std::size_t, std::size_t>>
splitByPatterns(std::string_view text, const std::vector<QRegularExpression>& patterns);

} // namespace cwb
