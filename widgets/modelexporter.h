// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ggufexport.h"
#include "runrecording.h"

#include <QObject>
#include <QPointer>

#include <memory>

class JobRunner;
class QMainWindow;
class QMessageBox;

// File ▸ Export Model…: the plan as edited, applied with the calibration statistics, written as a
// GGUF file on the JobRunner's worker and recorded as `cwb quantize` records it (so runs on the
// written file find this one as their parent). Tensors that no GGUF type holds in their
// precision are listed first, and the user chooses the nearest exact types or cancels.
class ModelExporter : public QObject {
    Q_OBJECT
public:
    ModelExporter(JobRunner* jobs, QMainWindow* window);

    // Starts exporting to `path`, or, when some tensors need a fallback, shows them in a
    // window-modal box (fallbackBox()) and starts only if the user chooses the nearest types.
    // The run is recorded in `recording` under `planName`.
    void exportModel(std::shared_ptr<const cwb::Model> model, const cwb::Plan& plan,
                     const QString& planName, std::shared_ptr<const cwb::CalibrationStats> stats,
                     const QString& path, const RunRecording& recording = {});

    QMessageBox* fallbackBox() const { return m_box; }
    bool isRunning() const { return m_job != 0; }

signals:
    // After the file was written (ok) or not; `message` is the status line or the reason.
    void finished(bool ok, const QString& message);

private:
    struct Request {
        std::shared_ptr<const cwb::Model> model;
        cwb::Plan plan;
        QString planName;
        std::shared_ptr<const cwb::CalibrationStats> stats;
        QString path;
        RunRecording recording;
    };
    void start(const Request& request);
    void deliver(const cwb::Result<cwb::ExportResult>& result);

    JobRunner* m_jobs;
    QMainWindow* m_window;
    QPointer<QMessageBox> m_box;
    quint64 m_job = 0;
};
