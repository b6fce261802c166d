// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QMainWindow>

#include <memory>

namespace cwb {
struct Model;
}

class CalibrationPanel;
class EvaluationPanel;
class JobRunner;
class ModelSummaryView;
class PlanPage;
class PrecisionPlanModel;
class QLabel;
class QMenu;
class QDockWidget;
class QSplitter;
class QTabWidget;
class RecentFiles;
class TensorDetailView;
class TensorView;
struct PlanPreset;

// The workbench window: one model at a time, the tensor table with the plan being edited, the
// evaluation and calibration panels under it, and beside them, in docks, the selected tensor up
// close and the model's architecture summary.
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
    TensorDetailView* tensorDetailView() const { return m_detail; }
    QDockWidget* tensorDetailDock() const { return m_detailDock; }
    QDockWidget* architectureDock() const { return m_summaryDock; }
    QTabWidget* bottomTabs() const { return m_bottomTabs; }
    RecentFiles* recentFiles() const { return m_recent; }
    JobRunner* jobRunner() const { return m_jobs; }

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createMenus();
    void createPlanMenu(QMenu* menu);
    void createCalibrationActions(QMenu* menu);
    void updateJobActions();
    void makeRoomForResult();
    void chooseModel();
    void choosePlan();
    void choosePlanSaveFile();
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
    QAction* m_saveStatisticsAction = nullptr;
};
