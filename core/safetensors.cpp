// SPDX-License-Identifier: GPL-3.0-or-later
#include "safetensors.h"

#include "bytereader.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace cwb {
namespace {

constexpr double kLargestExactInteger = 9007199254740992.0; // 2^53

// A JSON number that is a non-negative integer JSON can hold exactly, or -1.
std::int64_t wholeNumber(const QJsonValue& v) {
    if (!v.isDouble())
        return -1;
    const double d = v.toDouble();
    if (!(d >= 0) || d > kLargestExactInteger || std::floor(d) != d)
        return -1;
    return std::int64_t(d);
}

Result<SafetensorsEntry> readEntry(const QString& name, const QJsonValue& value,
                                   std::span<const std::uint8_t> data,
                                   const SafetensorsLimits& limits) {
    auto bad = [&](const QString& what) {
        return Error{QStringLiteral("tensor %1: %2").arg(name, what)};
    };
    if (!value.isObject())
        return bad(QStringLiteral("its entry is not a JSON object"));
    const QJsonObject o = value.toObject();
    SafetensorsEntry e;
    e.name = name;
    const QString dtype = o.value(QLatin1String("dtype")).toString();
    if (dtype == QLatin1String("F32"))
        e.type = StoredType::F32;
    else if (dtype == QLatin1String("F16"))
        e.type = StoredType::F16;
    else if (dtype == QLatin1String("BF16"))
        e.type = StoredType::BF16;
    else if (dtype.isEmpty())
        return bad(QStringLiteral("no dtype"));
    else
        return bad(QStringLiteral("dtype %1 is not supported (F32, F16 and BF16 are)").arg(dtype));
    const std::uint64_t elementBytes = e.type == StoredType::F32 ? 4 : 2;

    const QJsonValue shape = o.value(QLatin1String("shape"));
    if (!shape.isArray() || shape.toArray().size() > limits.maxRank)
        return bad(
            QStringLiteral("the shape is not a list of at most %1 sizes").arg(limits.maxRank));
    std::uint64_t elements = 1;
    for (const QJsonValue d : shape.toArray()) {
        const std::int64_t size = wholeNumber(d);
        if (size < 0)
            return bad(QStringLiteral("a dimension of its shape is not a non-negative integer"));
        if (size != 0 && elements > std::uint64_t(data.size()) / std::uint64_t(size))
            elements = std::uint64_t(data.size()) + 1; // larger than the file: fails below
        else
            elements *= std::uint64_t(size);
        e.shape.push_back(size);
    }

    const QJsonArray offsets = o.value(QLatin1String("data_offsets")).toArray();
    const std::int64_t begin = offsets.size() == 2 ? wholeNumber(offsets[0]) : -1;
    const std::int64_t end = offsets.size() == 2 ? wholeNumber(offsets[1]) : -1;
    if (begin < 0 || end < 0)
        return bad(QStringLiteral("data_offsets is not a pair of non-negative integers"));
    if (begin > end || std::uint64_t(end) > data.size())
        return bad(QStringLiteral("data_offsets [%1, %2] run past the %3 bytes of tensor data")
                       .arg(begin)
                       .arg(end)
                       .arg(data.size()));
    const std::uint64_t span = std::uint64_t(end - begin);
    if (elements > span || elements * elementBytes != span)
        return bad(QStringLiteral("its shape and dtype need %1 bytes but data_offsets hold %2")
                       .arg(elements > span ? QStringLiteral("more than %1").arg(span)
                                            : QString::number(elements * elementBytes))
                       .arg(span));
    e.data = data.subspan(std::size_t(begin), std::size_t(span));
    return e;
}

} // namespace

Result<std::vector<SafetensorsEntry>> parseSafetensors(std::span<const std::uint8_t> bytes,
                                                       const SafetensorsLimits& limits) {
    ByteReader in(bytes);
    std::uint64_t headerBytes = 0;
    if (!in.read(headerBytes))
        return Error{QStringLiteral("the file is shorter than the 8-byte header length")};
    if (headerBytes > limits.maxHeaderBytes)
        return Error{QStringLiteral("the header claims %1 bytes, above the limit of %2")
                         .arg(headerBytes)
                         .arg(limits.maxHeaderBytes)};
    std::span<const std::uint8_t> header;
    if (!in.take(headerBytes, header))
        return Error{QStringLiteral("the header claims %1 bytes but only %2 follow")
                         .arg(headerBytes)
                         .arg(in.remaining())};
    const std::span<const std::uint8_t> data = bytes.subspan(std::size_t(in.pos()));

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(
        QByteArray::fromRawData(reinterpret_cast<const char*>(header.data()),
                                qsizetype(header.size())),
        &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Error{QStringLiteral("the header is not valid JSON (%1 at byte %2)")
                         .arg(parseError.errorString())
                         .arg(parseError.offset)};
    if (!doc.isObject())
        return Error{QStringLiteral("the header is JSON but not an object")};
    const QJsonObject root = doc.object();
    if (std::uint64_t(root.size()) > limits.maxTensors + 1)
        return Error{QStringLiteral("the header lists %1 entries, above the limit of %2")
                         .arg(root.size())
                         .arg(limits.maxTensors)};

    std::vector<SafetensorsEntry> entries;
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (it.key() == QLatin1String("__metadata__"))
            continue;
        auto e = readEntry(it.key(), it.value(), data, limits);
        if (!e)
            return e.error();
        entries.push_back(std::move(e.value()));
    }
    // File order, and no two tensors sharing a byte.
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return a.data.data() < b.data.data() ||
               (a.data.data() == b.data.data() && a.data.size() < b.data.size());
    });
    const SafetensorsEntry* reach = nullptr; // the tensor that ends furthest so far
    for (const auto& e : entries) {
        if (e.data.empty())
            continue;
        if (reach && reach->data.data() + reach->data.size() > e.data.data())
            return Error{
                QStringLiteral("the bytes of tensors %1 and %2 overlap").arg(reach->name, e.name)};
        if (!reach || e.data.data() + e.data.size() > reach->data.data() + reach->data.size())
            reach = &e;
    }
    return entries;
}

