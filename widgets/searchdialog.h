// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "search.h"
#include "store/runstore.h"

#include <QDialog>

#include <array>
#include <optional>
#include <vector>

class HardwareProfileModel;
class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;

// Plan ▸ Search…: the budget (bits per weight, total bytes, or $ per 1,000 queries on a hardware
// profile) and its value, an optional limit on the predicted mean KLD, and an optional sweep of
// budgets whose plans draw the frontier on the trade-off plot.
class SearchDialog : public QDialog {
    Q_OBJECT
public:
    // `current` is the open plan's size, which the bytes budget starts from.
    SearchDialog(std::vector<cwb::HardwareProfile> profiles, const cwb::SizeSummary& current,
                 QWidget* parent = nullptr);

    void setBudget(cwb::BudgetKind kind, double value);
    cwb::BudgetKind kind() const;
    double value() const;
    // The profile a $ budget is priced on (null for the other kinds, or when there is none).
    const cwb::HardwareProfile* profile() const;
    void setProfile(const QString& name);
    void setMaxKld(std::optional<double> kld);
    std::optional<double> maxKld() const;
    // Budgets from, from + step, … to, in the budget's unit; setSweep({}) turns the sweep off.
    void setSweep(std::optional<std::array<double, 3>> fromToStep);
    std::vector<double> sweep() const;
    // Why Search is disabled (an empty string when it is not).
    QString problem() const;

    QComboBox* kindCombo() const { return m_kind; }
    QDoubleSpinBox* valueBox() const { return m_value; }

private:
    void configure(QDoubleSpinBox* box) const;
    void onKindChanged();
    void validate();

    std::vector<cwb::HardwareProfile> m_profiles;
    HardwareProfileModel* m_profileModel;
    QComboBox* m_kind;
    QDoubleSpinBox* m_value;
    QComboBox* m_profile;
    QCheckBox* m_limitKld;
    QDoubleSpinBox* m_maxKld;
    QCheckBox* m_sweep;
    QDoubleSpinBox* m_from;
    QDoubleSpinBox* m_to;
    QDoubleSpinBox* m_step;
    QLabel* m_problem;
    QDialogButtonBox* m_buttons;
    cwb::SizeSummary m_current;
};
