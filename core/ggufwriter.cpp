// SPDX-License-Identifier: GPL-3.0-or-later
#include "ggufwriter.h"

#include <QBuffer>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <bit>
#include <cstring>

namespace cwb {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF is written little-endian");

template <typename T> void put(QByteArray& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void putString(QByteArray& out, const std::string& s) {
    put<std::uint64_t>(out, s.size());
    out.append(s.data(), qsizetype(s.size()));
}

std::uint64_t alignUp(std::uint64_t n, std::uint64_t alignment) {
    return (n + alignment - 1) / alignment * alignment;
}

std::uint64_t tensorBytes(const std::vector<std::int64_t>& shape, StoredType type) {
    std::uint64_t elements = 1;
    for (auto d : shape)
        elements *= std::uint64_t(d);
    return rowBytes(traitsOf(type), elements);
}

} // namespace

void GgufWriter::setAlignment(std::uint32_t alignment) {
    m_alignment = alignment;
    if (alignment != 32 && !hasKey(QStringLiteral("general.alignment")))
        addU32(QStringLiteral("general.alignment"), alignment);
}

bool GgufWriter::hasKey(const QString& key) const {
    return std::find(m_keys.begin(), m_keys.end(), key) != m_keys.end();
}

void GgufWriter::beginEntry(const QString& key, GgufType type) {
    m_keys.push_back(key);
    putString(m_metadata, key.toStdString());
    put<std::uint32_t>(m_metadata, std::uint32_t(type));
    ++m_metadataCount;
}

void GgufWriter::addU8(const QString& key, std::uint8_t v) {
    beginEntry(key, GgufType::U8);
    put(m_metadata, v);
}
void GgufWriter::addI8(const QString& key, std::int8_t v) {
    beginEntry(key, GgufType::I8);
    put(m_metadata, v);
}
void GgufWriter::addU16(const QString& key, std::uint16_t v) {
    beginEntry(key, GgufType::U16);
    put(m_metadata, v);
}
void GgufWriter::addI16(const QString& key, std::int16_t v) {
    beginEntry(key, GgufType::I16);
    put(m_metadata, v);
}
void GgufWriter::addU32(const QString& key, std::uint32_t v) {
    beginEntry(key, GgufType::U32);
    put(m_metadata, v);
}
void GgufWriter::addI32(const QString& key, std::int32_t v) {
    beginEntry(key, GgufType::I32);
    put(m_metadata, v);
}
void GgufWriter::addU64(const QString& key, std::uint64_t v) {
    beginEntry(key, GgufType::U64);
    put(m_metadata, v);
}
void GgufWriter::addI64(const QString& key, std::int64_t v) {
    beginEntry(key, GgufType::I64);
    put(m_metadata, v);
}
void GgufWriter::addF32(const QString& key, float v) {
    beginEntry(key, GgufType::F32);
    put(m_metadata, v);
}
void GgufWriter::addF64(const QString& key, double v) {
    beginEntry(key, GgufType::F64);
    put(m_metadata, v);
}
void GgufWriter::addBool(const QString& key, bool v) {
    beginEntry(key, GgufType::Bool);
    put<std::uint8_t>(m_metadata, v ? 1 : 0);
}
void GgufWriter::addString(const QString& key, const std::string& v) {
    beginEntry(key, GgufType::String);
    putString(m_metadata, v);
}
void GgufWriter::addStringArray(const QString& key, const std::vector<std::string>& values) {
    beginEntry(key, GgufType::Array);
    put<std::uint32_t>(m_metadata, std::uint32_t(GgufType::String));
    put<std::uint64_t>(m_metadata, values.size());
    for (const auto& s : values)
        putString(m_metadata, s);
}
void GgufWriter::addF32Array(const QString& key, std::span<const float> values) {
    beginEntry(key, GgufType::Array);
    put<std::uint32_t>(m_metadata, std::uint32_t(GgufType::F32));
    put<std::uint64_t>(m_metadata, values.size());
    m_metadata.append(reinterpret_cast<const char*>(values.data()), qsizetype(values.size_bytes()));
}
void GgufWriter::addI32Array(const QString& key, std::span<const std::int32_t> values) {
    beginEntry(key, GgufType::Array);
    put<std::uint32_t>(m_metadata, std::uint32_t(GgufType::I32));
    put<std::uint64_t>(m_metadata, values.size());
    m_metadata.append(reinterpret_cast<const char*>(values.data()), qsizetype(values.size_bytes()));
}

bool GgufWriter::addValue(const QString& key, const GgufValue& value) {
    if (const auto* a = std::get_if<GgufArray>(&value.value)) {
        if (a->elementType == GgufType::Array)
            return false;
        beginEntry(key, GgufType::Array);
        put<std::uint32_t>(m_metadata, std::uint32_t(a->elementType));
        put<std::uint64_t>(m_metadata, a->count);
        if (a->elementType == GgufType::String)
            for (const auto& s : a->strings)
                putString(m_metadata, s);
        else
            m_metadata.append(reinterpret_cast<const char*>(a->raw.data()),
                              qsizetype(a->raw.size()));
        return true;
    }
    const auto u = [&] { return std::get<std::uint64_t>(value.value); };
    const auto i = [&] { return std::get<std::int64_t>(value.value); };
    const auto f = [&] { return std::get<double>(value.value); };
    switch (value.type) {
    case GgufType::U8:
        addU8(key, std::uint8_t(u()));
        return true;
    case GgufType::I8:
        addI8(key, std::int8_t(i()));
        return true;
    case GgufType::U16:
        addU16(key, std::uint16_t(u()));
        return true;
    case GgufType::I16:
        addI16(key, std::int16_t(i()));
        return true;
    case GgufType::U32:
        addU32(key, std::uint32_t(u()));
        return true;
    case GgufType::I32:
        addI32(key, std::int32_t(i()));
        return true;
    case GgufType::U64:
        addU64(key, u());
        return true;
    case GgufType::I64:
        addI64(key, i());
        return true;
    case GgufType::F32:
        addF32(key, float(f())); // read from an f32, so exact
        return true;
    case GgufType::F64:
        addF64(key, f());
        return true;
    case GgufType::Bool:
        addBool(key, std::get<bool>(value.value));
        return true;
    case GgufType::String:
        addString(key, std::get<std::string>(value.value));
        return true;
    case GgufType::Array:
        return false;
    }
    return false;
}

void GgufWriter::addTensor(const QString& name, std::vector<std::int64_t> shape, StoredType type,
                           std::span<const std::uint8_t> data, std::shared_ptr<const void> owner) {
    m_tensors.push_back({name, std::move(shape), type, data, std::move(owner)});
}

void GgufWriter::addTensor(const QString& name, std::vector<std::int64_t> shape, StoredType type,
                           std::vector<std::uint8_t> data) {
    auto owned = std::make_shared<const std::vector<std::uint8_t>>(std::move(data));
    const std::span<const std::uint8_t> view(*owned);
    addTensor(name, std::move(shape), type, view, owned);
}

QByteArray GgufWriter::tensorInfos() const {
    QByteArray out;
    std::uint64_t offset = 0;
    for (const PendingTensor& t : m_tensors) {
        putString(out, t.name.toStdString());
        put<std::uint32_t>(out, std::uint32_t(t.shape.size()));
        for (auto d : t.shape)
            put<std::uint64_t>(out, std::uint64_t(d));
        put<std::uint32_t>(out, std::uint32_t(t.type));
        put<std::uint64_t>(out, offset);
        offset = alignUp(offset + tensorBytes(t.shape, t.type), m_alignment);
    }
    return out;
}

std::uint64_t GgufWriter::dataOffset() const {
    const std::uint64_t header = 4 + 4 + 8 + 8;
    return alignUp(header + std::uint64_t(m_metadata.size()) + std::uint64_t(tensorInfos().size()),
                   m_alignment);
}

std::uint64_t GgufWriter::fileSize() const {
    std::uint64_t size = dataOffset();
    for (const PendingTensor& t : m_tensors)
        size = alignUp(size + tensorBytes(t.shape, t.type), m_alignment);
    return size;
}

Result<void> GgufWriter::write(QIODevice& out, const Progress& progress) const {
    auto failed = [&] { return Error{QStringLiteral("cannot write: %1").arg(out.errorString())}; };
    auto writeAll = [&](const char* data, std::uint64_t size) {
        // In pieces, so a large tensor reports progress and a full disk stops it early.
        constexpr std::uint64_t piece = 8u << 20;
        for (std::uint64_t done = 0; done < size;) {
            const std::uint64_t n = std::min(piece, size - done);
            if (out.write(data + done, qint64(n)) != qint64(n))
                return false;
            done += n;
        }
        return true;
    };
    const QByteArray zeros(qsizetype(m_alignment), '\0');
    std::uint64_t position = 0;
    auto pad = [&] {
        const std::uint64_t n = alignUp(position, m_alignment) - position;
        position += n;
        return writeAll(zeros.constData(), n);
    };

    if (auto valid = check(); !valid)
        return valid;
    QByteArray head("GGUF");
    put<std::uint32_t>(head, 3);
    put<std::uint64_t>(head, m_tensors.size());
    put<std::uint64_t>(head, m_metadataCount);
    head += m_metadata;
    head += tensorInfos();
    position = std::uint64_t(head.size());
    if (!writeAll(head.constData(), position) || !pad())
        return failed();

    const double total = double(std::max<std::uint64_t>(1, fileSize()));
    for (const PendingTensor& t : m_tensors) {
        if (progress.cancelled())
            return cancelledError();
        progress(double(position) / total, QStringLiteral("writing %1").arg(t.name));
        const std::uint64_t bytes = tensorBytes(t.shape, t.type);
        if (!writeAll(reinterpret_cast<const char*>(t.data.data()), bytes))
            return failed();
        position += bytes;
        if (!pad())
            return failed();
    }
    return {};
}

Result<void> GgufWriter::check() const {
    for (const PendingTensor& t : m_tensors) {
        const StoredTypeTraits& traits = traitsOf(t.type);
        if (t.shape.empty() || t.shape[0] % traits.blockElements != 0)
            return Error{QStringLiteral("tensor %1: a row of %2 is not a whole number of %3 blocks")
                             .arg(t.name)
                             .arg(t.shape.empty() ? 0 : t.shape[0])
                             .arg(QLatin1String(traits.name))};
        const std::uint64_t bytes = tensorBytes(t.shape, t.type);
        if (t.data.size() != bytes)
            return Error{QStringLiteral("tensor %1 holds %2 bytes; its shape and type need %3")
                             .arg(t.name)
                             .arg(t.data.size())
                             .arg(bytes)};
    }
    return {};
}

Result<void> GgufWriter::save(const QString& path, const Progress& progress) const {
    if (auto valid = check(); !valid)
        return valid;
    const QString name = QFileInfo(path).fileName();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{QStringLiteral("cannot write %1: %2").arg(name, file.errorString())};
    if (auto r = write(file, progress); !r) {
        file.cancelWriting(); // the temporary file is removed when `file` goes
        if (r.error().cancelled())
            return r.error();
        return Error{QStringLiteral("cannot write %1: %2").arg(name, file.errorString())};
    }
    if (!file.commit())
        return Error{QStringLiteral("cannot write %1: %2").arg(name, file.errorString())};
    return {};
}

QByteArray GgufWriter::toBytes() const {
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    (void)write(buffer);
    return bytes;
}

} // namespace cwb
