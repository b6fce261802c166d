// SPDX-License-Identifier: GPL-3.0-or-later
#include "fingerprint.h"

#include <QCryptographicHash>
#include <QFile>

namespace cwb {

QString modelFingerprint(const Model& model) {
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const auto& file : model.files) {
        const auto bytes = file->bytes();
        // Large models are hashed in slices; the digest is the same as over the whole file.
        constexpr std::size_t slice = 64 << 20;
        for (std::size_t at = 0; at < bytes.size(); at += slice)
            hash.addData(
                QByteArrayView(bytes.data() + at, qsizetype(std::min(slice, bytes.size() - at))));
    }
    if (!model.tokenizerPath.isEmpty()) {
        QFile tokenizer(model.tokenizerPath);
        if (tokenizer.open(QIODevice::ReadOnly))
            hash.addData(&tokenizer);
    }
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace cwb
