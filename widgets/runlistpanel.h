// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QWidget>

class QAction;
class QCheckBox;
class QLabel;
class QLineEdit;
class QMessageBox;
class QTableView;
class RunLibrary;
class RunListModel;
class RunListProxy;
class WarningStrip;

// The Runs dock: every run in the window's run database, sortable by any column, filtered by a
// text and, if asked, to the open model's runs. Double-click or Open Plan puts a run's plan in
// the tensor table; Compare shows two runs side by side; Delete removes runs after asking. The
// list is read again whenever the library says the runs changed.
class RunListPanel : public QWidget {
    Q_OBJECT
public:
    explicit RunListPanel(RunLibrary* library, QWidget* parent = nullptr);

    // The open model, for "This model only": its path as runs record it, and its sha256 once
    // known (empty until then).
    void setModelIdentity(const QString& path, const QString& sha256);

    // The run the user is looking at, or 0; and every selected run, in the view's order.
    qint64 currentRun() const;
    QList<qint64> selectedRuns() const;
    // Makes run `id` current and the only one selected, showing it (turning the filters off if
    // they hide it). Returns whether the list has it.
    bool selectRun(qint64 id);
    // Selects exactly these runs (for Compare from elsewhere); the first is current.
    void selectRuns(const QList<qint64>& ids);

    RunListModel* model() const { return m_model; }
    RunListProxy* proxy() const { return m_proxy; }
    QTableView* view() const { return m_view; }
    QLineEdit* filterEdit() const { return m_filter; }
    QCheckBox* thisModelOnlyBox() const { return m_thisModelOnly; }
    QAction* openPlanAction() const { return m_openPlan; }
    QAction* compareAction() const { return m_compare; }
    QAction* deleteAction() const { return m_delete; }
    QAction* exportReportAction() const { return m_exportReport; }
    // The confirmation Delete shows, while it is open.
    QMessageBox* deleteConfirmation() const;
    QString statusText() const;

public slots:
    // Reads the runs again, keeping the selection.
    void refresh();
    // Asks, then deletes the selected runs.
    void deleteSelected();

signals:
    void currentRunChanged(qint64 id);
    void selectionChanged(const QList<qint64>& ids);
    void planRequested(qint64 id);
    void compareRequested(qint64 a, qint64 b);
    // A report of `run`, compared with `baseline` (0: the run's own FP32 figures).
    void reportRequested(qint64 run, qint64 baseline);

private:
    void createActions();
    void showContextMenu(const QPoint& at);
    void updateActions();
    void updateStatus();
    void onCurrentChanged();

    RunLibrary* m_library;
    RunListModel* m_model;
    RunListProxy* m_proxy;
    WarningStrip* m_problem;
    QLineEdit* m_filter;
    QCheckBox* m_thisModelOnly;
    QTableView* m_view;
    QLabel* m_status;
    QAction* m_openPlan = nullptr;
    QAction* m_compare = nullptr;
    QAction* m_delete = nullptr;
    QAction* m_exportReport = nullptr;
    qint64 m_lastCurrent = 0;
};
