// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plan.h"
#include "precision.h"

#include <QJsonObject>
#include <QUndoCommand>

#include <optional>
#include <vector>

class PrecisionPlanModel;

// One tensor's precision and method before and after an edit, by its row in the plan model. The
// method is the one the tensor names for itself; none means it follows the plan's default method.
struct PrecisionChange {
    int row = -1;
    cwb::PrecisionId before = cwb::PrecisionId::Fp32;
    cwb::PrecisionId after = cwb::PrecisionId::Fp32;
    std::optional<cwb::QuantMethod> methodBefore;
    std::optional<cwb::QuantMethod> methodAfter;
};

// The plan's calibration settings (default method, SmoothQuant α, GPTQ options) before and after.
struct CalibrationChange {
    QJsonObject before;
    QJsonObject after;
};

// An edit of the plan as one undo step: any number of tensors' precisions and methods, and the
// plan's calibration settings. A multi-row change, a preset or a loaded plan is undone as the
// user made it, in one go. It stores both sides of each change, so undo restores exactly what
// was there rather than recomputing it.
class PrecisionCommand : public QUndoCommand {
public:
    PrecisionCommand(PrecisionPlanModel* model, std::vector<PrecisionChange> changes,
                     std::optional<CalibrationChange> calibration, const QString& text);

    void undo() override;
    void redo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand* other) override;

    // Consecutive changes of one calibration setting with the same key merge into one step: a
    // spin box reports every value it passes through.
    void setMergeKey(const QString& key) { m_mergeKey = key; }

    const std::vector<PrecisionChange>& changes() const { return m_changes; }
    const std::optional<CalibrationChange>& calibration() const { return m_calibration; }

private:
    PrecisionPlanModel* m_model;
    std::vector<PrecisionChange> m_changes;
    std::optional<CalibrationChange> m_calibration;
    QString m_mergeKey;
};
