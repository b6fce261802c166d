// SPDX-License-Identifier: GPL-3.0-or-later
#include "hardwaredialog.h"

#include "errordialog.h"
#include "hardwareprofileeditor.h"
#include "hardwareprofilemodel.h"
#include "runlibrary.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

HardwareDialog::HardwareDialog(RunLibrary* library, QWidget* parent)
    : QDialog(parent)
    , m_library(library)
    , m_model(new HardwareProfileModel(this))
    , m_view(new QTableView(this))
    , m_note(new QLabel(this))
    , m_add(new QPushButton(tr("&Add…"), this))
    , m_edit(new QPushButton(tr("&Edit…"), this))
    , m_remove(new QPushButton(tr("&Remove"), this)) {
    setObjectName(QStringLiteral("hardwareDialog"));
    setWindowTitle(tr("Hardware Profiles"));

    m_view->setObjectName(QStringLiteral("hardwareProfiles"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    QHeaderView* header = m_view->horizontalHeader();
    header->setHighlightSections(false);
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(HardwareProfileModel::Notes, QHeaderView::Stretch);
    connect(m_view, &QTableView::doubleClicked, this, &HardwareDialog::editProfile);

    m_note->setObjectName(QStringLiteral("hardwareNote"));
    m_note->setWordWrap(true);
    m_note->setText(tr("The cost panel prices each run on these machines. The profiles shipped "
                       "with Compression Workbench are examples dated 2026-11: replace their "
                       "prices with yours. Changes are saved in %1 at once.")
                        .arg(library->path()));

    m_add->setObjectName(QStringLiteral("addHardware"));
    m_edit->setObjectName(QStringLiteral("editHardware"));
    m_remove->setObjectName(QStringLiteral("removeHardware"));
    connect(m_add, &QPushButton::clicked, this, &HardwareDialog::addProfile);
    connect(m_edit, &QPushButton::clicked, this, &HardwareDialog::editProfile);
    connect(m_remove, &QPushButton::clicked, this, &HardwareDialog::removeProfile);
    auto* close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_add);
    buttons->addWidget(m_edit);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    buttons->addWidget(close);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_note);
    layout->addLayout(buttons);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &HardwareDialog::updateButtons);
    connect(m_library, &RunLibrary::hardwareChanged, this, &HardwareDialog::reload);
    reload();
    resize(960, 420);
}

void HardwareDialog::reload() {
    const QString selected = selectedName();
    auto profiles = m_library->hardwareProfiles();
    m_model->setProfiles(profiles ? std::move(profiles.value())
                                  : std::vector<cwb::HardwareProfile>{});
    if (!profiles)
        m_note->setText(profiles.error().message);
    selectProfile(selected);
    updateButtons();
}

bool HardwareDialog::selectProfile(const QString& name) {
    const int row = m_model->rowOf(name);
    if (row < 0)
        return false;
    m_view->selectionModel()->setCurrentIndex(
        m_model->index(row, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    return true;
}

QString HardwareDialog::selectedName() const {
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    const cwb::HardwareProfile* p = rows.isEmpty() ? nullptr : m_model->profileAt(rows[0].row());
    return p ? p->name : QString();
}

void HardwareDialog::updateButtons() {
    const bool writable = m_library->canRecord();
    const bool selected = !selectedName().isEmpty();
    m_add->setEnabled(writable);
    m_edit->setEnabled(writable && selected);
    m_remove->setEnabled(writable && selected);
}

HardwareProfileEditor* HardwareDialog::editor() const {
    return findChild<HardwareProfileEditor*>(QStringLiteral("hardwareProfileEditor"));
}

QMessageBox* HardwareDialog::removeConfirmation() const {
    return findChild<QMessageBox*>(QStringLiteral("removeHardwareDialog"));
}

void HardwareDialog::addProfile() {
    if (editor() || !m_library->canRecord())
        return;
    QStringList names;
    for (const cwb::HardwareProfile& p : m_model->profiles())
        names << p.name;
    cwb::HardwareProfile fresh;
    fresh.name.clear();
    auto* dialog = new HardwareProfileEditor(
        fresh, names,
        [this](const cwb::HardwareProfile& p) {
            auto added = m_library->addHardware(p);
            if (added)
                selectProfile(p.name);
            return added;
        },
        this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::finished, dialog, [dialog] { dialog->setObjectName({}); });
    dialog->open();
}

void HardwareDialog::editProfile() {
    const cwb::HardwareProfile* p = m_model->profileAt(m_model->rowOf(selectedName()));
    if (!p || editor() || !m_library->canRecord())
        return;
    auto* dialog = new HardwareProfileEditor(
        *p, {},
        [this](const cwb::HardwareProfile& edited) { return m_library->updateHardware(edited); },
        this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::finished, dialog, [dialog] { dialog->setObjectName({}); });
    dialog->open();
}

void HardwareDialog::removeProfile() {
    const QString name = selectedName();
    if (name.isEmpty() || removeConfirmation() || !m_library->canRecord())
        return;
    auto* box =
        new QMessageBox(QMessageBox::Question, tr("Remove Hardware Profile"),
                        tr("Remove “%1”? The cost panel stops pricing runs on it.").arg(name),
                        QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("removeHardwareDialog"));
    box->button(QMessageBox::Yes)->setText(tr("Remove"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, name](int result) {
        box->setObjectName({});
        if (result != QMessageBox::Yes)
            return;
        if (auto removed = m_library->removeHardware(name); !removed)
            showErrorDialog(this, tr("Cannot Remove “%1”").arg(name), removed.error().message);
    });
    box->open();
}
