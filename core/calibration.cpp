// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibration.h"

#include "engine.h"
#include "fingerprint.h"
#include "textfile.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace cwb {
namespace {

class StatsCollector : public ActivationObserver {
public:
    StatsCollector(CalibrationStats& stats, const CalibrationOptions& options)
        : m_stats(stats)
        , m_options(options) {}

    void observe(Site site, const float* rows, int count, int width) override {
        ChannelStats& s = m_stats.sites[site.name()];
        s.channels = width;
        s.add(rows, count, m_options.hessians, m_options.sampleRows);
    }

private:
    CalibrationStats& m_stats;
    const CalibrationOptions& m_options;
};

} // namespace

Result<CalibrationText> parseCalibrationText(const QString& name, const QByteArray& bytes,
                                             bool jsonLines) {
    CalibrationText text;
    text.path = name;
    text.sha256 = sha256Hex(bytes);
    if (bytes.trimmed().isEmpty())
        return Error{QStringLiteral("%1: the calibration text is empty").arg(name)};
    if (!jsonLines) {
        if (const auto bad =
                firstInvalidUtf8(std::string_view(bytes.constData(), std::size_t(bytes.size()))))
            return Error{QStringLiteral("%1: not valid UTF-8 (at offset %2)").arg(name).arg(*bad)};
        text.documents << bytes;
        return text;
    }
    int lineNumber = 0;
    for (const QByteArray& line : bytes.split('\n')) {
        ++lineNumber;
        if (line.trimmed().isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        if (error.error != QJsonParseError::NoError)
            return Error{QStringLiteral("%1, line %2: not valid JSON (%3)")
                             .arg(name)
                             .arg(lineNumber)
                             .arg(error.errorString())};
        const QJsonValue value = doc.object().value(QStringLiteral("text"));
        if (!doc.isObject() || !value.isString())
            return Error{QStringLiteral("%1, line %2: expected an object with a \"text\" string")
                             .arg(name)
                             .arg(lineNumber)};
        text.documents << value.toString().toUtf8();
    }
    return text;
}

Result<CalibrationText> readCalibrationText(const QString& path) {
    QFile f(path);
    if (!f.exists())
        return Error{QStringLiteral("%1: no such file").arg(path)};
    if (!f.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(path, f.errorString())};
    if (f.size() > (qint64(2) << 30))
        return Error{QStringLiteral("%1: larger than 2 GiB; use a smaller text").arg(path)};
    const QString suffix = QFileInfo(path).suffix().toLower();
    auto text =
        parseCalibrationText(QFileInfo(path).fileName(), f.readAll(),
                             suffix == QLatin1String("jsonl") || suffix == QLatin1String("ndjson"));
    if (text)
        text->path = path;
    return text;
}

Result<CalibrationSet> cutCalibrationText(const Model& model, const CalibrationText& text,
                                          const CalibrationOptions& o) {
    if (o.sequences < 1 || o.sequenceLength < 2)
        return Error{
            QStringLiteral("calibration needs at least one sequence of at least 2 tokens")};
    std::vector<std::int32_t> stream;
    for (const QByteArray& doc : text.documents) {
        const auto ids = model.tokenizer.encode(
            std::string_view(doc.constData(), std::size_t(doc.size())), true);
        stream.insert(stream.end(), ids.begin(), ids.end());
    }
    const std::int64_t available = std::int64_t(stream.size()) / o.sequenceLength;
    if (available < o.sequences)
        return Error{
            QStringLiteral(
                "the calibration text has %1 tokens: %2 sequences of %3, not the %4 asked for")
                .arg(stream.size())
                .arg(available)
                .arg(o.sequenceLength)
                .arg(o.sequences)};
    CalibrationSet set;
    for (int i = 0; i < o.sequences; ++i) {
        auto begin = stream.begin() + std::ptrdiff_t(i) * o.sequenceLength;
        std::vector<std::int32_t> s(begin, begin + o.sequenceLength);
        if (model.tokenizer.addsBos())
            s[0] = model.tokenizer.bos();
        set.tokens += o.sequenceLength;
        set.sequences.push_back(std::move(s));
    }
    return set;
}

Result<CalibrationStats> calibrate(const Model& model, const CalibrationText& text,
                                   const CalibrationOptions& options, const Progress& progress) {
    auto set = cutCalibrationText(model, text, options);
    if (!set)
        return set.error();
    CalibrationStats stats;
    stats.modelSha256 = modelFingerprint(model);
    stats.textPath = text.path;
    stats.textSha256 = text.sha256;
    stats.sequences = options.sequences;
    stats.sequenceLength = options.sequenceLength;
    stats.tokens = set->tokens;
    stats.hessians = options.hessians;
    stats.sequenceTokens = set->sequences;
    stats.tokenCounts.assign(std::size_t(model.config.vocabSize), 0);
    for (const auto& s : set->sequences)
        for (std::int32_t t : s)
            ++stats.tokenCounts[std::size_t(t)];

    StatsCollector collector(stats, options);
    auto weights = WeightSet::fromModel(model);
    if (!weights)
        return weights.error();
    auto engine = Engine::create(std::move(weights.value()),
                                 EngineOptions{options.threads, progress.cancel, &collector});
    if (!engine)
        return engine.error();
    KvCache cache(model.config, options.sequenceLength);
    std::vector<float> logits;
    for (std::size_t i = 0; i < set->sequences.size(); ++i) {
        if (progress.cancelled())
            return cancelledError();
        progress(double(i) / double(set->sequences.size()),
                 QStringLiteral("sequence %1 of %2").arg(i + 1).arg(set->sequences.size()));
        cache.clear();
        // Logits from position 0, so the classifier's input is observed too.
        if (auto r = (*engine)->forward(cache, set->sequences[i], 0, logits); !r)
            return r.error();
    }
    progress(1.0, QStringLiteral("done"));
    return stats;
}

} // namespace cwb
