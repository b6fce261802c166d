// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "storedtype.h"

#include <QString>

#include <cstdint>
#include <span>
#include <vector>

namespace cwb {

// A named weight tensor as stored in a model file. `data` points into the file's memory map.
// `shape` is in ggml order: shape[0] is the row length (the fastest-varying dimension), so a
// matrix that maps K inputs to N outputs has shape {K, N} and N rows of K values.
struct Tensor {
    QString name;
    std::vector<std::int64_t> shape;
    StoredType type = StoredType::F32;
    std::span<const std::uint8_t> data;

    std::int64_t elements() const {
        std::int64_t n = 1;
        for (auto d : shape)
            n *= d;
        return n;
    }
    std::int64_t rowLength() const { return shape.empty() ? 0 : shape[0]; }
    std::int64_t rows() const { return rowLength() == 0 ? 0 : elements() / rowLength(); }
    bool isMatrix() const { return shape.size() == 2; }
    // "rows × row length", the way a PyTorch user reads a weight's shape.
    QString shapeText() const;
};

} // namespace cwb
