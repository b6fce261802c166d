// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>
#include <string_view>

namespace cwb {

// The offset of the first byte that breaks UTF-8 (overlong forms, surrogates and code points
// past U+10FFFF included), or nullopt if the text is valid.
std::optional<std::size_t> firstInvalidUtf8(std::string_view text);

// Reads a whole text file for evaluation or calibration: it must exist, hold something, and be
// valid UTF-8 (the reason names the offset where it is not).
Result<QByteArray> readTextFile(const QString& path);

// A text's identity for records and caches.
QString sha256Hex(const QByteArray& bytes);

// Writes `bytes` to a temporary file beside `path` and renames it over `path`: a full disk or a
// failed write leaves no partial file and the old one intact.
Result<void> writeFileAtomically(const QString& path, const QByteArray& bytes);

} // namespace cwb
