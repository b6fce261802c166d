// SPDX-License-Identifier: GPL-3.0-or-later
#include "hardwareprofileeditor.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

HardwareProfileEditor::HardwareProfileEditor(const cwb::HardwareProfile& profile,
                                             const QStringList& existing, Save save,
                                             QWidget* parent)
    : QDialog(parent)
    , m_original(profile)
    , m_existing(existing)
    , m_save(std::move(save))
    , m_editing(!profile.name.isEmpty())
    , m_name(new QLineEdit(profile.name, this))
    , m_kind(new QComboBox(this))
    , m_notes(new QLineEdit(profile.notes, this))
    , m_problem(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this)) {
    setObjectName(QStringLiteral("hardwareProfileEditor"));
    setWindowTitle(m_editing ? tr("Edit Hardware Profile") : tr("Add Hardware Profile"));

    auto* form = new QFormLayout;
    m_name->setObjectName(QStringLiteral("hardwareName"));
    m_name->setPlaceholderText(tr("e.g. Cloud CPU, 32 vCPU, 128 GiB"));
    if (m_editing) {
        m_name->setReadOnly(true);
        m_name->setToolTip(tr("A profile is known by its name: to rename one, add it anew and "
                              "remove the old one"));
    }
    form->addRow(tr("&Name:"), m_name);
    m_kind->setObjectName(QStringLiteral("hardwareKind"));
    m_kind->addItem(tr("CPU"), QStringLiteral("cpu"));
    m_kind->addItem(tr("GPU"), QStringLiteral("gpu"));
    m_kind->setCurrentIndex(std::max(0, m_kind->findData(profile.kind)));
    form->addRow(tr("&Kind:"), m_kind);
    m_memory = addNumber(QStringLiteral("hardwareMemory"), tr(" GiB"), profile.memoryGiB,
                         tr("Memory the model, its KV cache and the runtime must fit in"));
    form->addRow(tr("&Memory:"), m_memory);
    m_bandwidth = addNumber(QStringLiteral("hardwareBandwidth"), tr(" GB/s"), profile.bandwidthGBs,
                            tr("Memory bandwidth, which decoding one token at a time is bound by"));
    form->addRow(tr("&Bandwidth:"), m_bandwidth);
    m_int8 = addNumber(QStringLiteral("hardwareInt8"), tr(" TOPS"), profile.int8Tops,
                       tr("Dense int8 peak in tera-operations per second (no sparsity)"));
    form->addRow(tr("&INT8 peak:"), m_int8);
    m_fp16 = addNumber(QStringLiteral("hardwareFp16"), tr(" TFLOPS"), profile.fp16Tflops,
                       tr("Dense fp16 peak in tera-FLOPs per second (no sparsity)"));
    form->addRow(tr("&FP16 peak:"), m_fp16);
    m_price = addNumber(QStringLiteral("hardwarePrice"), {}, profile.pricePerHour,
                        tr("What an hour of this machine costs, in dollars"));
    m_price->setPrefix(QStringLiteral("$"));
    m_price->setSuffix(tr(" / hour"));
    m_price->setDecimals(4);
    form->addRow(tr("&Price:"), m_price);
    m_notes->setObjectName(QStringLiteral("hardwareNotes"));
    m_notes->setPlaceholderText(tr("where the figures come from, the date of the price"));
    form->addRow(tr("N&otes:"), m_notes);

    m_problem->setObjectName(QStringLiteral("hardwareProblem"));
    m_problem->setStyleSheet(QStringLiteral("color: #b71c1c;"));
    m_problem->setWordWrap(true);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_name, &QLineEdit::textChanged, this, &HardwareProfileEditor::validate);
    for (QDoubleSpinBox* box : {m_memory, m_bandwidth, m_int8, m_fp16, m_price})
        connect(box, &QDoubleSpinBox::valueChanged, this, &HardwareProfileEditor::validate);
    validate();
    setMinimumWidth(420);
}

QDoubleSpinBox* HardwareProfileEditor::addNumber(const QString& objectName, const QString& suffix,
                                                 double value, const QString& toolTip) {
    auto* box = new QDoubleSpinBox(this);
    box->setObjectName(objectName);
    box->setRange(0, 1e7);
    box->setDecimals(2);
    box->setSuffix(suffix);
    box->setValue(value);
    box->setToolTip(toolTip);
    box->setAlignment(Qt::AlignRight);
    return box;
}

cwb::HardwareProfile HardwareProfileEditor::profile() const {
    cwb::HardwareProfile p = m_original;
    p.name = m_name->text().trimmed();
    p.kind = m_kind->currentData().toString();
    p.memoryGiB = m_memory->value();
    p.bandwidthGBs = m_bandwidth->value();
    p.int8Tops = m_int8->value();
    p.fp16Tflops = m_fp16->value();
    p.pricePerHour = m_price->value();
    p.notes = m_notes->text().trimmed();
    return p;
}

QString HardwareProfileEditor::problem() const {
    const cwb::HardwareProfile p = profile();
    if (p.name.isEmpty())
        return tr("Give the profile a name.");
    if (!m_editing && m_existing.contains(p.name))
        return tr("There is a profile named “%1” already.").arg(p.name);
    if (!(p.memoryGiB > 0))
        return tr("The memory must be more than zero.");
    if (!(p.bandwidthGBs > 0))
        return tr("The bandwidth must be more than zero.");
    if (!(p.int8Tops > 0) || !(p.fp16Tflops > 0))
        return tr("Both peaks must be more than zero.");
    return {};
}

void HardwareProfileEditor::validate() {
    const QString why = problem();
    m_problem->setText(why);
    m_problem->setVisible(!why.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(why.isEmpty());
}

void HardwareProfileEditor::accept() {
    if (!problem().isEmpty())
        return;
    if (m_save) {
        if (auto saved = m_save(profile()); !saved) {
            m_problem->setText(saved.error().message);
            m_problem->setVisible(true);
            return;
        }
    }
    QDialog::accept();
}
