// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backward.h"
#include "model.h"
#include "progress.h"
#include "result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace cwb {

// A training text as one token stream: documents split on the separator, each tokenized from
// BOS, concatenated (as llama2.c trains), then cut into windows of `sequenceLength` tokens.
struct TrainingData {
    std::vector<std::int32_t> tokens;
    int sequenceLength = 0;
    std::int64_t windows() const {
        return sequenceLength ? std::int64_t(tokens.size()) / sequenceLength : 0;
    }
};
Result<TrainingData> tokenizeTrainingText(const Model& model, const QByteArray& text,
                                          int sequenceLength,
                                          const QByteArray& separator = "<|endoftext|>");

// loss = klWeight · T² · KL(teacher_T ‖ student_T) + α · CE(text), averaged over positions.
// AdamW with linear warm-up then cosine decay to minLrFraction · lr, global gradient-norm
// clipping, data order from a seeded RNG. By default the KL alone at T = 1: on stories260K's
// 3-block student it reached a lower validation perplexity than T = 2 with α = 0.5 at every
// budget measured (600 steps: 5.23 against 5.45; README, "Pruning and distillation").
struct DistillOptions {
    int steps = 200;
    int batch = 8; // windows per step
    float lr = 2e-3f;
    float minLrFraction = 0.1f;
    int warmupSteps = -1; // -1: 5% of the steps
    float weightDecay = 0.01f;
    float beta1 = 0.9f, beta2 = 0.95f, adamEps = 1e-8f;
    float clip = 1.0f; // 0: no clipping
    float temperature = 1.0f;
    float alpha = 0.0f;    // weight of the cross-entropy on the text
    float klWeight = 1.0f; // 0 trains on the text alone
    std::uint64_t seed = 1234;
    int threads = 0;
    QString checkpointPath; // training state, written atomically; empty: none
    int checkpointEvery = 50;
    bool resume = false;    // continue from checkpointPath if it exists
    int stopAfterSteps = 0; // > 0: stop (as a kill would) after this many steps of this call
    // > 0: hand the student as it is to `onStudent` every this many steps (a validation curve).
    // Not part of the run's identity: it changes what is watched, not what is trained.
    int studentEvery = 0;

    QJsonObject toJson() const;
    float learningRate(int step) const;
};

struct TrainingPoint {
    int step = 0; // 1-based: the step just taken
    double loss = 0, kl = 0, ce = 0;
    double lr = 0;
    double gradNorm = 0; // before clipping
};

struct DistillResult {
    std::shared_ptr<const Model> student;
    std::vector<TrainingPoint> curve; // every step, resumed runs included
    int steps = 0;                    // steps done in total
    bool finished = false;            // false if stopped by stopAfterSteps
    bool resumed = false;
    double seconds = 0;          // this call's training
    double tokensPerSecond = 0;  // tokens through forward + backward, teacher included
    std::int64_t tokensSeen = 0; // this call
};

// Trains `student` (the same vocabulary as `teacher`) on `data`. `onStep` sees every step (for
// live loss curves), `onStudent` the student every options.studentEvery steps. Cancellation saves
// the checkpoint, if there is one, and returns Cancelled.
Result<DistillResult>
distill(const Model& teacher, const Model& student, const TrainingData& data,
        const DistillOptions& options, const Progress& progress = {},
        const std::function<void(const TrainingPoint&)>& onStep = {},
        const std::function<void(int step, const Model& student)>& onStudent = {});

} // namespace cwb
