// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class JobListModel;
class JobRunner;
class QLabel;
class QToolButton;
class QTreeView;

// Every running or queued job of the runner: its name, stage, a progress bar, the time it has
// run and a Cancel button; "Cancel All" under them.
class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(JobRunner* runner, QWidget* parent = nullptr);

    JobListModel* model() const { return m_model; }
    QTreeView* view() const { return m_view; }
    // The Cancel button of the job in `row`.
    QToolButton* cancelButton(int row) const;

private:
    void rebuildButtons();

    JobRunner* m_runner;
    JobListModel* m_model;
    QTreeView* m_view;
    QLabel* m_empty;
    QToolButton* m_cancelAll;
};
