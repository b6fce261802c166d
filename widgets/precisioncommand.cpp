// SPDX-License-Identifier: GPL-3.0-or-later
#include "precisioncommand.h"

#include "precisionplanmodel.h"

namespace {
constexpr int kMergeableId = 1;
}

PrecisionCommand::PrecisionCommand(PrecisionPlanModel* model, std::vector<PrecisionChange> changes,
                                   std::optional<CalibrationChange> calibration,
                                   const QString& text)
    : QUndoCommand(text)
    , m_model(model)
    , m_changes(std::move(changes))
    , m_calibration(std::move(calibration)) {}

void PrecisionCommand::undo() {
    m_model->assign(m_changes, m_calibration, false);
}

void PrecisionCommand::redo() {
    m_model->assign(m_changes, m_calibration, true);
}

int PrecisionCommand::id() const {
    return m_mergeKey.isEmpty() || !m_changes.empty() || !m_calibration ? -1 : kMergeableId;
}

bool PrecisionCommand::mergeWith(const QUndoCommand* other) {
    const auto* next = static_cast<const PrecisionCommand*>(other);
    if (next->m_mergeKey != m_mergeKey || !next->m_calibration)
        return false;
    m_calibration->after = next->m_calibration->after;
    // Back where it started: the step did nothing and leaves the stack.
    setObsolete(m_calibration->after == m_calibration->before);
    return true;
}
