// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

class QMessageBox;
class QWidget;

// A warning box with a one-line reason. Window-modal but not blocking (open(), deleted on
// close), so no caller waits in a nested event loop and tests can find it with findChild.
QMessageBox* showErrorDialog(QWidget* parent, const QString& title, const QString& reason);
