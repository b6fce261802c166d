// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "calibrationrun.h"

#include <QFuture>
#include <QWidget>

#include <memory>

class CalibrationSitesModel;
class JobRunner;
class QCheckBox;
class RunLibrary;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;

// Calibration of the loaded model: the text (the bundled TinyStories training sample unless
// another is chosen), how many sequences of how many tokens, whether to collect GPTQ's Hessians;
// Calibrate and Cancel with progress, on the JobRunner's worker. The statistics it produces, or
// loads from a file, are the window's until another model is opened: the tensor detail view
// shows them and the evaluation of a plan with calibrated methods uses them.
//
// Calibrating saves the statistics to the cache and reuses them when the same model, text and
// options are calibrated again.
class CalibrationPanel : public QWidget {
    Q_OBJECT
public:
    explicit CalibrationPanel(JobRunner* jobs, QWidget* parent = nullptr);

    // A new model clears the statistics (they describe the old one) and cancels a running
    // calibration; its fingerprint is computed once, in the background.
    void setModel(std::shared_ptr<const cwb::Model> model);
    void setTextPath(const QString& path);
    QString textPath() const { return m_textPath; }
    void setOptions(const cwb::CalibrationOptions& options);
    cwb::CalibrationOptions options() const;
    void setCacheDir(const QString& dir) { m_cacheDir = dir; }
    // Where calibrations are recorded as runs (none: not recorded).
    void setRunLibrary(RunLibrary* runs) { m_runs = runs; }

    std::shared_ptr<const cwb::CalibrationStats> statistics() const { return m_stats; }
    bool isRunning() const { return m_job != 0; }
    // The calibration as the panel is set now, for a job that calibrates before evaluating.
    CalibrationRequest request() const;
    // Statistics computed by such a job become the window's; `purpose` says what for.
    void adopt(const CalibrationRun& run, const QString& purpose);

    // Reads a statistics file in the background; statistics of another model are refused with
    // a dialog, as is a file that is not one.
    void loadStatistics(const QString& path);
    // Writes the statistics; returns whether it did (a failure shows a dialog).
    bool saveStatistics(const QString& path);

    QString statusText() const;
    CalibrationSitesModel* sitesModel() const { return m_sites; }
    // Another panel's job holds the worker: starting one here would cancel it.
    void setWorkerBusy(bool busy);

public slots:
    void calibrate();
    void cancel();
    void chooseText();
    void chooseStatisticsToLoad();
    void chooseStatisticsToSave();

signals:
    void runningChanged(bool running);
    // The window's statistics were replaced or cleared.
    void statisticsChanged();

private:
    struct Loaded {
        std::shared_ptr<const cwb::CalibrationStats> stats;
        QString error;
        QString modelSha;
    };
    QWidget* createOptions();
    void onProgress(quint64 job, double fraction, const QString& stage);
    void finish(const cwb::Result<CalibrationRun>& run);
    void finishLoad(const Loaded& loaded, const QString& path);
    void setStatistics(std::shared_ptr<const cwb::CalibrationStats> stats, const QString& how);
    void setRunning(bool running);
    void updateButtons();
    QString describe(const cwb::CalibrationStats& stats) const;

    JobRunner* m_jobs;
    std::shared_ptr<const cwb::Model> m_model;
    QFuture<QString> m_fingerprint;
    quint64 m_generation = 0; // of the model: a file read for an earlier one is dropped
    std::shared_ptr<const cwb::CalibrationStats> m_stats;
    quint64 m_job = 0;
    bool m_workerBusy = false;
    QString m_textPath;
    QString m_cacheDir;
    RunLibrary* m_runs = nullptr;

    QWidget* m_options = nullptr;
    QLineEdit* m_text = nullptr;
    QSpinBox* m_sequences = nullptr;
    QSpinBox* m_length = nullptr;
    QCheckBox* m_hessians = nullptr;
    QPushButton* m_calibrate = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_load = nullptr;
    QPushButton* m_save = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    CalibrationSitesModel* m_sites = nullptr;
    QTableView* m_sitesView = nullptr;
};
