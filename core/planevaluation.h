// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "comparison.h"
#include "evaluation.h"
#include "plan.h"
#include "quantmethods.h"
#include "textmismatch.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace cwb {

// A plan evaluated against the FP32 model on the same scored tokens.
struct PlanEvaluation {
    ComparisonMetrics metrics; // PPL of both, KLD, top-1 agreement, Δp
    SizeSummary size;
    SizeSummary baselineSize;
    std::int64_t tokensProcessed = 0;
    int sequences = 0;
    int ctx = 0;
    int threads = 0;
    SplitMode split = SplitMode::Chunks;
    double seconds = 0;
    double tokensPerSecond = 0; // of the compressed model's forward passes
    bool baselineFromCache = false;
    QString modelSha256;
    QString textSha256;
    std::vector<MethodReport> methodReports; // the α each SmoothQuant or AWQ search chose
    std::optional<MismatchCheck> mismatch;   // calibration text against this evaluation text
    QStringList warnings;                    // the plan's unmatched rules, the context, the cache
};

struct PlanEvaluationOptions {
    EvalOptions eval;
    QString cacheDir;                        // empty: cacheDirectory()
    const CalibrationStats* stats = nullptr; // for plans whose methods need calibration
};

// The baseline cache's key for the FP32 logits of a model and text evaluated with these settings:
// every evaluation against FP32 (plans, sensitivity) shares the same cached logits.
QString baselineKey(const QString& modelSha, const QString& textSha, const EvalOptions& options,
                    int threads);

// Evaluates `plan` on `text`: the FP32 logits come from the baseline cache (or are computed once
// and stored), the plan's weights are quantized and evaluated, and every scored token is compared.
Result<PlanEvaluation> evaluatePlan(const Model& model, const QByteArray& text, const Plan& plan,
                                    const PlanEvaluationOptions& options,
                                    const Progress& progress = {});

} // namespace cwb
