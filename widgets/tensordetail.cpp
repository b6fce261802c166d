// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensordetail.h"

#include "storedtype.h"

#include <algorithm>
#include <cmath>

std::vector<float> decodeTensor(const cwb::Tensor& tensor) {
    const cwb::StoredTypeTraits& traits = cwb::traitsOf(tensor.type);
    const auto rowLength = std::size_t(tensor.rowLength());
    std::vector<float> values(std::size_t(tensor.elements()));
    if (rowLength == 0)
        return values;
    const std::uint64_t bytes = cwb::rowBytes(traits, rowLength);
    for (std::size_t r = 0; r < values.size() / rowLength; ++r)
        traits.dequantize(tensor.data.data() + r * bytes,
                          std::span(values).subspan(r * rowLength, rowLength));
    return values;
}

WeightDetail weightDetail(const cwb::Tensor& tensor, cwb::PrecisionId precision) {
    const std::vector<float> values = decodeTensor(tensor);
    WeightDetail d;
    d.histogram = cwb::Histogram::of(values);
    d.count = std::int64_t(values.size());
    if (values.empty())
        return d;
    const auto at = std::max_element(values.begin(), values.end(),
                                     [](float a, float b) { return std::abs(a) < std::abs(b); });
    d.largest = *at;
    const cwb::PrecisionInfo& info = cwb::precisionInfo(precision);
    const std::int64_t rowLength = tensor.rowLength();
    if (!info.grid || rowLength == 0)
        return d;
    const auto index = std::int64_t(at - values.begin());
    const std::int64_t span = cwb::gridSpan(info, rowLength);
    d.row = index / rowLength;
    d.firstColumn = (index % rowLength) / span * span;
    d.columns = std::min(span, rowLength - d.firstColumn);
    d.grid = info.grid(std::span(values).subspan(std::size_t(d.row * rowLength + d.firstColumn),
                                                 std::size_t(d.columns)));
    return d;
}

std::optional<TokenGrid> typicalTokenGrid(const cwb::ChannelStats& stats) {
    const auto width = std::size_t(stats.channels);
    if (width == 0 || stats.sampleRows <= 0 || stats.samples.size() < width)
        return std::nullopt;
    const cwb::PrecisionInfo& w8a8 = cwb::precisionInfo(cwb::PrecisionId::W8A8);
    std::vector<cwb::QuantGrid> grids;
    for (std::size_t r = 0;
         r < std::size_t(stats.sampleRows) && (r + 1) * width <= stats.samples.size(); ++r)
        grids.push_back(w8a8.grid(std::span(stats.samples).subspan(r * width, width)));
    if (grids.empty())
        return std::nullopt;
    auto median = grids.begin() + std::ptrdiff_t(grids.size() / 2);
    std::nth_element(
        grids.begin(), median, grids.end(),
        [](const cwb::QuantGrid& a, const cwb::QuantGrid& b) { return a.scale < b.scale; });
    return TokenGrid{*median, int(grids.size())};
}

QList<double> gridValues(const cwb::QuantGrid& grid) {
    QList<double> values;
    for (int q = grid.qmin; q <= grid.qmax; ++q)
        values << double(grid.value(q));
    std::sort(values.begin(), values.end()); // a negative scale runs them downwards
    return values;
}
