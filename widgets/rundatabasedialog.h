// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>

class QLabel;
class QLineEdit;

// File ▸ Run Database…: which SQLite file the window keeps its runs in. The CLI's default unless
// another is chosen; $CWB_DB, when set, decides over both (the dialog says so). OK remembers the
// choice; the window then opens it.
class RunDatabaseDialog : public QDialog {
    Q_OBJECT
public:
    explicit RunDatabaseDialog(QWidget* parent = nullptr);

    // The file chosen, or empty for the default.
    QString chosenPath() const;
    void setPath(const QString& path);
    QLineEdit* pathEdit() const { return m_path; }

private:
    void browse();
    void updateNote();

    QLineEdit* m_path;
    QLabel* m_note;
};
