// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "evaluation.h"
#include "logitsample.h"
#include "model.h"
#include "plan.h"
#include "precision.h"
#include "progress.h"
#include "result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

namespace cwb {

// int8_g32, int4_g32_asym, int4_g32, int4_g128, int2_g16: from near-lossless to the cliff.
std::vector<PrecisionId> defaultSensitivityPrecisions();

struct SensitivityOptions {
    EvalOptions eval;
    std::vector<PrecisionId> precisions; // empty: defaultSensitivityPrecisions()
    // The plan's calibration section: its "method" (rtn when absent) compresses each tensor.
    QJsonObject calibration;
    const CalibrationStats* stats = nullptr; // for methods other than rtn
    QStringList tensors;                     // empty: every quantizable tensor
    QString cacheDir;                        // empty: cacheDirectory()
    bool reuseCached = true; // a result already measured with the same inputs is read back
    // Scored positions whose log-probs are kept for the joint loss model (LogitSample).
    int samplePositions = LogitSample::kDefaultPositions;
};

// What compressing one tensor alone to one precision costs.
struct PrecisionLoss {
    PrecisionId precision = PrecisionId::Fp32;
    double kldMean = 0; // mean KL(P_fp32 ‖ P) over the scored tokens
    double kldStderr = 0;
    double top1Agreement = 1;
    std::uint64_t bytes = 0; // the tensor packed in this precision
    // How it shifts the log-probs of SensitivityResult::sample (f16, LogitSample's layout).
    std::vector<std::uint16_t> logitShift = {};
};

struct TensorSensitivity {
    QString name;
    // Where its change enters the forward pass: the block index, -1 for the embedding (the
    // whole model reruns), the number of blocks for an untied classifier.
    int stage = 0;
    std::int64_t parameters = 0;
    std::uint64_t fp32Bytes = 0;
    std::vector<PrecisionLoss> losses; // in SensitivityResult::precisions order
    const PrecisionLoss* at(PrecisionId id) const;
};

// A plan of random precisions, evaluated in full on the text: held-out evidence of how the
// tensors' losses combine, on which the joint model's weight is fitted (never a searched plan).
struct ProbePlan {
    double cheapestShare = 0; // the chance each tensor was given the cheapest precision
    double kldMeasured = 0;
    double kldAdditive = 0; // the sum of its tensors' own losses
    double kldLogit = 0;    // its tensors' logit shifts added (LogitSample)
};

// What the measurement cost, against one full evaluation of the text.
struct SensitivityCost {
    int candidates = 0;          // tensor × precision pairs measured
    double seconds = 0;          // the whole call
    double fullPassSeconds = 0;  // one FP32 pass over the text, every stage, compared as a plan is
    double candidateSeconds = 0; // every candidate (quantizing and rerunning) and the probe plans
    double quantizeSeconds = 0;  // of which quantizing (and the method's search)
    // Stages rerun over stages of a full pass, summed over candidates (a stage: one block or the
    // classifier).
    double stagePasses = 0;
    std::uint64_t residualBytes = 0; // the cached stage inputs
    bool fromCache = false;          // read back from an earlier identical measurement
    // The same two in processor time of this process, which other processes on a shared machine
    // disturb less than the clock on the wall.
    double fullPassCpuSeconds = 0;
    double candidateCpuSeconds = 0;
    double fullEvaluations() const {
        if (fullPassCpuSeconds > 0)
            return candidateCpuSeconds / fullPassCpuSeconds;
        return fullPassSeconds > 0 ? candidateSeconds / fullPassSeconds : 0.0;
    }
};

struct SensitivityResult {
    QString modelSha256;
    QString textSha256;
    QJsonObject calibration;
    QuantMethod method = QuantMethod::Rtn;
    std::vector<PrecisionId> precisions;
    std::vector<TensorSensitivity> tensors; // in the model's tensor order
    std::int64_t tokensScored = 0;
    int threads = 0;
    SensitivityCost cost;
    QStringList warnings;
    // The joint loss model's sample. Kept with the cached result (a binary file beside its JSON),
    // not in toJson(): a run's JSON stays small.
    LogitSample sample;
    // The joint loss model: a plan's KLD is predicted as additive^(1-w) × logit^w, the weight w in
    // [0, 1] fitted (least squares of the log) on the probe plans. The two bracket the truth from
    // either side where many tensors are compressed hard: the additive sum ignores how errors
    // compound, the logit sum assumes every tensor's shift survives the others unchanged.
    std::vector<ProbePlan> probes;
    double jointWeight = 1;

    // The predicted mean KLD of the plan that compresses `chosen` (each a loss of this table; the
    // other tensors stay fp32); the additive sum when the table has no sample (one made by hand).
    double predictKld(const std::vector<const PrecisionLoss*>& chosen) const;
    static double additiveKld(const std::vector<const PrecisionLoss*>& chosen);
    // The logit sum alone (LogitSample::predictKld); nullopt without a sample.
    std::optional<double> logitKld(const std::vector<const PrecisionLoss*>& chosen) const;

    const TensorSensitivity* find(const QString& name) const;
    // Median over tensors of the loss at `id`: what "sensitive" is measured against.
    double medianLoss(PrecisionId id) const;
    // The same of each tensor's loss per byte it takes at `id`: what the search trades bytes
    // against, so what ranks tensors of different sizes.
    double medianLossPerByte(PrecisionId id) const;

    QJsonObject toJson() const;
    static Result<SensitivityResult> fromJson(const QJsonObject& json);
};

// The plan that compresses `tensor` alone to `precision` (with the calibration section's method):
// what each sensitivity entry measures, for checking it against a full plan evaluation.
Plan singleTensorPlan(const QString& tensor, PrecisionId precision,
                      const QJsonObject& calibration = {});

// For every quantizable tensor and candidate precision, the mean KLD against FP32 on `text` when
// only that tensor is compressed. The FP32 residual stream at every block's input is kept from one
// pass over the text; each candidate reruns only from the block holding its tensor (the embedding,
// whose rows every stage reads, reruns all). GPTQ candidates use the calibration Hessians directly:
// with one tensor compressed, its inputs are the FP32 model's, so replaying them changes nothing.
Result<SensitivityResult> measureSensitivity(const Model& model, const QByteArray& text,
                                             const SensitivityOptions& options,
                                             const Progress& progress = {});

} // namespace cwb
