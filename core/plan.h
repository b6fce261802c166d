// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"
#include "precision.h"
#include "result.h"

#include <QHash>
#include <QJsonObject>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <optional>

#include <vector>

namespace cwb {

// How a matrix is quantized to its precision.
//  rtn: round to nearest, the floor.
//  smoothquant: per-input-channel scales s = max|x|^α / max|w|^(1-α) move activation outliers into
//    the weights (for w8a8); α fixed or searched per layer.
//  awq: activation-aware scales s = mean|x|^α, α searched per layer for the least output error.
//  gptq: columns quantized one by one, each one's error compensated in the columns not yet
//    quantized through the inverse Hessian of the calibration inputs.
// Every method but rtn needs calibration statistics.
enum class QuantMethod { Rtn, SmoothQuant, Awq, Gptq };
QString methodName(QuantMethod method);
std::optional<QuantMethod> methodByName(const QString& name);

struct MethodOptions {
    std::optional<double> alpha; // SmoothQuant's α; none: searched per layer
    double gptqDamping = 0.01;   // added to the Hessian's diagonal, as a fraction of its mean
    bool gptqActOrder = true;    // quantize columns in order of decreasing Hessian diagonal
    bool operator==(const MethodOptions&) const = default;
};

// One rule of a plan: tensors whose canonical name matches `match` (a regular expression over
// the whole name) get `precision`, and `method` if it names one. The last matching rule wins.
struct PlanRule {
    QString match;
    PrecisionId precision = PrecisionId::Fp32;
    std::optional<QuantMethod> method;
    QJsonObject extra; // keys this version does not interpret, kept as written
};

// A compression plan, as DESIGN.md's JSON describes it.
struct Plan {
    QString name;
    PrecisionId defaultPrecision = PrecisionId::Fp32;
    std::vector<PlanRule> rules;
    QJsonObject calibration; // kept verbatim; "method" and its options are read from it

    QuantMethod defaultMethod() const;
    MethodOptions methodOptions() const;

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
    QuantMethod method = QuantMethod::Rtn;
};

struct ResolvedPlan {
    std::vector<TensorChoice> tensors; // in the model's tensor order
    QStringList warnings;              // rules that match no tensor, by number and pattern
    MethodOptions methodOptions;
    const TensorChoice* find(const QString& name) const;
    bool needsCalibration() const;

private:
    friend ResolvedPlan resolvePlan(const Plan&, const Model&);
    QHash<QString, std::size_t> m_index; // name → position in tensors
};

ResolvedPlan resolvePlan(const Plan& plan, const Model& model);

// The smallest plan that gives each tensor the precision and method in `choices`: the most common
// precision becomes the default, `calibration` (with its default method) is kept, and every
// tensor that differs from the defaults gets one exact-name rule.
Plan planFromChoices(const QString& name, const std::vector<TensorChoice>& choices,
                     const QJsonObject& calibration = {});

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
