// SPDX-License-Identifier: GPL-3.0-or-later
#include "rundatabasedialog.h"

#include "rundatabaselocation.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

RunDatabaseDialog::RunDatabaseDialog(QWidget* parent)
    : QDialog(parent)
    , m_path(new QLineEdit(this))
    , m_note(new QLabel(this)) {
    setObjectName(QStringLiteral("runDatabaseDialog"));
    setWindowTitle(tr("Run Database"));
    m_path->setObjectName(QStringLiteral("runDatabasePath"));
    m_path->setPlaceholderText(QDir::toNativeSeparators(RunDatabaseLocation::defaultPath()));
    m_path->setClearButtonEnabled(true);
    const QString chosen = RunDatabaseLocation::chosenPath();
    m_path->setText(QDir::toNativeSeparators(chosen));
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, &RunDatabaseDialog::browse);
    auto* useDefault = new QPushButton(tr("Use the Default"), this);
    useDefault->setObjectName(QStringLiteral("useDefaultDatabase"));
    useDefault->setToolTip(
        tr("The file `cwb` uses when given no --db: %1").arg(RunDatabaseLocation::defaultPath()));
    connect(useDefault, &QPushButton::clicked, m_path, &QLineEdit::clear);
    connect(m_path, &QLineEdit::textChanged, this, &RunDatabaseDialog::updateNote);

    m_note->setObjectName(QStringLiteral("runDatabaseNote"));
    m_note->setWordWrap(true);

    auto* row = new QHBoxLayout;
    row->addWidget(m_path, 1);
    row->addWidget(browse);
    row->addWidget(useDefault);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Every evaluation and calibration is kept as a run in this "
                                    "SQLite file, which `cwb --db FILE` reads too. A new file "
                                    "is created when first used."),
                                 this));
    layout->addLayout(row);
    layout->addWidget(m_note);
    layout->addWidget(buttons);
    updateNote();
    setMinimumWidth(620);
}

QString RunDatabaseDialog::chosenPath() const {
    const QString path = QDir::fromNativeSeparators(m_path->text().trimmed());
    return path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath();
}

void RunDatabaseDialog::setPath(const QString& path) {
    m_path->setText(QDir::toNativeSeparators(path));
}

void RunDatabaseDialog::browse() {
    const QString start =
        chosenPath().isEmpty() ? RunDatabaseLocation::defaultPath() : chosenPath();
    // A file to open or to create: the save dialog allows both, without asking to replace.
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Choose the Run Database"), start,
                                     tr("SQLite databases (*.sqlite *.db);;All files (*)"), nullptr,
                                     QFileDialog::DontConfirmOverwrite);
    if (!path.isEmpty())
        setPath(path);
}

void RunDatabaseDialog::updateNote() {
    QString note;
    if (RunDatabaseLocation::isFromEnvironment())
        note = tr("CWB_DB is set (%1): it decides while it is set, and this choice applies when "
                  "it is not.")
                   .arg(qEnvironmentVariable("CWB_DB"));
    else if (chosenPath().isEmpty())
        note = tr("Runs go to the default file, shared with `cwb`.");
    else
        note = tr("Runs go to this file; `cwb` uses it with --db %1.").arg(chosenPath());
    m_note->setText(note);
}
