// SPDX-License-Identifier: GPL-3.0-or-later
#include "searchdialog.h"

#include "hardwareprofilemodel.h"
#include "tooltip.h"

#include "modelsummary.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace {

constexpr int kMostSweepSteps = 200; // as `cwb search --sweep` allows

QDoubleSpinBox* spinBox(QWidget* parent, const char* name) {
    auto* box = new QDoubleSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setKeyboardTracking(false);
    box->setAccelerated(true);
    return box;
}

} // namespace

SearchDialog::SearchDialog(std::vector<cwb::HardwareProfile> profiles,
                           const cwb::SizeSummary& current, QWidget* parent)
    : QDialog(parent)
    , m_profiles(std::move(profiles))
    , m_profileModel(new HardwareProfileModel(this))
    , m_kind(new QComboBox(this))
    , m_value(spinBox(this, "budgetValue"))
    , m_profile(new QComboBox(this))
    , m_limitKld(new QCheckBox(tr("Mean KLD at most"), this))
    , m_maxKld(spinBox(this, "maxKld"))
    , m_sweep(new QCheckBox(tr("Budgets from"), this))
    , m_from(spinBox(this, "sweepFrom"))
    , m_to(spinBox(this, "sweepTo"))
    , m_step(spinBox(this, "sweepStep"))
    , m_problem(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
    , m_current(current) {
    setObjectName(QStringLiteral("searchDialog"));
    setWindowTitle(tr("Search a Plan"));

    auto* intro = new QLabel(
        tr("Finds the precision of every matrix with the least predicted loss within a budget, "
           "from each tensor's sensitivity on the evaluation text (measured once, then read "
           "back), evaluates the plan found, records it as a run and applies it to the table."),
        this);
    intro->setWordWrap(true);

    m_kind->setObjectName(QStringLiteral("budgetKind"));
    m_kind->addItem(tr("Bits per weight"), int(cwb::BudgetKind::BitsPerWeight));
    m_kind->addItem(tr("Total bytes"), int(cwb::BudgetKind::Bytes));
    m_kind->addItem(tr("$ per 1,000 queries"), int(cwb::BudgetKind::DollarsPer1000Queries));
    m_kind->setToolTip(wrappedToolTip(
        tr("Bits per weight of the matrices, scales included; the model's total size; or what "
           "serving 1,000 queries costs on a hardware profile, with the Cost dock's workload")));
    auto* budgetRow = new QHBoxLayout;
    budgetRow->addWidget(m_kind);
    budgetRow->addWidget(m_value, 1);

    m_profileModel->setProfiles(m_profiles);
    m_profile->setObjectName(QStringLiteral("budgetProfile"));
    m_profile->setModel(m_profileModel);
    m_profile->setModelColumn(HardwareProfileModel::Name);
    m_profile->setToolTip(tr("The machine a $ budget is priced on (Tools ▸ Hardware Profiles…)"));

    m_limitKld->setObjectName(QStringLiteral("limitKld"));
    m_limitKld->setToolTip(wrappedToolTip(
        tr("Refuse the plan unless its predicted mean KLD against FP32 (the joint loss model: its "
           "tensors' own losses summed and their logit shifts summed, weighted as probe plans "
           "measured) is at most this")));
    m_maxKld->setDecimals(5);
    m_maxKld->setRange(0.00001, 100);
    m_maxKld->setSingleStep(0.001);
    m_maxKld->setValue(0.05);
    auto* kldRow = new QHBoxLayout;
    kldRow->addWidget(m_limitKld);
    kldRow->addWidget(m_maxKld, 1);

    m_sweep->setObjectName(QStringLiteral("sweep"));
    m_sweep->setToolTip(wrappedToolTip(
        tr("Also search, evaluate and record the best plan at each of these budgets: their runs "
           "draw the frontier of best plans on the trade-off plot")));
    auto* sweepRow = new QHBoxLayout;
    sweepRow->addWidget(m_sweep);
    sweepRow->addWidget(m_from, 1);
    sweepRow->addWidget(new QLabel(tr("to"), this));
    sweepRow->addWidget(m_to, 1);
    sweepRow->addWidget(new QLabel(tr("step"), this));
    sweepRow->addWidget(m_step, 1);

    auto* form = new QFormLayout;
    form->addRow(tr("Budget:"), budgetRow);
    form->addRow(tr("Hardware:"), m_profile);
    form->addRow(tr("Quality:"), kldRow);
    form->addRow(tr("Sweep:"), sweepRow);

    m_problem->setObjectName(QStringLiteral("searchProblem"));
    m_problem->setWordWrap(true);
    QPushButton* search = m_buttons->addButton(tr("&Search"), QDialogButtonBox::AcceptRole);
    search->setObjectName(QStringLiteral("searchButton"));
    search->setDefault(true);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addStretch(1);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &SearchDialog::onKindChanged);
    for (QDoubleSpinBox* box : {m_value, m_maxKld, m_from, m_to, m_step})
        connect(box, &QDoubleSpinBox::valueChanged, this, &SearchDialog::validate);
    for (QCheckBox* box : {m_limitKld, m_sweep})
        connect(box, &QCheckBox::toggled, this, &SearchDialog::validate);
    connect(m_profile, &QComboBox::currentIndexChanged, this, &SearchDialog::validate);
    setBudget(cwb::BudgetKind::BitsPerWeight, 4.5);
    setMinimumWidth(520);
}

