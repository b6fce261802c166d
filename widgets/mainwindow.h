// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonObject>
#include <QList>
#include <QMainWindow>

#include <memory>

namespace cwb {
struct Model;
}

class AnalysisActions;
class BenchmarkPanel;
class CalibrationPanel;
class CostPanel;
class DistillPanel;
class EvaluationPanel;
class HardwareDialog;
class JobRunner;
class JobsPanel;
class LayerMap;
class ModelSummaryView;
class TradeoffExplorer;
class PlanPage;
class PrecisionPlanModel;
class QLabel;
class QMenu;
class QDockWidget;
class QSplitter;
class QTabWidget;
class RecentFiles;
class RunDiffView;
class RunLibrary;
class RunListPanel;
class TensorDetailView;
class TensorView;
struct PlanPreset;

// The workbench window: one model at a time, the tensor table with the plan being edited, the
// evaluation, calibration and benchmark panels under it, and beside them, in docks, the selected
// tensor up close and the model's architecture summary.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Loads a model file. A llama2.c checkpoint without a tokenizer beside it makes the window
    // ask for one and try again; any other failure shows a dialog and keeps the current model.
    // Returns whether the model was loaded now.
    bool openModel(const QString& path, const QString& tokenizerPath = {});
    bool openDemoModel();
    // Reads a plan file and gives the tensors what it resolves to, as one undo step; its rules
    // that match nothing are shown over the table. A file that is not a valid plan shows a
    // dialog and changes nothing. Returns whether the plan was applied.
    bool openPlan(const QString& path);
    // Saves the plan as edited; returns whether it was written.
    bool savePlan(const QString& path);
    void applyPreset(const PlanPreset& preset);

    std::shared_ptr<const cwb::Model> model() const { return m_model; }
    ModelSummaryView* summaryView() const { return m_summary; }
    TensorView* tensorView() const;
    PlanPage* planPage() const { return m_planPage; }
    PrecisionPlanModel* planModel() const { return m_plan; }
    EvaluationPanel* evaluationPanel() const { return m_evaluation; }
    CalibrationPanel* calibrationPanel() const { return m_calibration; }
    BenchmarkPanel* benchmarkPanel() const { return m_benchmark; }
    TensorDetailView* tensorDetailView() const { return m_detail; }
    QDockWidget* tensorDetailDock() const { return m_detailDock; }
    QDockWidget* architectureDock() const { return m_summaryDock; }
    QTabWidget* bottomTabs() const { return m_bottomTabs; }
    RecentFiles* recentFiles() const { return m_recent; }
    JobRunner* jobRunner() const { return m_jobs; }
    // The workbench docks: jobs, trade-off explorer, layer map.
    JobsPanel* jobsPanel() const { return m_jobsPanel; }
    TradeoffExplorer* tradeoffExplorer() const { return m_tradeoff; }
    LayerMap* layerMap() const { return m_layerMap; }
    QDockWidget* jobsDock() const { return m_jobsDock; }
    QDockWidget* tradeoffDock() const { return m_tradeoffDock; }
    QDockWidget* layerMapDock() const { return m_layerMapDock; }
    // Tools ▸ Distill…: a student distilled from the open model, recorded with its lineage.
    DistillPanel* distillPanel() const { return m_distill; }
    QDockWidget* distillDock() const { return m_distillDock; }
    // Gives the tensors the plan a stored run was made with, as one undo step; a plan that is
    // not valid shows a dialog and changes nothing. Returns whether the plan was applied.
    bool openRunPlan(qint64 runId, const QJsonObject& plan, const QString& name);

    // The run database and its docks: the run list, the diff of two runs, the cost panel.
    // runLibrary() emits runsChanged() whenever a run is recorded, ends or is deleted.
    RunLibrary* runLibrary() const { return m_runs; }
    RunListPanel* runList() const { return m_runList; }
    RunDiffView* runDiffView() const { return m_runDiff; }
    CostPanel* costPanel() const { return m_cost; }
    QDockWidget* runListDock() const { return m_runListDock; }
    QDockWidget* runDiffDock() const { return m_runDiffDock; }
    QDockWidget* costDock() const { return m_costDock; }
    // Makes run `id` the run list's current run (the cost panel follows it); returns whether the
    // list has it.
    bool selectRun(qint64 id);
    // Opens the plan of run `id` if the run is of the open model (same sha256); otherwise a
    // dialog says whose it is and nothing changes. Returns whether the plan was applied.
    bool openPlanOfRun(qint64 id);
    // Shows run `a` against run `b` in the Run Diff dock.
    bool compareRuns(qint64 a, qint64 b);
    // Writes the report of `run` (against `baseline`, 0 for its own FP32 figures) to `path`, whose
    // suffix picks PDF, HTML or JSON; a failure shows a dialog. Returns whether it was written.
    bool exportReport(qint64 run, qint64 baseline, const QString& path);
    // Asks where, then exportReport().
    void chooseReportFile(qint64 run, qint64 baseline);
    // Gives the layer map the per-tensor losses a searched run recorded.
    void showRunSensitivity(qint64 id);
    // Plan ▸ Run Sensitivity and Plan ▸ Search…, their jobs and results.
    AnalysisActions* analysisActions() const { return m_analysis; }
    // Keeps runs in `path` from now on, remembered in the settings ($CWB_DB still decides when
    // set); an empty path goes back to the default. Returns whether the file opened.
    bool setRunDatabase(const QString& path);
    // Tools ▸ Hardware Profiles…, non-modal; the open dialog, if any.
    HardwareDialog* showHardwareProfiles();
    HardwareDialog* hardwareDialog() const;

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createMenus();
    void createWorkbenchDocks();
    void createWorkbenchActions(QMenu* file, QMenu* view);
    bool confirmCloseWhileRunning();
    void createRunDocks();
    void createRunActions(QMenu* file, QMenu* view);
    void updateRunDocks();
    void onRunRecorded(qint64 id);
    void chooseRunDatabase();
    void createPlanMenu(QMenu* menu);
    void createCalibrationActions(QMenu* menu);
    void updateJobActions();
    void shareWorker();
    void makeRoomForResult();
    void chooseModel();
    void choosePlan();
    void choosePlanSaveFile();
    void exportModel();
    QString planFolder() const;
    void askForTokenizer(const QString& modelPath);
    void setModel(std::shared_ptr<const cwb::Model> model);
    void showAbout();
    void restoreSettings();
    void saveSettings() const;

    JobRunner* m_jobs;
    std::shared_ptr<const cwb::Model> m_model;
    ModelSummaryView* m_summary;
    PrecisionPlanModel* m_plan;
    PlanPage* m_planPage;
    EvaluationPanel* m_evaluation;
    CalibrationPanel* m_calibration;
    BenchmarkPanel* m_benchmark = nullptr;
    QTabWidget* m_bottomTabs;
    TensorDetailView* m_detail;
    QDockWidget* m_detailDock;
    QDockWidget* m_summaryDock;
    QSplitter* m_mainSplitter;
    QLabel* m_modelStatus;
    RecentFiles* m_recent = nullptr;
    QList<QAction*> m_modelActions; // enabled only while a model is open
    QAction* m_evaluateAction = nullptr;
    QAction* m_cancelAction = nullptr;
    QAction* m_calibrateAction = nullptr;
    QAction* m_benchmarkAction = nullptr;
    QAction* m_saveStatisticsAction = nullptr;
    AnalysisActions* m_analysis = nullptr;
    JobsPanel* m_jobsPanel = nullptr;
    TradeoffExplorer* m_tradeoff = nullptr;
    LayerMap* m_layerMap = nullptr;
    QDockWidget* m_jobsDock = nullptr;
    QDockWidget* m_tradeoffDock = nullptr;
    QDockWidget* m_layerMapDock = nullptr;
    DistillPanel* m_distill = nullptr;
    QDockWidget* m_distillDock = nullptr;
    RunLibrary* m_runs = nullptr;
    RunListPanel* m_runList = nullptr;
    RunDiffView* m_runDiff = nullptr;
    CostPanel* m_cost = nullptr;
    QDockWidget* m_runListDock = nullptr;
    QDockWidget* m_runDiffDock = nullptr;
    QDockWidget* m_costDock = nullptr;
    quint64 m_fingerprintGeneration = 0;
};
