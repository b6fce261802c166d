// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "model.h"
#include "progress.h"
#include "result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace cwb {

// How an unstructured rule picks the weights it zeroes.
//  Magnitude: the smallest |W| of the whole tensor.
//  Wanda: the smallest |W_rc| · ‖x_c‖₂ within each output row r (Sun et al. 2023), ‖x_c‖ from the
//    calibration statistics of the matrix's input.
//  TwoFour: in every group of 4 consecutive inputs of a row, the 2 smallest scores (|W|, or the
//    Wanda score when statistics are given): the 2:4 pattern sparse tensor cores run.
enum class PruneMethod { Magnitude, Wanda, TwoFour };
QString pruneMethodName(PruneMethod method);

// How structured pruning ranks FFN neurons and KV groups.
//  Magnitude: weights only. A neuron j scores ‖gate_j‖·‖up_j‖·‖down_:,j‖; a KV group
//    ‖W_v rows‖·‖W_o columns of its query heads‖ (Frobenius norms).
//  Activation: what the unit adds to the residual stream on the calibration text. A neuron scores
//    rms(h_j)·‖down_:,j‖, a KV group Σ_d rms(att_d)·‖W_o[:,d]‖ over its query heads' dimensions.
// Blocks are ranked by Block Influence (Men et al. 2024, "ShortGPT"): 1 − the mean cosine of the
// residual stream before and after the block, on the calibration sequences; the least
// influential blocks go.
enum class ImportanceScore { Magnitude, Activation };

// One unstructured rule: the last rule whose pattern matches a tensor's canonical name wins.
struct PruneRule {
    QString match;
    PruneMethod method = PruneMethod::Wanda;
    double sparsity = 0.5; // ignored by TwoFour, which is 50% by construction
};

// A pruning plan, JSON like a precision plan:
//   { "name": "wanda 50%", "rules": [ { "match": "blk\\..*", "method": "wanda", "sparsity": 0.5 }
//   ],
//     "structured": { "ffn_fraction": 0.25, "kv_groups": 1, "blocks": 2, "keep_blocks": [0,2,4],
//                     "importance": "activation" } }
struct PrunePlan {
    QString name;
    std::vector<PruneRule> rules;
    double ffnFraction = 0;      // of every block's FFN neurons, removed
    int kvGroupsRemoved = 0;     // per block: a KV head with every query head that reads it
    int blocksRemoved = 0;       // the least influential
    std::vector<int> keepBlocks; // instead of blocksRemoved: exactly these blocks, in order
    ImportanceScore importance = ImportanceScore::Activation;

    bool needsStatistics() const;
    bool isStructured() const;
    QJsonObject toJson() const;
    static Result<PrunePlan> fromJson(const QJsonObject& json);
};
Result<PrunePlan> loadPrunePlan(const QString& path);
// A distillation student as `cwb distill --student-spec` writes it: "blocks=0,2,4", "drop=N",
// "ffn=F", "kv=N" or "prune=PLAN.json", joined by ';'; empty or "teacher": the teacher itself.
Result<PrunePlan> studentSpecPlan(const QString& spec);

// Sparsity of one tensor, and its size counted honestly: the dense f32 file stores zeros like any
// value; a sparse format stores a bitmask and the nonzero values (2:4: half the values and a
// 2-bit index each), and is only a saving when that is smaller.
struct TensorSparsity {
    QString name;
    QString method; // "", "magnitude", "wanda", "2:4"
    std::int64_t elements = 0;
    std::int64_t zeros = 0;
    std::uint64_t denseBytes = 0;
    std::uint64_t sparseBytes = 0; // min(dense, the sparse format)
    double sparsity() const { return elements ? double(zeros) / double(elements) : 0.0; }
};

struct PruneResult {
    std::shared_ptr<const Model> model; // dense f32, runs on the plain engine
    std::vector<TensorSparsity> tensors;
    std::vector<int> keptBlocks;        // the source block of each block of the result
    std::vector<double> blockInfluence; // per source block, when blocks were ranked
    std::int64_t parametersBefore = 0, parametersAfter = 0;
    std::uint64_t denseBytes = 0;  // f32 bytes of the result
    std::uint64_t sparseBytes = 0; // with unstructured zeros held in a sparse format
    QStringList warnings;
};

// Applies the plan: unstructured rules first (on the source shapes the statistics describe), then
// the structured removals, then blocks. Needs `stats` when plan.needsStatistics().
Result<PruneResult> pruneModel(const Model& model, const PrunePlan& plan,
                               const CalibrationStats* stats, const Progress& progress = {});

// Block Influence of every block on the given sequences (see ImportanceScore).
Result<std::vector<double>> blockInfluence(const Model& model,
                                           const std::vector<std::vector<std::int32_t>>& sequences,
                                           int threads = 0);

// A tensor as f32 values, and a model made of them.
struct NamedValues {
    QString name;
    std::vector<std::int64_t> shape; // ggml order
    std::vector<float> values;
};
std::vector<NamedValues> modelValues(const Model& model);
// A model with `base`'s tokenizer and the given config and tensors, held in memory (no file):
// what pruning and distillation produce. The engine runs it and ggufexport writes it.
std::shared_ptr<const Model> modelFromValues(const Model& base, const LlamaConfig& config,
                                             const std::vector<NamedValues>& tensors,
                                             const QString& path);

} // namespace cwb
