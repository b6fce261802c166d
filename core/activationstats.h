// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationsite.h"
#include "result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <map>
#include <span>
#include <vector>

namespace cwb {

// A histogram of values over [-range, range] in a fixed number of bins. The range is a power of
// two that doubles (merging neighbouring bins) when a larger value arrives, so the histogram is
// exact, deterministic, and as small at the end as at the start.
class Histogram {
public:
    static constexpr int kBins = 256;
    void add(float value);
    void merge(const Histogram& other);
    float range() const { return m_range; }
    const std::vector<std::uint64_t>& bins() const { return m_bins; }
    float binLow(int i) const { return -m_range + 2 * m_range * float(i) / kBins; }

    static Histogram fromParts(float range, std::vector<std::uint64_t> bins);
    static Histogram of(std::span<const float> values);

private:
    void widenTo(float value);
    float m_range = 0;
    std::vector<std::uint64_t> m_bins = std::vector<std::uint64_t>(kBins, 0);
};

// What calibration learns about one matmul input, accumulated token by token.
struct ChannelStats {
    int channels = 0;
    std::int64_t rows = 0;
    std::vector<float> absMax; // per input channel
    std::vector<double>
        sumSquares; // per channel: Σ x² (mean square = sumSquares / rows: llama.cpp's imatrix)
    std::vector<double> sumAbs;  // per channel: Σ |x| (AWQ's activation magnitude)
    Histogram histogram;         // of every value
    std::vector<double> hessian; // Σ x xᵀ, channels × channels, if collected (GPTQ)
    std::vector<float> samples;  // the first rows seen, sampleRows × channels (α searches)
    int sampleRows = 0;

    void add(const float* rows, int count, bool collectHessian, int maxSampleRows);
    double meanSquare(int channel) const {
        return rows ? sumSquares[std::size_t(channel)] / double(rows) : 0.0;
    }
    double meanAbs(int channel) const {
        return rows ? sumAbs[std::size_t(channel)] / double(rows) : 0.0;
    }
    // Channels whose absmax exceeds `factor` × the median channel's absmax.
    std::vector<int> outlierChannels(double factor = 6.0) const;
};

// Statistics of every matmul input of a model on a calibration text, with the provenance needed to
// trust them again: which model, which text, how it was cut, and the text's token counts (for the
// mismatch check against an evaluation text).
struct CalibrationStats {
    QString modelSha256;
    QString textPath;
    QString textSha256;
    int sequences = 0;
    int sequenceLength = 0;
    std::int64_t tokens = 0;
    bool hessians = false;
    std::vector<std::uint64_t> tokenCounts; // per vocabulary id, over the calibration tokens
    // The calibration sequences themselves: GPTQ replays them through the partly quantized model.
    std::vector<std::vector<std::int32_t>> sequenceTokens;
    std::map<QString, ChannelStats> sites; // by Site::name()

    const ChannelStats* site(const Site& s) const;
    QJsonObject provenance() const;

    // A file of the same inputs has the same bytes.
    QByteArray serialize() const;
    static Result<CalibrationStats> deserialize(const QByteArray& bytes);
    Result<void> save(const QString& path) const; // atomic
    static Result<CalibrationStats> load(const QString& path);
};

} // namespace cwb
