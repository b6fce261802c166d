// SPDX-License-Identifier: GPL-3.0-or-later
#include "activationstats.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cwb {

// --- Histogram ---------------------------------------------------------------------------------

void Histogram::widenTo(float value) {
    if (m_range == 0) {
        m_range = std::exp2(std::ceil(std::log2(value)));
        if (m_range < value) // log2 rounding
            m_range *= 2;
        return;
    }
    while (value > m_range) {
        // [-2R, 2R]: old bin k lands in bin kBins/4 + k/2.
        std::vector<std::uint64_t> wider(kBins, 0);
        for (int k = 0; k < kBins; ++k)
            wider[std::size_t(kBins / 4 + k / 2)] += m_bins[std::size_t(k)];
        m_bins = std::move(wider);
        m_range *= 2;
    }
}

void Histogram::add(float value) {
    if (!std::isfinite(value))
        return;
    const float a = std::abs(value);
    if (a > m_range || m_range == 0)
        widenTo(std::max(a, 1e-30f));
    int bin = int((value + m_range) / (2 * m_range) * kBins);
    bin = std::clamp(bin, 0, kBins - 1);
    ++m_bins[std::size_t(bin)];
}

void Histogram::merge(const Histogram& other) {
    if (other.m_range == 0)
        return;
    Histogram o = other;
    if (o.m_range < m_range)
        o.widenTo(m_range);
    else if (m_range < o.m_range)
        widenTo(o.m_range);
    for (int k = 0; k < kBins; ++k)
        m_bins[std::size_t(k)] += o.m_bins[std::size_t(k)];
}

Histogram Histogram::fromParts(float range, std::vector<std::uint64_t> bins) {
    Histogram h;
    h.m_range = range;
    if (bins.size() == std::size_t(kBins))
        h.m_bins = std::move(bins);
    return h;
}

Histogram Histogram::of(std::span<const float> values) {
    Histogram h;
    float amax = 0;
    for (float v : values)
        if (std::isfinite(v))
            amax = std::max(amax, std::abs(v));
    if (amax > 0)
        h.widenTo(amax); // one pass at the final range
    for (float v : values)
        h.add(v);
    return h;
}

// --- ChannelStats --------------------------------------------------------------------------------

void ChannelStats::add(const float* data, int count, bool collectHessian, int maxSampleRows) {
    const auto k = std::size_t(channels);
    if (absMax.empty()) {
        absMax.assign(k, 0.0f);
        sumSquares.assign(k, 0.0);
        sumAbs.assign(k, 0.0);
        if (collectHessian)
            hessian.assign(k * k, 0.0);
    }
    for (int r = 0; r < count; ++r) {
        const float* x = data + std::size_t(r) * k;
        for (std::size_t j = 0; j < k; ++j) {
            const double v = x[j];
            absMax[j] = std::max(absMax[j], std::abs(x[j]));
            sumSquares[j] += v * v;
            sumAbs[j] += std::abs(v);
            histogram.add(x[j]);
        }
        if (!hessian.empty()) // upper triangle now, mirrored on save
            for (std::size_t i = 0; i < k; ++i) {
                const double xi = x[i];
                double* row = hessian.data() + i * k;
                for (std::size_t j = i; j < k; ++j)
                    row[j] += xi * double(x[j]);
            }
        if (sampleRows < maxSampleRows) {
            samples.insert(samples.end(), x, x + k);
            ++sampleRows;
        }
    }
    rows += count;
}

std::vector<int> ChannelStats::outlierChannels(double factor) const {
    if (absMax.empty())
        return {};
    std::vector<float> sorted = absMax;
    std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(sorted.size() / 2),
                     sorted.end());
    const double median = sorted[sorted.size() / 2];
    std::vector<int> out;
    for (int j = 0; j < channels; ++j)
        if (double(absMax[std::size_t(j)]) > factor * median)
            out.push_back(j);
    return out;
}

// --- CalibrationStats ------------------------------------------------------------------------

const ChannelStats* CalibrationStats::site(const Site& s) const {
    const auto it = sites.find(s.name());
    return it == sites.end() ? nullptr : &it->second;
}

