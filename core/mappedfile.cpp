// SPDX-License-Identifier: GPL-3.0-or-later
#include "mappedfile.h"

#include <QFile>
#include <QFileInfo>

namespace cwb {

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const QString& path) {
    const QFileInfo info(path);
    if (!info.exists())
        return Error{QStringLiteral("%1: no such file").arg(path)};
    if (info.isDir())
        return Error{QStringLiteral("%1: is a folder, not a file").arg(path)};
    auto file = std::make_unique<QFile>(path);
    if (!file->open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(path, file->errorString())};
    if (file->size() == 0)
        return Error{QStringLiteral("%1: the file is empty").arg(path)};
    uchar* data = file->map(0, file->size());
    if (!data)
        return Error{
            QStringLiteral("%1: cannot map into memory: %2").arg(path, file->errorString())};
    std::shared_ptr<MappedFile> mapped(new MappedFile);
    mapped->m_path = path;
    mapped->m_bytes = {data, static_cast<std::size_t>(file->size())};
    mapped->m_file = std::move(file);
    return std::shared_ptr<const MappedFile>(std::move(mapped));
}

MappedFile::~MappedFile() = default; // QFile unmaps on close

} // namespace cwb
