// SPDX-License-Identifier: GPL-3.0-or-later
#include "ggufreader.h"

#include "bytereader.h"

#include <QSet>

#include <cstring>
#include <limits>

namespace cwb {
namespace {

std::uint64_t scalarSize(GgufType t) {
    switch (t) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::Bool:
        return 1;
    case GgufType::U16:
    case GgufType::I16:
        return 2;
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::F32:
        return 4;
    case GgufType::U64:
    case GgufType::I64:
    case GgufType::F64:
        return 8;
    case GgufType::String:
    case GgufType::Array:
        return 0;
    }
    return 0;
}

bool knownType(std::uint32_t t) {
    return t <= std::uint32_t(GgufType::F64);
}

class Parser {
public:
    Parser(std::span<const std::uint8_t> bytes, const GgufLimits& limits)
        : m_bytes(bytes)
        , m_in(bytes)
        , m_limits(limits) {}

    Result<GgufFile> parse();

private:
    Error fail(const QString& what) const {
        return Error{QStringLiteral("GGUF: %1 (at byte %2)").arg(what).arg(m_in.pos())};
    }
    Error truncated(const char* what) const {
        return fail(QStringLiteral("the file ends inside the %1").arg(QLatin1String(what)));
    }
    bool readString(std::string& out, std::uint64_t maxLength, Error& error, const char* what);
    bool readValue(GgufType type, GgufValue& out, int depth, Error& error);
    bool readArray(GgufArray& out, int depth, Error& error);

