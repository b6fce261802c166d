// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMainWindow>

#include <memory>

namespace cwb {
struct Model;
}

class EvaluationPanel;
class JobRunner;
class ModelSummaryView;
class QLabel;
class QSplitter;
class RecentFiles;
class TensorView;

// The workbench window: one model at a time, its architecture summary and tensor table, and
// the evaluation panel.
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

    std::shared_ptr<const cwb::Model> model() const { return m_model; }
    ModelSummaryView* summaryView() const { return m_summary; }
    TensorView* tensorView() const { return m_tensors; }
    EvaluationPanel* evaluationPanel() const { return m_evaluation; }
    RecentFiles* recentFiles() const { return m_recent; }
    JobRunner* jobRunner() const { return m_jobs; }

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createMenus();
    void chooseModel();
    void askForTokenizer(const QString& modelPath);
    void setModel(std::shared_ptr<const cwb::Model> model);
    void showAbout();
    void restoreSettings();
    void saveSettings() const;

    JobRunner* m_jobs;
    std::shared_ptr<const cwb::Model> m_model;
    ModelSummaryView* m_summary;
    TensorView* m_tensors;
    EvaluationPanel* m_evaluation;
    QSplitter* m_topSplitter;
    QSplitter* m_mainSplitter;
    QLabel* m_modelStatus;
    RecentFiles* m_recent = nullptr;
};
