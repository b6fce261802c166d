// SPDX-License-Identifier: GPL-3.0-or-later
#include "distillrecord.h"

#include "runrecorder.h"

#include <QJsonArray>

#include <algorithm>

namespace cwb {

RunRecord studentPruneRecord(const Model& teacher, const PrunePlan& plan, const QString& command) {
    RunRecord record = newRunRecord(QStringLiteral("prune"), &teacher, command);
    record.name = QStringLiteral("student: %1").arg(plan.name);
    record.settings = QJsonObject{{QStringLiteral("prune_plan"), plan.toJson()}};
    return record;
}

RunOutcome studentPruneOutcome(const PruneResult& pruned) {
    QJsonArray kept, influence;
    for (int b : pruned.keptBlocks)
        kept.append(b);
    for (double bi : pruned.blockInfluence)
        influence.append(bi);
    QJsonObject settings{{QStringLiteral("kept_blocks"), kept}};
    if (!influence.isEmpty())
        settings.insert(QStringLiteral("block_influence"), influence);
    return {{{QStringLiteral("parameters"), {double(pruned.parametersAfter), {}}},
             {QStringLiteral("dense_bytes"), {double(pruned.denseBytes), {}}},
             {QStringLiteral("sparse_bytes"), {double(pruned.sparseBytes), {}}}},
            {},
            0,
            settings};
}

RunRecord distillationRecord(const Model& teacher, const PrunePlan& plan,
                             const QString& studentSpec, const DistillOptions& options,
                             int sequenceLength, const TextIdentity& text, const QString& command) {
    RunRecord record = newRunRecord(QStringLiteral("distillation"), &teacher, command);
    record.name = QStringLiteral("distilled: %1")
                      .arg(plan.name.isEmpty() ? QStringLiteral("teacher") : plan.name);
    record.threads = options.threads > 0 ? options.threads : 1;
    record.calibText = text;
    QJsonObject settings = options.toJson();
    settings.insert(QStringLiteral("student_spec"), studentSpec);
    settings.insert(QStringLiteral("sequence_length"), sequenceLength);
    record.settings = settings;
    return record;
}

RunOutcome distillationOutcome(const DistillResult& trained, std::uint64_t fileBytes,
                               const QJsonObject& output) {
    const TrainingPoint last = trained.curve.empty() ? TrainingPoint{} : trained.curve.back();
    QJsonArray curve;
    const std::size_t every = std::max<std::size_t>(1, trained.curve.size() / 200);
    for (std::size_t i = 0; i < trained.curve.size(); i += every) {
        const TrainingPoint& p = trained.curve[i];
        curve.append(QJsonArray{p.step, p.loss, p.kl, p.ce, p.lr});
    }
    QJsonObject settings = output;
    settings.insert(QStringLiteral("curve"), curve);
    return {{{QStringLiteral("size_bytes"), {double(fileBytes), {}}},
             {QStringLiteral("parameters"), {double(trained.student->parameterCount()), {}}},
             {QStringLiteral("train_loss"), {last.loss, {}}},
             {QStringLiteral("train_kl"), {last.kl, {}}},
             {QStringLiteral("train_ce"), {last.ce, {}}},
             {QStringLiteral("train_tok_per_s"), {trained.tokensPerSecond, {}}},
             {QStringLiteral("steps"), {double(trained.steps), {}}}},
            {},
            0,
            settings};
}

} // namespace cwb
