// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "modelconfig.h"

#include <QStringList>

#include <optional>

namespace cwb {

// The shapes of well-known models, for benchmarking hardware with random weights of a model
// that is not on disk (`cwb bench --synthetic NAME`).
struct ModelShape {
    const char* name;
    const char* description;
    LlamaConfig config;
};

std::optional<ModelShape> modelShape(const QString& name);
QStringList modelShapeNames();

} // namespace cwb
