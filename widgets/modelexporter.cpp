// SPDX-License-Identifier: GPL-3.0-or-later
#include "modelexporter.h"

#include "errordialog.h"
#include "jobrunner.h"

#include "modelsummary.h"

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
                                std::shared_ptr<const cwb::CalibrationStats> stats,
                                const QString& path) {
    if (!model || path.isEmpty())
        return;
    const cwb::ExportLayout layout = cwb::planExport(*model, cwb::resolvePlan(plan, *model));
    if (layout.fallbacks.empty()) {
        start(model, plan, stats, path);
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
            [this, nearest, model, plan, stats, path](QAbstractButton* button) {
                if (button == nearest)
                    start(model, plan, stats, path);
                else
                    emit finished(false, tr("Export cancelled"));
            });
    m_box->open();
}

void ModelExporter::start(std::shared_ptr<const cwb::Model> model, const cwb::Plan& plan,
                          std::shared_ptr<const cwb::CalibrationStats> stats, const QString& path) {
    m_job = m_jobs->start(this, [this, model, plan, stats, path](const cwb::Progress& progress) {
        cwb::ExportOptions options;
        options.fallback = cwb::ExportFallback::Nearest; // the user saw the list and chose
        options.stats = stats.get();
        auto result = cwb::exportGguf(*model, plan, path, options, progress);
        return JobRunner::Delivery([this, result] { deliver(result); });
    });
    m_window->statusBar()->showMessage(tr("Exporting %1…").arg(QFileInfo(path).fileName()));
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
