// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>

class HardwareProfileEditor;
class HardwareProfileModel;
class QLabel;
class QMessageBox;
class QPushButton;
class QTableView;
class RunLibrary;

// Tools ▸ Hardware Profiles…: the machines the cost model prices runs on, as the run store keeps
// them, to add, edit and remove (as `cwb hardware` does). Every change is written to the store at
// once; the list follows the library.
class HardwareDialog : public QDialog {
    Q_OBJECT
public:
    explicit HardwareDialog(RunLibrary* library, QWidget* parent = nullptr);

    HardwareProfileModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    // The editor Add… or Edit… opened, while it is open.
    HardwareProfileEditor* editor() const;
    // The confirmation Remove shows, while it is open.
    QMessageBox* removeConfirmation() const;
    // Selects the profile named `name`; returns whether there is one.
    bool selectProfile(const QString& name);

public slots:
    void reload();
    void addProfile();
    void editProfile();
    void removeProfile();

private:
    QString selectedName() const;
    void updateButtons();

    RunLibrary* m_library;
    HardwareProfileModel* m_model;
    QTableView* m_view;
    QLabel* m_note;
    QPushButton* m_add;
    QPushButton* m_edit;
    QPushButton* m_remove;
};
