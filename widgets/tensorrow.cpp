// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorrow.h"

#include "model.h"
#include "storedtype.h"

QList<TensorRow> tensorRows(const cwb::Model& model) {
    QList<TensorRow> rows;
    rows.reserve(qsizetype(model.tensors.size()));
    for (const cwb::Tensor& t : model.tensors) {
        TensorRow row;
        row.name = t.name;
        for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it)
            row.dims.append(*it);
        row.shape = t.shapeText();
        row.parameters = t.elements();
        row.type = QString::fromLatin1(cwb::traitsOf(t.type).name);
        row.bytes = t.data.size();
        rows.append(row);
    }
    return rows;
}
