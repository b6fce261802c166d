// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "searchdialog.h"
#include "sensitivityanalysis.h"

#include <QObject>
#include <QPointer>

#include <memory>
#include <optional>

class MainWindow;
class QAction;
class QMenu;

// Plan ▸ Run Sensitivity and Plan ▸ Search…: what they read from the window (the evaluation
// panel's text and settings, the calibration panel's statistics with the plan's method), the
// jobs that run them, and where their results go: the layer map and the tensor table's
// Sensitivity column, and for a search the plan itself (one undo step), its reasons, its
// evaluation and its recorded run.
class AnalysisActions : public QObject {
    Q_OBJECT
public:
    explicit AnalysisActions(MainWindow* window);

    void addTo(QMenu* menu);
    // A new model: a running job is cancelled and the column cleared.
    void setModel(const std::shared_ptr<const cwb::Model>& model);

    // Starts measuring; returns whether it started (a model is open and no analysis runs).
    bool runSensitivity();
    // Non-modal; its Search starts search() with requestOf() it.
    SearchDialog* showSearchDialog();
    SearchDialog* searchDialog() const { return m_dialog; }
    // The request the dialog describes; a $ budget is priced with the Cost dock's workload and
    // this machine's measured efficiency. nullopt, after a dialog saying why, when it cannot be.
    std::optional<SearchRequest> requestOf(const SearchDialog& dialog);
    bool search(const SearchRequest& request);
    void cancel();
    bool isRunning() const { return m_analysis->isRunning(); }

    SensitivityAnalysis* analysis() const { return m_analysis; }
    QAction* sensitivityAction() const { return m_sensitivityAction; }
    QAction* searchAction() const { return m_searchAction; }
    // The last search applied to the plan.
    const std::optional<SearchOutcome>& lastSearch() const { return m_lastSearch; }

signals:
    void runningChanged(bool running);
    // The results of a measurement or a search are shown.
    void sensitivityShown();
    void searchApplied();

private:
    AnalysisInputs inputs(QString* note) const;
    void showSensitivity(std::shared_ptr<const cwb::SensitivityResult> result);
    void onMeasured(const cwb::SensitivityResult& result, qint64 runId);
    void onSearched(const SearchOutcome& outcome);
    void onFailed(const QString& what, const cwb::Error& error);
    void updateActions();

    MainWindow* m_window;
    SensitivityAnalysis* m_analysis;
    std::shared_ptr<const cwb::Model> m_model;
    std::shared_ptr<const cwb::Model> m_jobModel; // the model the running job reads
    QString m_what;                               // "Sensitivity" or "Search", for the status
    QAction* m_sensitivityAction = nullptr;
    QAction* m_searchAction = nullptr;
    QPointer<SearchDialog> m_dialog;
    std::optional<SearchOutcome> m_lastSearch;
};
