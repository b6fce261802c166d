// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plan.h"
#include "precisioncommand.h"

#include <QAbstractListModel>
#include <QJsonObject>

#include <memory>
#include <optional>
#include <vector>

class QUndoStack;

// The plan being edited: the precision and the quantization method chosen for each tensor of the
// loaded model, one row per tensor in the model's order (the tensor table's order too), and the
// plan's calibration settings. Every change is one command on the undo stack, so a multi-row
// edit, a preset or a loaded plan is undone in one step.
//
// A tensor's method is either its own or the plan's default method (the "method" of the
// calibration settings), as a plan file's rules and calibration object say it.
class PrecisionPlanModel : public QAbstractListModel {
    Q_OBJECT
public:
    // Clear of the tensor table's own SortRole: the table forwards these for its Precision and
    // Method columns.
    enum Role {
        PrecisionRole = Qt::UserRole + 100, // int(cwb::PrecisionId)
        QuantizableRole,                    // bool: 2-D weight matrices only
        NameRole,                           // the tensor's canonical name
        MethodRole,         // int(cwb::QuantMethod) the tensor is quantized with; set: a method
                            // name, or "default" (or -1) to follow the plan's default
        ExplicitMethodRole, // bool: the tensor names its method rather than following the default
        DefaultMethodRole,  // int(cwb::QuantMethod): the plan's default method
    };

    explicit PrecisionPlanModel(QObject* parent = nullptr);
    ~PrecisionPlanModel() override;

    // Starts a new plan for `model`: every tensor f32 and rtn, no name, no calibration settings,
    // the undo history empty (its commands name rows of the previous model).
    void setModel(std::shared_ptr<const cwb::Model> model);
    const std::shared_ptr<const cwb::Model>& model() const { return m_model; }

    const std::vector<cwb::TensorChoice>& choices() const { return m_choices; }
    cwb::PrecisionId precision(int row) const;
    // The method the tensor is quantized with: its own, or the plan's default.
    cwb::QuantMethod method(int row) const;
    std::optional<cwb::QuantMethod> explicitMethod(int row) const;
    bool isQuantizable(int row) const;
    int rowOf(const QString& tensorName) const;
    bool isAllFp32() const;
    // Whether evaluating the plan needs calibration statistics (a method other than rtn on a
    // quantized tensor).
    bool needsCalibration() const;

    // Gives the quantizable tensors among `rows` `precision`, as one undo step. Norms and other
    // 1-D tensors are skipped: they stay f32. Returns false, pushing nothing, if nothing changes.
    bool setPrecision(const QList<int>& rows, cwb::PrecisionId precision);
    // Gives the quantizable tensors among `rows` `method` (none: the plan's default), as one
    // undo step. Returns false, pushing nothing, if nothing changes.
    bool setMethod(const QList<int>& rows, std::optional<cwb::QuantMethod> method);

    // The plan's "calibration" object: "method" (the default method), "smoothquant_alpha" (a
    // number or "search"), "gptq_damping", "gptq_act_order"; only the keys set are present.
    QJsonObject calibrationSettings() const { return m_calibration; }
    cwb::QuantMethod defaultMethod() const;
    cwb::MethodOptions methodOptions() const;
    // Replaces the calibration settings as one undo step named `text`; consecutive calls with
    // the same non-empty `mergeKey` are one step. Returns false if nothing changes.
    bool setCalibrationSettings(const QJsonObject& settings, const QString& text,
                                const QString& mergeKey = {});

    // Gives every tensor the precision `plan` resolves to, as one undo step named `commandText`;
    // methods and calibration settings stay (a preset is about precisions). Returns the
    // resolution, whose warnings name the rules that match no tensor.
    cwb::ResolvedPlan applyPlan(const cwb::Plan& plan, const QString& commandText);
    // Gives every tensor what a plan read from a file resolves to, precisions and methods, and
    // takes its calibration settings, as one undo step. Its name becomes the plan's name, and its
    // rules are what plan() returns for as long as the choices are what it gives.
    cwb::ResolvedPlan loadPlan(const cwb::Plan& plan, const QString& fallbackName);

    QString name() const { return m_name; }
    void setName(const QString& name);

    // The plan to save or evaluate, with the calibration settings. A loaded plan whose choices
    // are untouched is returned as written, its expressions intact; otherwise the smallest plan
    // that gives each tensor its precision and method.
    cwb::Plan plan() const;
    // Exact size of the choices, as sizeOf() counts it.
    cwb::SizeSummary size() const;

    QUndoStack* undoStack() const { return m_undo; }

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

signals:
    // After any change of the choices (precisions or methods), by an edit, an undo, a redo or a
    // new model.
    void choicesChanged();
    void calibrationSettingsChanged();
    void nameChanged(const QString& name);

private:
    friend class PrecisionCommand;
    // What an edit leads to: per row, the precision and the tensor's own method; the settings.
    struct Target {
        std::vector<cwb::PrecisionId> precisions;
        std::vector<std::optional<cwb::QuantMethod>> methods;
        QJsonObject calibration;
    };
    Target current() const;
    bool push(const Target& target, const QString& text, const QString& mergeKey = {});
    void assign(const std::vector<PrecisionChange>& changes,
                const std::optional<CalibrationChange>& calibration, bool forward);
    void updateMethods();
    bool choicesMatch(const cwb::Plan& plan) const;
    cwb::Plan minimalPlan() const;

    std::shared_ptr<const cwb::Model> m_model;
    std::vector<cwb::TensorChoice> m_choices;               // .method: the method in effect
    std::vector<std::optional<cwb::QuantMethod>> m_methods; // the tensors' own methods
    QJsonObject m_calibration;
    QString m_name;
    std::optional<cwb::Plan> m_loaded; // the last plan read from a file, as written
    QUndoStack* m_undo;
};