QJsonObject CalibrationStats::provenance() const {
    return QJsonObject{
        {QStringLiteral("model_sha256"), modelSha256},
        {QStringLiteral("text_path"), textPath},
        {QStringLiteral("text_sha256"), textSha256},
        {QStringLiteral("sequences"), sequences},
        {QStringLiteral("sequence_length"), sequenceLength},
        {QStringLiteral("tokens"), qint64(tokens)},
        {QStringLiteral("hessians"), hessians},
    };
}

namespace {

constexpr char kMagic[8] = {'C', 'W', 'B', 'S', 'T', 'A', 'T', '1'};
constexpr qsizetype kMaxStatsHeader = 16 << 20;

template <typename T> void appendArray(QByteArray& out, const std::vector<T>& v) {
    out.append(reinterpret_cast<const char*>(v.data()), qsizetype(v.size() * sizeof(T)));
}

// Reads arrays back in the order they were written, checking every length against the bytes.
class ArrayReader {
public:
    ArrayReader(const QByteArray& bytes, qsizetype at)
        : m_bytes(bytes)
        , m_at(at) {}
    template <typename T> bool read(std::vector<T>& v, std::uint64_t count) {
        if (count > std::uint64_t(m_bytes.size() - m_at) / sizeof(T))
            return false;
        v.resize(std::size_t(count));
        if (count == 0) // an empty vector's data() may be null, which memcpy must not get
            return true;
        std::memcpy(v.data(), m_bytes.constData() + m_at, std::size_t(count) * sizeof(T));
        m_at += qsizetype(count * sizeof(T));
        return true;
    }
    bool atEnd() const { return m_at == m_bytes.size(); }

private:
    const QByteArray& m_bytes;
    qsizetype m_at;
};

} // namespace

QByteArray CalibrationStats::serialize() const {
    QJsonObject header = provenance();
    header.insert(QStringLiteral("vocab"), qint64(tokenCounts.size()));
    header.insert(QStringLiteral("stored_sequences"), qint64(sequenceTokens.size()));
    QJsonArray siteArray;
    for (const auto& [name, s] : sites)
        siteArray.append(QJsonObject{
            {QStringLiteral("name"), name},
            {QStringLiteral("channels"), s.channels},
            {QStringLiteral("rows"), qint64(s.rows)},
            {QStringLiteral("sample_rows"), s.sampleRows},
            {QStringLiteral("hessian"), !s.hessian.empty()},
            {QStringLiteral("histogram_range"), double(s.histogram.range())},
        });
    header.insert(QStringLiteral("sites"), siteArray);
    const QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    QByteArray out(kMagic, 8);
    const std::uint64_t length = std::uint64_t(json.size());
    out.append(reinterpret_cast<const char*>(&length), 8);
    out += json;
    appendArray(out, tokenCounts);
    for (const auto& sequence : sequenceTokens)
        appendArray(out, sequence);
    for (const auto& [name, s] : sites) {
        appendArray(out, s.absMax);
        appendArray(out, s.sumSquares);
        appendArray(out, s.sumAbs);
        appendArray(out, s.histogram.bins());
        if (!s.hessian.empty()) { // the full symmetric matrix
            std::vector<double> h = s.hessian;
            const auto k = std::size_t(s.channels);
            for (std::size_t i = 0; i < k; ++i)
                for (std::size_t j = 0; j < i; ++j)
                    h[i * k + j] = h[j * k + i];
            appendArray(out, h);
        }
        appendArray(out, s.samples);
    }
    return out;
}

