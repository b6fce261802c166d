// SPDX-License-Identifier: GPL-3.0-or-later
#include "errordialog.h"

#include <QMessageBox>

QMessageBox* showErrorDialog(QWidget* parent, const QString& title, const QString& reason) {
    // Core reasons are one line already; this keeps a stray newline from a file name or an OS
    // message from turning the box into a wall of text.
    const QString line = reason.simplified();
    auto* box = new QMessageBox(QMessageBox::Warning, title, line, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("errorDialog"));
    box->open();
    return box;
}
