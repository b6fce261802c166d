// SPDX-License-Identifier: GPL-3.0-or-later
#include "modelexporter.h"

#include "errordialog.h"
#include "jobrunner.h"

#include "exportrecord.h"
#include "jobrecords.h"
#include "modelsummary.h"
#include "runrecorder.h"

#include <QFileInfo>
#include <QMainWindow>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>

ModelExporter::ModelExporter(JobRunner* jobs, QMainWindow* window)
    : QObject(window)
    , m_jobs(jobs)
    , m_window(window) {
    connect(m_jobs, &JobRunner::progress, this,
            [this](quint64 job, double fraction, const QString& stage) {
                if (job == m_job)
                    m_window->statusBar()->showMessage(
                        tr("Exporting: %1% %2").arg(int(fraction * 100)).arg(stage));
            });
}

void ModelExporter::exportModel(std::shared_ptr<const cwb::Model> model, const cwb::Plan& plan,
                                const QString& planName,
                                std::shared_ptr<const cwb::CalibrationStats> stats,
                                const QString& path, const RunRecording& recording) {
    if (!model || path.isEmpty())
        return;
    const Request request{model, plan, planName, std::move(stats), path, recording};
    const cwb::ExportLayout layout = cwb::planExport(*model, cwb::resolvePlan(plan, *model));
    if (layout.fallbacks.empty()) {
        start(request);
        return;
    }
    QStringList lines;
    for (const cwb::ExportFallbackItem& f : layout.fallbacks)
        lines << f.text();
    // Not exec(): the box is window-modal and answers through a signal, so nothing waits in a
    // nested event loop.
    m_box = new QMessageBox(QMessageBox::Question, tr("Export Model"),
                            tr("%n tensor(s) have no GGUF type that holds their precision as it "
                               "is.",
                               nullptr, int(layout.fallbacks.size())),
                            QMessageBox::Cancel, m_window);
    m_box->setObjectName(QStringLiteral("exportFallbackBox"));
    m_box->setInformativeText(tr("They can be written in the nearest type that holds their "
                                 "weights exactly (larger), or not at all:"));
    m_box->setDetailedText(lines.join(QLatin1Char('\n')));
    QPushButton* nearest = m_box->addButton(tr("Use Nearest Exact Types"), QMessageBox::AcceptRole);
    nearest->setObjectName(QStringLiteral("useNearestButton"));
    m_box->setDefaultButton(nearest);
    m_box->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_box, &QMessageBox::buttonClicked, this,
            [this, nearest, request](QAbstractButton* button) {
                if (button == nearest)
                    start(request);
                else
                    emit finished(false, tr("Export cancelled"));
            });
    m_box->open();
}

void ModelExporter::start(const Request& request) {
    m_job = m_jobs->start(this, [this, request](const cwb::Progress& progress) {
        const cwb::Model& model = *request.model;
        const cwb::CalibrationStats* stats = request.stats.get();
        cwb::RunRecord record =
            exportRecord(model, request.plan, request.planName, request.path, stats);
        const QString source = record.model ? record.model->sha256 : QString();
        auto recorded = RecordedRun::begin(request.recording, std::move(record));
        cwb::ExportOptions options;
        options.fallback = cwb::ExportFallback::Nearest; // the user saw the list and chose
        options.stats = stats;
        options.provenance.runId = recorded ? recorded->id() : -1;
        options.provenance.sourceSha256 = source;
        auto result = cwb::exportGguf(model, request.plan, request.path, options, progress);
        if (recorded) {
            auto output = result ? cwb::modelOutputJson(request.path)
                                 : cwb::Result<QJsonObject>(result.error());
            if (output)
                recorded->finish(cwb::quantizeOutcome(model, cwb::resolvePlan(request.plan, model),
                                                      *result, *output, stats));
            else
                recorded->fail(output.error());
        }
        return JobRunner::Delivery([this, result] { deliver(result); });
    });
    m_window->statusBar()->showMessage(tr("Exporting %1…").arg(QFileInfo(request.path).fileName()));
}

void ModelExporter::deliver(const cwb::Result<cwb::ExportResult>& result) {
    m_job = 0;
    if (!result) {
        m_window->statusBar()->clearMessage();
        if (!result.error().cancelled())
            showErrorDialog(m_window, tr("Cannot Export Model"), result.error().message);
        emit finished(false, result.error().message);
        return;
    }
    const QString message =
        tr("Exported %1 (%2)")
            .arg(QFileInfo(result->path).fileName(), cwb::formatBytes(result->fileBytes));
    m_window->statusBar()->showMessage(message, 5000);
    emit finished(true, message);
}