    std::span<const std::uint8_t> m_bytes;
    ByteReader m_in;
    const GgufLimits& m_limits;
};

bool Parser::readString(std::string& out, std::uint64_t maxLength, Error& error, const char* what) {
    std::uint64_t length = 0;
    if (!m_in.read(length)) {
        error = truncated(what);
        return false;
    }
    if (length > maxLength) {
        error = fail(QStringLiteral("a %1 claims %2 bytes, above the limit of %3")
                         .arg(QLatin1String(what))
                         .arg(length)
                         .arg(maxLength));
        return false;
    }
    std::span<const std::uint8_t> bytes;
    if (!m_in.take(length, bytes)) {
        error = fail(QStringLiteral("a %1 of %2 bytes runs past the end of the file")
                         .arg(QLatin1String(what))
                         .arg(length));
        return false;
    }
    out.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return true;
}

bool Parser::readArray(GgufArray& out, int depth, Error& error) {
    std::uint32_t elementType = 0;
    if (!m_in.read(elementType) || !m_in.read(out.count)) {
        error = truncated("array header");
        return false;
    }
    if (!knownType(elementType)) {
        error = fail(QStringLiteral("unknown array element type %1").arg(elementType));
        return false;
    }
    out.elementType = GgufType(elementType);
    if (out.count > m_limits.maxArrayElements) {
        error = fail(QStringLiteral("an array claims %1 elements, above the limit of %2")
                         .arg(out.count)
                         .arg(m_limits.maxArrayElements));
        return false;
    }
    if (const std::uint64_t size = scalarSize(out.elementType)) {
        if (out.count > m_in.remaining() / size) {
            error = fail(QStringLiteral("an array of %1 elements runs past the end of the file")
                             .arg(out.count));
            return false;
        }
        (void)m_in.take(out.count * size, out.raw);
        return true;
    }
    // Each string or nested array takes at least 8 bytes: refuse counts the file cannot hold
    // before reserving anything.
    if (out.count > m_in.remaining() / 8) {
        error = fail(
            QStringLiteral("an array of %1 elements runs past the end of the file").arg(out.count));
        return false;
    }
    if (out.elementType == GgufType::String) {
        out.strings.resize(out.count);
        for (auto& s : out.strings)
            if (!readString(s, m_limits.maxStringLength, error, "string in an array"))
                return false;
        return true;
    }
    if (depth + 1 >= m_limits.maxArrayDepth) {
        error = fail(QStringLiteral("arrays nested deeper than %1").arg(m_limits.maxArrayDepth));
        return false;
    }
    for (std::uint64_t i = 0; i < out.count; ++i) { // nested arrays: checked, not kept
        GgufArray inner;
        if (!readArray(inner, depth + 1, error))
            return false;
    }
    return true;
}

bool Parser::readValue(GgufType type, GgufValue& out, int depth, Error& error) {
    out.type = type;
    auto scalar = [&](auto tag) {
        decltype(tag) v{};
        if (!m_in.read(v)) {
            error = truncated("metadata value");
            return false;
        }
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
            out.value = double(v);
        else if constexpr (std::is_signed_v<T>)
            out.value = std::int64_t(v);
        else
            out.value = std::uint64_t(v);
        return true;
    };
    switch (type) {
    case GgufType::U8:
        return scalar(std::uint8_t{});
    case GgufType::I8:
        return scalar(std::int8_t{});
    case GgufType::U16:
        return scalar(std::uint16_t{});
    case GgufType::I16:
        return scalar(std::int16_t{});
    case GgufType::U32:
        return scalar(std::uint32_t{});
    case GgufType::I32:
        return scalar(std::int32_t{});
    case GgufType::U64:
        return scalar(std::uint64_t{});
    case GgufType::I64:
        return scalar(std::int64_t{});
    case GgufType::F32:
        return scalar(float{});
    case GgufType::F64:
        return scalar(double{});
    case GgufType::Bool: {
        std::uint8_t b = 0;
        if (!m_in.read(b)) {
            error = truncated("metadata value");
            return false;
        }
        out.value = b != 0;
        return true;
    }
    case GgufType::String: {
        std::string s;
        if (!readString(s, m_limits.maxStringLength, error, "string value"))
            return false;
        out.value = std::move(s);
        return true;
    }
    case GgufType::Array: {
        GgufArray a;
        if (!readArray(a, depth, error))
            return false;
        out.value = std::move(a);
        return true;
    }
    }
    return false;
}

Result<GgufFile> Parser::parse() {
    GgufFile file;
    char magic[4];
    if (!m_in.read(magic))
        return Error{QStringLiteral("GGUF: the file is shorter than its header")};
    if (std::memcmp(magic, "GGUF", 4) != 0)
        return Error{QStringLiteral("not a GGUF file (the first bytes are not \"GGUF\")")};
    if (!m_in.read(file.version))
        return truncated("header");
    if (file.version == 1)
        return fail(QStringLiteral("GGUF version 1 is not supported; convert the file with a "
                                   "current llama.cpp"));
    if (file.version != 2 && file.version != 3) {
        if ((file.version & 0xffff) == 0)
            return fail(QStringLiteral("GGUF version %1 looks byte-swapped: big-endian GGUF files "
                                       "are not supported")
                            .arg(file.version));
        return fail(QStringLiteral("unknown GGUF version %1").arg(file.version));
    }
    std::uint64_t tensorCount = 0, metadataCount = 0;
    if (!m_in.read(tensorCount) || !m_in.read(metadataCount))
        return truncated("header");
    if (tensorCount > m_limits.maxTensors)
        return fail(QStringLiteral("the header claims %1 tensors, above the limit of %2")
                        .arg(tensorCount)
                        .arg(m_limits.maxTensors));
    if (metadataCount > m_limits.maxMetadata)
        return fail(QStringLiteral("the header claims %1 metadata entries, above the limit of %2")
                        .arg(metadataCount)
                        .arg(m_limits.maxMetadata));

    Error error;
    QSet<QString> keys;
    for (std::uint64_t i = 0; i < metadataCount; ++i) {
        std::string key;
        if (!readString(key, m_limits.maxKeyLength, error, "metadata key"))
            return error;
        std::uint32_t type = 0;
        if (!m_in.read(type))
            return truncated("metadata entry");
        if (!knownType(type))
            return fail(QStringLiteral("metadata key \"%1\" has unknown value type %2")
                            .arg(QString::fromStdString(key))
                            .arg(type));
        GgufValue value;
        if (!readValue(GgufType(type), value, 0, error))
            return error;
        const QString qkey = QString::fromUtf8(key);
        if (keys.contains(qkey))
            return fail(QStringLiteral("metadata key \"%1\" appears twice").arg(qkey));
        keys.insert(qkey);
        file.metadata.entries.emplace_back(qkey, std::move(value));
    }

    if (const GgufValue* a = file.metadata.find(QStringLiteral("general.alignment"))) {
        const auto* v = std::get_if<std::uint64_t>(&a->value);
        if (a->type != GgufType::U32 || !v || *v == 0 || (*v & (*v - 1)) != 0 || *v > 65536)
            return fail(QStringLiteral("general.alignment must be a u32 power of two up to 65536"));
        file.alignment = *v;
    }

    struct Info {
        QString name;
        std::vector<std::int64_t> shape;
        StoredTypeTraits traits;
        std::uint64_t offset;
        std::uint64_t bytes;
    };
    std::vector<Info> infos;
    infos.reserve(tensorCount);
    QSet<QString> names;
    for (std::uint64_t i = 0; i < tensorCount; ++i) {
        std::string name;
        if (!readString(name, 65535, error, "tensor name"))
            return error;
        const QString qname = QString::fromUtf8(name);
        if (names.contains(qname))
            return fail(QStringLiteral("tensor \"%1\" appears twice").arg(qname));
        names.insert(qname);
        std::uint32_t dims = 0;
        if (!m_in.read(dims))
            return truncated("tensor info");
        if (dims == 0 || dims > 4)
            return fail(QStringLiteral("tensor \"%1\" has %2 dimensions (1 to 4 allowed)")
                            .arg(qname)
                            .arg(dims));
        Info info{qname, {}, {}, 0, 0};
        std::int64_t elements = 1;
        for (std::uint32_t d = 0; d < dims; ++d) {
            std::uint64_t n = 0;
            if (!m_in.read(n))
                return truncated("tensor info");
            if (n == 0 || n > std::uint64_t(m_limits.maxDimension))
                return fail(QStringLiteral("tensor \"%1\" has dimension %2 of size %3")
                                .arg(qname)
                                .arg(d)
                                .arg(n));
            if (std::int64_t(n) > m_limits.maxElements / elements)
                return fail(QStringLiteral("tensor \"%1\" claims more than %2 elements")
                                .arg(qname)
                                .arg(m_limits.maxElements));
            elements *= std::int64_t(n);
            info.shape.push_back(std::int64_t(n));
        }
        std::uint32_t typeId = 0;
        if (!m_in.read(typeId) || !m_in.read(info.offset))
            return truncated("tensor info");
        const auto traits = storedTypeTraits(typeId);
        if (!traits)
            return fail(QStringLiteral("tensor \"%1\" has tensor type %2, which is not supported "
                                       "(F32, F16, BF16, Q8_0, Q4_0 and Q4_1 are)")
                            .arg(qname)
                            .arg(typeId));
        info.traits = *traits;
        if (info.shape[0] % traits->blockElements != 0)
            return fail(
                QStringLiteral("tensor \"%1\": a row of %2 is not a whole number of %3 "
                               "blocks")
                    .arg(qname, QString::number(info.shape[0]), QLatin1String(traits->name)));
        info.bytes = std::uint64_t(elements) / std::uint64_t(traits->blockElements) *
                     std::uint64_t(traits->blockBytes);
        if (info.offset % file.alignment != 0)
            return fail(QStringLiteral("tensor \"%1\" starts at offset %2, not aligned to %3")
                            .arg(qname)
                            .arg(info.offset)
                            .arg(file.alignment));
        infos.push_back(std::move(info));
    }

    const std::uint64_t infoEnd = m_in.pos();
    file.dataOffset = (infoEnd + file.alignment - 1) / file.alignment * file.alignment;
    if (file.dataOffset > m_bytes.size() && tensorCount > 0)
        return fail(QStringLiteral("the file ends before its tensor data begins"));
    const std::uint64_t dataSize =
        m_bytes.size() > file.dataOffset ? m_bytes.size() - file.dataOffset : 0;
    for (Info& info : infos) {
        if (info.offset > dataSize || info.bytes > dataSize - info.offset)
            return fail(QStringLiteral("tensor \"%1\" (%2 bytes at offset %3) lies outside the "
                                       "file's %4 bytes of tensor data")
                            .arg(info.name)
                            .arg(info.bytes)
                            .arg(info.offset)
                            .arg(dataSize));
        Tensor t;
        t.name = std::move(info.name);
        t.shape = std::move(info.shape);
        t.type = info.traits.type;
        t.data = m_bytes.subspan(file.dataOffset + info.offset, info.bytes);
        file.tensors.push_back(std::move(t));
    }
    return file;
}

} // namespace

