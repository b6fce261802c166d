// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/runstore.h"

#include <QDialog>

#include <functional>

class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;

// Adds or edits one hardware profile: every field the cost model uses, checked as it is typed
// (a name, not taken; memory, bandwidth and both peaks above zero; a price not below zero). OK
// saves through `save` and closes; if the store refuses, its reason stays shown and the dialog
// stays open. A profile is found by its name, so an edited profile keeps it.
class HardwareProfileEditor : public QDialog {
    Q_OBJECT
public:
    using Save = std::function<cwb::Result<void>(const cwb::HardwareProfile&)>;

    // `existing`: the names already taken. Editing when `profile` has a name.
    HardwareProfileEditor(const cwb::HardwareProfile& profile, const QStringList& existing,
                          Save save, QWidget* parent = nullptr);

    cwb::HardwareProfile profile() const;
    // Why OK is disabled; empty when the fields are valid.
    QString problem() const;

    void accept() override;

private:
    void validate();
    QDoubleSpinBox* addNumber(const QString& objectName, const QString& suffix, double value,
                              const QString& toolTip);

    cwb::HardwareProfile m_original;
    QStringList m_existing;
    Save m_save;
    bool m_editing;
    QLineEdit* m_name;
    QComboBox* m_kind;
    QDoubleSpinBox* m_memory;
    QDoubleSpinBox* m_bandwidth;
    QDoubleSpinBox* m_int8;
    QDoubleSpinBox* m_fp16;
    QDoubleSpinBox* m_price;
    QLineEdit* m_notes;
    QLabel* m_problem;
    QDialogButtonBox* m_buttons;
};
