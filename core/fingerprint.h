// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"

#include <QString>

namespace cwb {

// sha256 over every file a model was read from (weights, then tokenizer), hex: the model's
// identity in caches, runs and reports.
QString modelFingerprint(const Model& model);

} // namespace cwb
