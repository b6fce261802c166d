// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ggufexport.h"

#include <QObject>
#include <QPointer>

#include <memory>

class JobRunner;
class QMainWindow;
class QMessageBox;

// File ▸ Export Model…: the plan as edited, applied with the calibration statistics, written as a
// GGUF file on the JobRunner's worker. Tensors that no GGUF type holds in their precision are
// listed first, and the user chooses the nearest exact types or cancels.
class ModelExporter : public QObject {
    Q_OBJECT
public:
    ModelExporter(JobRunner* jobs, QMainWindow* window);

    // Starts exporting to `path`, or, when some tensors need a fallback, shows them in a
    // window-modal box (fallbackBox()) and starts only if the user chooses the nearest types.
    void exportModel(std::shared_ptr<const cwb::Model> model, const cwb::Plan& plan,
                     std::shared_ptr<const cwb::CalibrationStats> stats, const QString& path);

    QMessageBox* fallbackBox() const { return m_box; }
    bool isRunning() const { return m_job != 0; }

signals:
    // After the file was written (ok) or not; `message` is the status line or the reason.
    void finished(bool ok, const QString& message);

private:
    void start(std::shared_ptr<const cwb::Model> model, const cwb::Plan& plan,
               std::shared_ptr<const cwb::CalibrationStats> stats, const QString& path);
    void deliver(const cwb::Result<cwb::ExportResult>& result);

    JobRunner* m_jobs;
    QMainWindow* m_window;
    QPointer<QMessageBox> m_box;
    quint64 m_job = 0;
};
