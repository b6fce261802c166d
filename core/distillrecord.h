// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "distill.h"
#include "model.h"
#include "prune.h"
#include "store/runstore.h"

#include <QJsonObject>
#include <QString>

// What a distillation records in the run store, the same whether `cwb distill` or the window ran
// it: the student's prune run (when the student is a pruned teacher), then the distillation.
namespace cwb {

// The prune run that made the student from the teacher, and what it ends with: parameters and
// bytes as metrics, each student block's source block (and the blocks' influence, when ranked).
RunRecord studentPruneRecord(const Model& teacher, const PrunePlan& plan, const QString& command);
RunOutcome studentPruneOutcome(const PruneResult& pruned);

// The distillation run: its options, the student spec and the training text's identity.
RunRecord distillationRecord(const Model& teacher, const PrunePlan& plan,
                             const QString& studentSpec, const DistillOptions& options,
                             int sequenceLength, const TextIdentity& text, const QString& command);
// The trained student written to a file of `fileBytes` (`output`: modelOutputJson of it): its
// size, parameters, last training step and throughput as metrics, the loss curve (at most about
// 200 points) in the settings.
RunOutcome distillationOutcome(const DistillResult& trained, std::uint64_t fileBytes,
                               const QJsonObject& output);

} // namespace cwb
