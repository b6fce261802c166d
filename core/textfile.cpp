// SPDX-License-Identifier: GPL-3.0-or-later
#include "textfile.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace cwb {

std::optional<std::size_t> firstInvalidUtf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int extra;
        std::uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + std::size_t(extra) >= n) // the character is cut off by the end
            return i;
        for (int k = 1; k <= extra; ++k) {
            const unsigned char cc = s[i + std::size_t(k)];
            if ((cc & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return i;
        i += std::size_t(extra) + 1;
    }
    return std::nullopt;
}

Result<QByteArray> readTextFile(const QString& path) {
    const QFileInfo info(path);
    if (!info.isFile())
        return Error{QStringLiteral("%1: no such file").arg(path)};
    constexpr qint64 kLimit = qint64(2) << 30;
    if (info.size() > kLimit)
        return Error{QStringLiteral("%1: larger than 2 GiB; use a smaller text").arg(path)};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(path, file.errorString())};
    QByteArray text = file.readAll();
    if (text.isEmpty())
        return Error{QStringLiteral("%1: the text is empty").arg(info.fileName())};
    if (const auto bad =
            firstInvalidUtf8(std::string_view(text.constData(), std::size_t(text.size()))))
        return Error{QStringLiteral("%1: not valid UTF-8 (byte %2 at offset %3)")
                         .arg(info.fileName())
                         .arg(quint8(text[qsizetype(*bad)]), 2, 16, QLatin1Char('0'))
                         .arg(*bad)};
    return text;
}

QString sha256Hex(const QByteArray& bytes) {
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

Result<void> writeFileAtomically(const QString& path, const QByteArray& bytes) {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return Error{QStringLiteral("%1: cannot write: %2").arg(path, f.errorString())};
    if (f.write(bytes) != bytes.size() || !f.commit())
        return Error{QStringLiteral("%1: cannot write: %2").arg(path, f.errorString())};
    return {};
}

} // namespace cwb
