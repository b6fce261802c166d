// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "precision.h"
#include "tensor.h"

#include <QList>

#include <cstdint>
#include <optional>
#include <vector>

// A tensor's weights as the detail view plots them: their histogram, and the grid the chosen
// precision's reference quantizer gives the group that holds the largest weight (the group whose
// step is coarsest). Plain values, computed off the GUI thread: a big model's matrix takes a
// moment to decode.
struct WeightDetail {
    cwb::Histogram histogram;
    std::int64_t count = 0;
    float largest = 0; // the weight of largest magnitude, with its sign
    // For integer precisions only: that group, and its grid.
    std::optional<cwb::QuantGrid> grid;
    std::int64_t row = 0;
    std::int64_t firstColumn = 0;
    std::int64_t columns = 0;
};

// The tensor's values in f32, decoded from the layout the file stores them in.
std::vector<float> decodeTensor(const cwb::Tensor& tensor);
WeightDetail weightDetail(const cwb::Tensor& tensor, cwb::PrecisionId precision);

// The grid w8a8 puts one token's activations on (absmax / 127 steps), for a typical token: the
// sampled calibration token whose absmax is the median of the samples'.
struct TokenGrid {
    cwb::QuantGrid grid;
    int sampledTokens = 0;
};
std::optional<TokenGrid> typicalTokenGrid(const cwb::ChannelStats& stats);

// The values of a grid's points, lowest first.
QList<double> gridValues(const cwb::QuantGrid& grid);
