// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"
#include "precision.h"
#include "result.h"

#include <QJsonObject>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <vector>

namespace cwb {

// One rule of a plan: tensors whose canonical name matches `match` (a regular expression over
// the whole name) get `precision`. The last matching rule wins.
struct PlanRule {
    QString match;
    PrecisionId precision = PrecisionId::Fp32;
    QJsonObject extra; // keys this version does not interpret (a method, say), kept as written
};

// A compression plan, as DESIGN.md's JSON describes it.
struct Plan {
    QString name;
    PrecisionId defaultPrecision = PrecisionId::Fp32;
    std::vector<PlanRule> rules;
    QJsonObject calibration; // kept verbatim

    QJsonObject toJson() const;
    bool operator==(const Plan& other) const;
};

// Parses and validates a plan: unknown precisions, invalid expressions and wrong types are
// errors that say where (rule 2: ...).
Result<Plan> parsePlan(const QByteArray& json);
Result<Plan> loadPlanFile(const QString& path);
// Writes through a temporary file renamed into place, so a failure leaves no partial file.
Result<void> savePlanFile(const Plan& plan, const QString& path);

// What a plan gives one tensor.
struct TensorChoice {
    QString name;
    PrecisionId precision = PrecisionId::Fp32;
    bool quantizable = false; // 2-D weight matrices; norms and other 1-D tensors stay f32
    int rule = -1;            // index of the rule that decided it, -1 for the default
};

struct ResolvedPlan {
    std::vector<TensorChoice> tensors; // in the model's tensor order
    QStringList warnings;              // rules that match no tensor, by number and pattern
    const TensorChoice* find(const QString& name) const;
};

ResolvedPlan resolvePlan(const Plan& plan, const Model& model);

// The smallest plan that gives each tensor the precision in `choices`: the most common precision
// becomes the default, the others one exact-name rule each.
Plan planFromChoices(const QString& name, const std::vector<TensorChoice>& choices);

// Exact sizes: packed weights, scales and the f32 tensors that stay f32.
struct SizeSummary {
    std::uint64_t totalBytes = 0;
    std::uint64_t fp32Bytes = 0;   // the same model with every tensor in f32
    std::uint64_t matrixBytes = 0; // the quantizable matrices as packed
    std::int64_t matrixParameters = 0;
    double bitsPerWeight = 0; // 8 · matrixBytes / matrixParameters, overhead included
    double savingVsFp32() const {
        return fp32Bytes ? 1.0 - double(totalBytes) / double(fp32Bytes) : 0.0;
    }
};
SizeSummary sizeOf(const Model& model, const ResolvedPlan& plan);

} // namespace cwb
