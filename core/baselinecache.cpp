// SPDX-License-Identifier: GPL-3.0-or-later
#include "baselinecache.h"

#include <QDir>
#include <QSaveFile>
#include <QStandardPaths>

#include <cstring>

namespace cwb {
namespace {

constexpr char kMagic[8] = {'C', 'W', 'B', 'B', 'A', 'S', 'E', '1'};
constexpr std::uint64_t kHeaderBytes = 8 + 4 + 4 + 8 + 64;
constexpr std::uint64_t kMemoryLimit = std::uint64_t(2) << 30;

QByteArray header(const QString& key, int vocab, std::int64_t rows) {
    QByteArray h(kMagic, 8);
    const std::uint32_t v = std::uint32_t(vocab), reserved = 0;
    const std::uint64_t r = std::uint64_t(rows);
    h.append(reinterpret_cast<const char*>(&v), 4);
    h.append(reinterpret_cast<const char*>(&reserved), 4);
    h.append(reinterpret_cast<const char*>(&r), 8);
    h.append(key.toLatin1().leftJustified(64, ' ', true));
    return h;
}

} // namespace

QString cacheDirectory() {
    const QByteArray fromEnv = qgetenv("CWB_CACHE_DIR");
    if (!fromEnv.isEmpty())
        return QString::fromLocal8Bit(fromEnv);
    QString dir = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
    if (dir.isEmpty())
        dir = QDir::tempPath() + QStringLiteral("/compression-workbench");
    return dir;
}

Result<BaselineLogits> BaselineLogits::obtain(const QString& directory, const QString& key,
                                              int vocab, std::int64_t rows,
                                              const Producer& produce) {
    BaselineLogits b;
    b.m_vocab = vocab;
    b.m_rows = rows;
    const QByteArray expectedHeader = header(key, vocab, rows);
    const std::uint64_t valueBytes = std::uint64_t(rows) * std::uint64_t(vocab) * 4;
    const QString path =
        QDir(directory).filePath(QStringLiteral("baseline-%1.logits").arg(key.left(32)));

    if (auto cached = MappedFile::open(path); cached) {
        const auto bytes = cached.value()->bytes();
        if (bytes.size() == kHeaderBytes + valueBytes &&
            std::memcmp(bytes.data(), expectedHeader.constData(), kHeaderBytes) == 0) {
            b.m_file = cached.value();
            b.m_values = {reinterpret_cast<const float*>(bytes.data() + kHeaderBytes),
                          std::size_t(rows) * std::size_t(vocab)};
            b.m_fromCache = true;
            b.m_path = path;
            return b;
        }
    }

    QDir().mkpath(directory);
    QSaveFile file(path);
    const bool toFile =
        file.open(QIODevice::WriteOnly) && file.write(expectedHeader) == qint64(kHeaderBytes);
    if (!toFile) {
        if (valueBytes > kMemoryLimit)
            return Error{QStringLiteral("cannot write the FP32 baseline to %1 (%2), and it is too "
                                        "large to keep in memory")
                             .arg(directory, file.errorString())};
        b.m_warnings << QStringLiteral("the FP32 baseline could not be cached in %1 (%2); it is "
                                       "kept in memory for this evaluation")
                            .arg(directory, file.errorString());
        b.m_memory.reserve(std::size_t(rows) * std::size_t(vocab));
    }
    std::int64_t produced = 0;
    bool writeFailed = false;
    auto run = produce([&](std::span<const float> logits) {
        ++produced;
        if (!toFile)
            b.m_memory.insert(b.m_memory.end(), logits.begin(), logits.end());
        else if (!writeFailed)
            writeFailed = file.write(reinterpret_cast<const char*>(logits.data()),
                                     qint64(logits.size_bytes())) != qint64(logits.size_bytes());
    });
    if (!run || produced != rows || writeFailed) {
        file.cancelWriting(); // nothing partial is left behind
        if (!run)
            return run.error();
        if (writeFailed)
            return Error{QStringLiteral("cannot write the FP32 baseline to %1: %2")
                             .arg(path, file.errorString())};
        return Error{QStringLiteral("the baseline produced %1 rows, %2 were expected")
                         .arg(produced)
                         .arg(rows)};
    }
    if (!toFile) {
        b.m_values = b.m_memory;
        return b;
    }
    if (!file.commit())
        return Error{QStringLiteral("cannot write the FP32 baseline to %1: %2")
                         .arg(path, file.errorString())};
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.error();
    b.m_file = mapped.value();
    b.m_values = {reinterpret_cast<const float*>(b.m_file->bytes().data() + kHeaderBytes),
                  std::size_t(rows) * std::size_t(vocab)};
    b.m_path = path;
    return b;
}

std::span<const float> BaselineLogits::row(std::int64_t i) const {
    return m_values.subspan(std::size_t(i) * std::size_t(m_vocab), std::size_t(m_vocab));
}

} // namespace cwb
