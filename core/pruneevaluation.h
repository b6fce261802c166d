// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "comparison.h"
#include "evaluation.h"
#include "model.h"
#include "progress.h"
#include "result.h"

#include <QByteArray>

namespace cwb {

// A model of a different shape (pruned, distilled) against its source on the same scored tokens of
// `text`, cut as `options` says with the source's tokenizer: both PPLs, KLD(source ‖ other),
// top-1 agreement. Both models must share the vocabulary.
Result<ComparisonMetrics> compareModels(const Model& source, const Model& other,
                                        const QByteArray& text, const EvalOptions& options,
                                        const Progress& progress = {});

} // namespace cwb