void SearchDialog::configure(QDoubleSpinBox* box) const {
    switch (kind()) {
    case cwb::BudgetKind::BitsPerWeight:
        box->setPrefix({});
        box->setSuffix(tr(" bpw"));
        box->setDecimals(2);
        box->setRange(0.01, 64);
        box->setSingleStep(0.25);
        break;
    case cwb::BudgetKind::Bytes:
        box->setPrefix({});
        box->setSuffix(tr(" bytes"));
        box->setDecimals(0);
        box->setRange(1, 1e15);
        box->setSingleStep(std::max(1.0, std::round(double(m_current.totalBytes) / 100)));
        break;
    case cwb::BudgetKind::DollarsPer1000Queries:
        box->setPrefix(QStringLiteral("$"));
        box->setSuffix({});
        box->setDecimals(5);
        box->setRange(0.00001, 1e6);
        box->setSingleStep(0.001);
        break;
    }
}

void SearchDialog::onKindChanged() {
    for (QDoubleSpinBox* box : {m_value, m_from, m_to, m_step})
        configure(box);
    // Starting points in the new unit: around the int4 plans for bits, the open plan's size for
    // bytes.
    switch (kind()) {
    case cwb::BudgetKind::BitsPerWeight:
        m_value->setValue(4.5);
        m_from->setValue(3);
        m_to->setValue(8);
        m_step->setValue(0.5);
        break;
    case cwb::BudgetKind::Bytes: {
        const double total = double(m_current.totalBytes);
        m_value->setValue(std::round(total * 0.3));
        m_from->setValue(std::round(total * 0.15));
        m_to->setValue(std::round(total * 0.5));
        m_step->setValue(std::round(total * 0.05));
        break;
    }
    case cwb::BudgetKind::DollarsPer1000Queries:
        m_value->setValue(0.01);
        m_from->setValue(0.005);
        m_to->setValue(0.02);
        m_step->setValue(0.005);
        break;
    }
    m_profile->setEnabled(kind() == cwb::BudgetKind::DollarsPer1000Queries);
    validate();
}

void SearchDialog::setBudget(cwb::BudgetKind kind, double value) {
    const int index = m_kind->findData(int(kind));
    if (m_kind->currentIndex() == index)
        onKindChanged();
    else
        m_kind->setCurrentIndex(index);
    m_value->setValue(value);
}

cwb::BudgetKind SearchDialog::kind() const {
    return cwb::BudgetKind(m_kind->currentData().toInt());
}

double SearchDialog::value() const {
    return m_value->value();
}

const cwb::HardwareProfile* SearchDialog::profile() const {
    if (kind() != cwb::BudgetKind::DollarsPer1000Queries)
        return nullptr;
    return m_profileModel->profileAt(m_profile->currentIndex());
}

void SearchDialog::setProfile(const QString& name) {
    m_profile->setCurrentIndex(m_profileModel->rowOf(name));
}

void SearchDialog::setMaxKld(std::optional<double> kld) {
    m_limitKld->setChecked(kld.has_value());
    if (kld)
        m_maxKld->setValue(*kld);
}

std::optional<double> SearchDialog::maxKld() const {
    if (!m_limitKld->isChecked())
        return std::nullopt;
    return m_maxKld->value();
}

void SearchDialog::setSweep(std::optional<std::array<double, 3>> fromToStep) {
    m_sweep->setChecked(fromToStep.has_value());
    if (!fromToStep)
        return;
    m_from->setValue((*fromToStep)[0]);
    m_to->setValue((*fromToStep)[1]);
    m_step->setValue((*fromToStep)[2]);
}

std::vector<double> SearchDialog::sweep() const {
    std::vector<double> values;
    if (!m_sweep->isChecked() || !problem().isEmpty())
        return values;
    const double from = m_from->value();
    const double step = m_step->value();
    for (int i = 0; from + i * step <= m_to->value() * (1 + 1e-12); ++i)
        values.push_back(from + i * step);
    return values;
}

QString SearchDialog::problem() const {
    if (kind() == cwb::BudgetKind::DollarsPer1000Queries && m_profile->currentIndex() < 0)
        return tr("A $ budget needs a hardware profile: add one under Tools ▸ Hardware "
                  "Profiles…");
    if (m_sweep->isChecked()) {
        if (m_to->value() < m_from->value())
            return tr("The sweep ends below where it starts.");
        if ((m_to->value() - m_from->value()) / m_step->value() > kMostSweepSteps)
            return tr("The sweep has more than %1 budgets: take a larger step.")
                .arg(kMostSweepSteps);
    }
    return {};
}

void SearchDialog::validate() {
    const QString why = problem();
    m_problem->setText(why);
    m_problem->setVisible(!why.isEmpty());
    for (QDoubleSpinBox* box : {m_from, m_to, m_step})
        box->setEnabled(m_sweep->isChecked());
    m_maxKld->setEnabled(m_limitKld->isChecked());
    if (QPushButton* search = findChild<QPushButton*>(QStringLiteral("searchButton")))
        search->setEnabled(why.isEmpty());
}
