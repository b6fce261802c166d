// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ggufreader.h"
#include "progress.h"
#include "result.h"
#include "storedtype.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

class QIODevice;

namespace cwb {

// Writes a GGUF v3 file as the specification lays it out (little-endian): the header, the
// metadata in the order it was added, the tensor infos in the order the tensors were added, then
// the data section at the next multiple of the alignment, each tensor's data starting at an
// aligned offset and padded with zeros to the next one (as ggml pads, the last tensor included).
class GgufWriter {
public:
    // general.alignment: written as a u32 key only when it differs from the default of 32.
    // Must be a power of two; set it before adding metadata.
    void setAlignment(std::uint32_t alignment);
    std::uint32_t alignment() const { return m_alignment; }

    void addU8(const QString& key, std::uint8_t v);
    void addI8(const QString& key, std::int8_t v);
    void addU16(const QString& key, std::uint16_t v);
    void addI16(const QString& key, std::int16_t v);
    void addU32(const QString& key, std::uint32_t v);
    void addI32(const QString& key, std::int32_t v);
    void addU64(const QString& key, std::uint64_t v);
    void addI64(const QString& key, std::int64_t v);
    void addF32(const QString& key, float v);
    void addF64(const QString& key, double v);
    void addBool(const QString& key, bool v);
    void addString(const QString& key, const std::string& v);
    void addStringArray(const QString& key, const std::vector<std::string>& values);
    void addF32Array(const QString& key, std::span<const float> values);
    void addI32Array(const QString& key, std::span<const std::int32_t> values);
    // A value read by parseGguf, written with its own type. Nested arrays are not kept by the
    // reader, so they cannot be copied: returns false for them and adds nothing.
    bool addValue(const QString& key, const GgufValue& value);
    bool hasKey(const QString& key) const;

    // A tensor in ggml order (shape[0] is the row length) whose bytes are `type`'s layout. The
    // writer keeps `owner` alive for as long as it needs `data`.
    void addTensor(const QString& name, std::vector<std::int64_t> shape, StoredType type,
                   std::span<const std::uint8_t> data, std::shared_ptr<const void> owner = {});
    void addTensor(const QString& name, std::vector<std::int64_t> shape, StoredType type,
                   std::vector<std::uint8_t> data);

    std::uint64_t tensorCount() const { return m_tensors.size(); }
    std::uint64_t metadataCount() const { return m_metadataCount; }
    // Bytes of everything before the data section, padding included.
    std::uint64_t dataOffset() const;
    std::uint64_t fileSize() const;

    // Streams the file into `out`; fails on the first write error (a full disk).
    Result<void> write(QIODevice& out, const Progress& progress = {}) const;
    // Writes `path` through a temporary file in the same folder, renamed into place at the end:
    // a failure (unwritable folder, full disk, cancellation) leaves no file behind and the
    // previous file, if any, untouched.
    Result<void> save(const QString& path, const Progress& progress = {}) const;
    QByteArray toBytes() const;

private:
    struct PendingTensor {
        QString name;
        std::vector<std::int64_t> shape;
        StoredType type;
        std::span<const std::uint8_t> data;
        std::shared_ptr<const void> owner;
    };
    void beginEntry(const QString& key, GgufType type);
    Result<void> check() const; // every tensor's bytes match its shape and type
    QByteArray tensorInfos() const;

    std::uint32_t m_alignment = 32;
    QByteArray m_metadata; // the serialized entries
    std::uint64_t m_metadataCount = 0;
    std::vector<QString> m_keys;
    std::vector<PendingTensor> m_tensors;
};

} // namespace cwb