Result<SafetensorsSet> openSafetensorsFolder(const QString& folder) {
    const QDir dir(folder);
    SafetensorsSet set;
    auto openOne = [&](const QString& fileName) -> Result<std::vector<SafetensorsEntry>> {
        auto mapped = MappedFile::open(dir.filePath(fileName));
        if (!mapped)
            return mapped.error();
        auto entries = parseSafetensors(mapped.value()->bytes());
        if (!entries)
            return Error{QStringLiteral("%1: %2").arg(fileName, entries.error().message)};
        set.files.push_back(mapped.value());
        return entries;
    };

    const QString single = QStringLiteral("model.safetensors");
    const QString index = QStringLiteral("model.safetensors.index.json");
    if (QFileInfo(dir.filePath(single)).isFile()) {
        auto entries = openOne(single);
        if (!entries)
            return entries.error();
        set.tensors = std::move(entries.value());
        return set;
    }
    if (!QFileInfo(dir.filePath(index)).isFile())
        return Error{QStringLiteral("the folder has neither %1 nor %2").arg(single, index)};

    QFile indexFile(dir.filePath(index));
    if (!indexFile.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(index, indexFile.errorString())};
    if (indexFile.size() > qint64(SafetensorsLimits{}.maxHeaderBytes))
        return Error{QStringLiteral("%1 is larger than %2 bytes")
                         .arg(index)
                         .arg(SafetensorsLimits{}.maxHeaderBytes)};
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(indexFile.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject() ||
        !doc.object().value(QLatin1String("weight_map")).isObject())
        return Error{QStringLiteral("%1 is not a JSON object with a weight_map").arg(index)};
    set.indexPath = dir.filePath(index);

    // Shard file names in order of first mention; each tensor named once.
    std::map<QString, QString> shardOf;
    std::vector<QString> shards;
    const QJsonObject map = doc.object().value(QLatin1String("weight_map")).toObject();
    for (auto it = map.begin(); it != map.end(); ++it) {
        const QString shard = it.value().toString();
        if (shard.isEmpty() || shard.contains(QLatin1Char('/')) ||
            shard.contains(QLatin1Char('\\')) || shard == QLatin1String("..") ||
            shard == QLatin1String("."))
            return Error{QStringLiteral("%1: tensor %2 names the shard \"%3\", which is not a file "
                                        "name in the folder")
                             .arg(index, it.key(), shard)};
        shardOf[it.key()] = shard;
        if (std::find(shards.begin(), shards.end(), shard) == shards.end())
            shards.push_back(shard);
    }
    if (shards.empty())
        return Error{QStringLiteral("%1: the weight_map names no tensors").arg(index)};
    std::sort(shards.begin(), shards.end());
    std::set<QString> seen;
    for (const QString& shard : shards) {
        if (!QFileInfo(dir.filePath(shard)).isFile())
            return Error{QStringLiteral("the shard %1 named in %2 is missing").arg(shard, index)};
        auto entries = openOne(shard);
        if (!entries)
            return entries.error();
        for (auto& e : entries.value()) {
            const auto named = shardOf.find(e.name);
            if (named == shardOf.end() || named->second != shard)
                continue; // the index decides which copy of a tensor counts
            if (!seen.insert(e.name).second)
                return Error{QStringLiteral("tensor %1 appears twice in %2").arg(e.name, shard)};
            set.tensors.push_back(std::move(e));
        }
    }
    for (const auto& [name, shard] : shardOf)
        if (!seen.count(name))
            return Error{QStringLiteral("%1 puts tensor %2 in %3, which does not hold it")
                             .arg(index, name, shard)};
    return set;
}

} // namespace cwb