const char* ggufTypeName(GgufType type) {
    static const char* const names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                        "bool", "string", "array", "u64", "i64", "f64"};
    const auto i = std::uint32_t(type);
    return i < std::size(names) ? names[i] : "?";
}

const GgufValue* GgufMetadata::find(const QString& key) const {
    for (const auto& [k, v] : entries)
        if (k == key)
            return &v;
    return nullptr;
}

std::optional<std::int64_t> GgufMetadata::integer(const QString& key) const {
    const GgufValue* v = find(key);
    if (!v)
        return std::nullopt;
    if (const auto* u = std::get_if<std::uint64_t>(&v->value)) {
        if (*u > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
            return std::nullopt;
        return std::int64_t(*u);
    }
    if (const auto* i = std::get_if<std::int64_t>(&v->value))
        return *i;
    return std::nullopt;
}

std::optional<double> GgufMetadata::number(const QString& key) const {
    const GgufValue* v = find(key);
    if (!v)
        return std::nullopt;
    if (const auto* d = std::get_if<double>(&v->value))
        return *d;
    if (const auto i = integer(key))
        return double(*i);
    return std::nullopt;
}

std::optional<std::string> GgufMetadata::string(const QString& key) const {
    const GgufValue* v = find(key);
    if (!v)
        return std::nullopt;
    if (const auto* s = std::get_if<std::string>(&v->value))
        return *s;
    return std::nullopt;
}

const GgufArray* GgufMetadata::array(const QString& key) const {
    const GgufValue* v = find(key);
    return v ? std::get_if<GgufArray>(&v->value) : nullptr;
}

QString GgufMetadata::toText(const GgufValue& value) {
    return std::visit(
        [&](const auto& v) -> QString {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>)
                return QString::fromUtf8(v.data(), qsizetype(v.size()));
            else if constexpr (std::is_same_v<T, bool>)
                return v ? QStringLiteral("true") : QStringLiteral("false");
            else if constexpr (std::is_same_v<T, GgufArray>)
                return QStringLiteral("[%1 × %2]")
                    .arg(v.count)
                    .arg(QLatin1String(ggufTypeName(v.elementType)));
            else if constexpr (std::is_same_v<T, double>)
                return QString::number(v, 'g', 9);
            else
                return QString::number(v);
        },
        value.value);
}

Result<GgufFile> parseGguf(std::span<const std::uint8_t> bytes, const GgufLimits& limits) {
    Parser parser(bytes, limits);
    return parser.parse();
}

} // namespace cwb
