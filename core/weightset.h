// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "kernels/packedmatrix.h"
#include "model.h"
#include "plan.h"
#include "progress.h"
#include "quantmethods.h"

#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace cwb {

// A weight matrix as the engine runs it: f32 values on oneDNN's f32 matmul, or a packed matrix on
// the packed kernels.
struct MatrixWeights {
    std::span<const float> values;
    std::shared_ptr<const kernels::PackedMatrix> packed;
    bool empty() const { return values.empty() && !packed; }
};

struct LayerWeights {
    std::span<const float> attnNorm, ffnNorm;
    MatrixWeights wq, wk, wv, wo, gate, up, down;
    std::span<const float> qBias, kBias, vBias; // empty unless config.qkvBias; always f32
};

// What the weights are prepared for.
//  Accuracy: every weight-only precision is quantized by the reference quantizer and dequantized
//    back, so running the f32 model on the result is exact; w8a8, whose definition quantizes the
//    activations too, runs on its int8 kernel.
//  Speed: every matrix is packed for the packed kernels, as a deployment would run it; nothing
//    is kept in f32 that the plan does not say is f32.
enum class WeightMode { Accuracy, Speed };

class WeightSet {
public:
    static Result<WeightSet> fromModel(const Model& model);
    // The plan's methods that need calibration (SmoothQuant, AWQ, GPTQ) read `stats`.
    static Result<WeightSet> fromPlan(const Model& model, const ResolvedPlan& plan,
                                      WeightMode mode = WeightMode::Accuracy,
                                      const CalibrationStats* stats = nullptr,
                                      const Progress& progress = {});
    // The model with some tensors' values replaced; `values` gives a replacement or an empty span
    // for the model's own values, and its spans must outlive the WeightSet.
    static Result<WeightSet>
    withValues(const Model& model,
               const std::function<std::span<const float>(const QString&)>& values);
    // Random weights of a model's shapes, packed directly in the plan's precisions (`model` may
    // hold shapes only, as syntheticModel() makes), for benchmarking models that are not on disk.
    static Result<WeightSet> synthetic(const Model& model, const ResolvedPlan& plan,
                                       std::uint64_t seed, const Progress& progress = {});

    LlamaConfig config;
    std::span<const float> outputNorm;
    MatrixWeights tokenEmbd; // looked up row by row
    MatrixWeights output;    // token_embd's weights when tied
    std::vector<LayerWeights> layers;

    // What the plan's calibrated methods did (the α each SmoothQuant or AWQ search chose) and
    // what they could not do.
    std::vector<MethodReport> methodReports;
    QStringList warnings;

    // Token `id`'s embedding row, in f32.
    void embed(std::int32_t id, float* out) const;
    // Bytes of every weight held for running (packed matrices and f32 values, mapped or owned).
    std::uint64_t weightBytes() const;
    // Bytes a decode step streams: every weight but an untied embedding, of which it reads a row.
    std::uint64_t decodeBytesPerToken() const;

private:
    std::vector<std::shared_ptr<const MappedFile>> m_files; // the spans above may point into these
    std::vector<std::shared_ptr<const std::vector<std::uint8_t>>> m_buffers; // ... and these
    std::vector<std::vector<float>> m_owned;
};

// A Model holding only names and shapes, for plans and sizes of a model that is not on disk.
std::shared_ptr<const Model> syntheticModel(const LlamaConfig& config, const QString& name);

} // namespace cwb
