// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>

#include <cstdint>

namespace cwb {
struct Model;
}

// One weight tensor as the tensor table shows it: plain values, no pointers into the model.
struct TensorRow {
    QString name;             // canonical GGUF name
    QList<std::int64_t> dims; // rows first, as shapeText() prints them
    QString shape;            // "rows × row length"
    std::int64_t parameters = 0;
    QString type; // "F32", "Q8_0"...
    std::uint64_t bytes = 0;
};

QList<TensorRow> tensorRows(const cwb::Model& model);
