// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QString>

#include <cstdint>
#include <memory>
#include <span>

class QFile;

namespace cwb {

// A read-only memory map of a whole file. Model weights are used in place from the map, so a
// Model keeps a shared_ptr to every file it came from.
class MappedFile {
public:
    static Result<std::shared_ptr<const MappedFile>> open(const QString& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const QString& path() const { return m_path; }
    std::span<const std::uint8_t> bytes() const { return m_bytes; }
    std::uint64_t size() const { return m_bytes.size(); }

private:
    MappedFile() = default;
    QString m_path;
    std::unique_ptr<QFile> m_file;
    std::span<const std::uint8_t> m_bytes;
};

} // namespace cwb