Result<CalibrationStats> CalibrationStats::deserialize(const QByteArray& bytes) {
    auto bad = [](const QString& why) {
        return Error{QStringLiteral("not a usable statistics file: %1").arg(why)};
    };
    if (bytes.size() < 16 || std::memcmp(bytes.constData(), kMagic, 8) != 0)
        return bad(QStringLiteral("it does not start with CWBSTAT1"));
    std::uint64_t length = 0;
    std::memcpy(&length, bytes.constData() + 8, 8);
    if (length > std::uint64_t(kMaxStatsHeader) || length > std::uint64_t(bytes.size() - 16))
        return bad(QStringLiteral("its header length is beyond the file"));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes.mid(16, qsizetype(length)), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return bad(QStringLiteral("its header is not a JSON object"));
    const QJsonObject h = doc.object();
    CalibrationStats s;
    s.modelSha256 = h.value(QStringLiteral("model_sha256")).toString();
    s.textPath = h.value(QStringLiteral("text_path")).toString();
    s.textSha256 = h.value(QStringLiteral("text_sha256")).toString();
    s.sequences = h.value(QStringLiteral("sequences")).toInt();
    s.sequenceLength = h.value(QStringLiteral("sequence_length")).toInt();
    s.tokens = h.value(QStringLiteral("tokens")).toInteger();
    s.hessians = h.value(QStringLiteral("hessians")).toBool();
    ArrayReader in(bytes, qsizetype(16 + length));
    const qint64 vocab = h.value(QStringLiteral("vocab")).toInteger();
    if (vocab < 0 || !in.read(s.tokenCounts, std::uint64_t(vocab)))
        return bad(QStringLiteral("its token counts are cut short"));
    const qint64 stored = h.value(QStringLiteral("stored_sequences")).toInteger();
    if (stored < 0 || stored > (1 << 24) || s.sequenceLength < 0)
        return bad(QStringLiteral("its sequence count is impossible"));
    s.sequenceTokens.resize(std::size_t(stored));
    for (auto& sequence : s.sequenceTokens) {
        if (!in.read(sequence, std::uint64_t(s.sequenceLength)))
            return bad(QStringLiteral("its sequences are cut short"));
        for (std::int32_t t : sequence)
            if (t < 0 || t >= vocab)
                return bad(
                    QStringLiteral("a stored sequence holds token %1, outside the vocabulary")
                        .arg(t));
    }
    for (const QJsonValue& v : h.value(QStringLiteral("sites")).toArray()) {
        const QJsonObject o = v.toObject();
        ChannelStats c;
        c.channels = o.value(QStringLiteral("channels")).toInt();
        c.rows = o.value(QStringLiteral("rows")).toInteger();
        c.sampleRows = o.value(QStringLiteral("sample_rows")).toInt();
        const QString name = o.value(QStringLiteral("name")).toString();
        if (c.channels <= 0 || c.channels > (1 << 20) || c.rows < 0 || c.sampleRows < 0 ||
            name.isEmpty())
            return bad(QStringLiteral("site \"%1\" has impossible sizes").arg(name));
        const auto k = std::uint64_t(c.channels);
        std::vector<std::uint64_t> bins;
        bool ok = in.read(c.absMax, k) && in.read(c.sumSquares, k) && in.read(c.sumAbs, k) &&
                  in.read(bins, Histogram::kBins);
        if (ok && o.value(QStringLiteral("hessian")).toBool())
            ok = in.read(c.hessian, k * k);
        ok = ok && in.read(c.samples, std::uint64_t(c.sampleRows) * k);
        if (!ok)
            return bad(QStringLiteral("site \"%1\" is cut short").arg(name));
        c.histogram = Histogram::fromParts(
            float(o.value(QStringLiteral("histogram_range")).toDouble()), std::move(bins));
        s.sites.emplace(name, std::move(c));
    }
    if (!in.atEnd())
        return bad(QStringLiteral("it has bytes after its last site"));
    return s;
}

Result<void> CalibrationStats::save(const QString& path) const {
    QSaveFile f(path);
    const QByteArray bytes = serialize();
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
        return Error{QStringLiteral("%1: cannot write: %2").arg(path, f.errorString())};
    return {};
}

Result<CalibrationStats> CalibrationStats::load(const QString& path) {
    QFile f(path);
    if (!f.exists())
        return Error{QStringLiteral("%1: no such file").arg(path)};
    if (!f.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(path, f.errorString())};
    auto s = deserialize(f.readAll());
    if (!s)
        return Error{QStringLiteral("%1: %2").arg(path, s.error().message)};
    return s;
}

} // namespace cwb
