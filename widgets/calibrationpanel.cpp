// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationpanel.h"

#include "calibrationsitesmodel.h"
#include "errordialog.h"
#include "fingerprint.h"
#include "jobrecords.h"
#include "jobrunner.h"
#include "modelsummary.h"
#include "resources.h"
#include "runlibrary.h"
#include "runrecording.h"
#include "tooltip.h"

#include <QCheckBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace {

constexpr int kProgressSteps = 1000;

bool isBundled(const QString& path) {
    return path.startsWith(QLatin1String(":/"));
}

QString textName(const QString& path) {
    const QString name = QFileInfo(path).fileName();
    return isBundled(path)
               ? QCoreApplication::translate("CalibrationPanel", "%1 (bundled)").arg(name)
               : name;
}

QString statisticsFolder() {
    const QString folder = QSettings().value(QStringLiteral("calibration/folder")).toString();
    return folder.isEmpty() ? QDir::homePath() : folder;
}

} // namespace

CalibrationPanel::CalibrationPanel(JobRunner* jobs, QWidget* parent)
    : QWidget(parent)
    , m_jobs(jobs)
    , m_sites(new CalibrationSitesModel(this)) {
    setObjectName(QStringLiteral("calibrationPanel"));
    m_options = createOptions();

    m_calibrate = new QPushButton(tr("C&alibrate"), this);
    m_calibrate->setObjectName(QStringLiteral("calibrateButton"));
    m_calibrate->setToolTip(tr("Run the FP32 model over the calibration sequences and collect the "
                               "statistics of every matrix input"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("cancelCalibrationButton"));
    m_load = new QPushButton(tr("Load…"), this);
    m_load->setObjectName(QStringLiteral("loadStatisticsButton"));
    m_load->setToolTip(tr("Read statistics saved before (by this window or `cwb calibrate`)"));
    m_save = new QPushButton(tr("Save…"), this);
    m_save->setObjectName(QStringLiteral("saveStatisticsButton"));
    m_save->setToolTip(tr("Write the statistics to a file, for `cwb eval --stats` or later"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("calibrationProgress"));
    m_progress->setRange(0, kProgressSteps);
    m_progress->setValue(0);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("calibrationStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_sitesView = new QTableView(this);
    m_sitesView->setObjectName(QStringLiteral("calibrationSites"));
    m_sitesView->setModel(m_sites);
    m_sitesView->setSelectionMode(QAbstractItemView::NoSelection);
    m_sitesView->setFocusPolicy(Qt::NoFocus);
    m_sitesView->setAlternatingRowColors(true);
    m_sitesView->setShowGrid(false);
    m_sitesView->setWordWrap(false);
    m_sitesView->verticalHeader()->hide();
    m_sitesView->verticalHeader()->setDefaultSectionSize(m_sitesView->fontMetrics().height() + 6);
    auto* header = m_sitesView->horizontalHeader();
    for (int c = 0; c < CalibrationSitesModel::Outliers; ++c)
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(CalibrationSitesModel::Outliers, QHeaderView::Stretch);
    header->setHighlightSections(false);

    auto* run = new QHBoxLayout;
    run->addWidget(m_calibrate);
    run->addWidget(m_progress, 1);
    run->addWidget(m_cancel);
    run->addSpacing(12);
    run->addWidget(m_load);
    run->addWidget(m_save);
    auto* right = new QVBoxLayout;
    right->addLayout(run);
    right->addWidget(m_status);
    right->addWidget(m_sitesView, 1);

    auto* layout = new QHBoxLayout(this);
    layout->addWidget(m_options, 2);
    layout->addSpacing(12);
    layout->addLayout(right, 3);

    connect(m_calibrate, &QPushButton::clicked, this, &CalibrationPanel::calibrate);
    connect(m_cancel, &QPushButton::clicked, this, &CalibrationPanel::cancel);
    connect(m_load, &QPushButton::clicked, this, &CalibrationPanel::chooseStatisticsToLoad);
    connect(m_save, &QPushButton::clicked, this, &CalibrationPanel::chooseStatisticsToSave);
    connect(m_jobs, &JobRunner::progress, this, &CalibrationPanel::onProgress);
    setTextPath(cwb::resources::demoCalibrationText());
    setStatistics(nullptr, {});
    setRunning(false);
}

QWidget* CalibrationPanel::createOptions() {
    auto* box = new QWidget(this);
    auto* form = new QFormLayout(box);
    form->setContentsMargins(0, 0, 0, 0);
    form->setLabelAlignment(Qt::AlignRight);

    m_text = new QLineEdit(box);
    m_text->setObjectName(QStringLiteral("calibrationText"));
    m_text->setReadOnly(true);
    auto* choose = new QPushButton(tr("Choose…"), box);
    choose->setObjectName(QStringLiteral("chooseCalibrationText"));
    choose->setToolTip(tr("Plain text, or JSON Lines (*.jsonl, *.ndjson) whose objects carry a "
                          "\"text\" field"));
    connect(choose, &QPushButton::clicked, this, &CalibrationPanel::chooseText);
    auto* textRow = new QHBoxLayout;
    textRow->addWidget(m_text, 1);
    textRow->addWidget(choose);
    form->addRow(tr("Text:"), textRow);

    const cwb::CalibrationOptions defaults;
    m_sequences = new QSpinBox(box);
    m_sequences->setObjectName(QStringLiteral("calibrationSequences"));
    m_sequences->setRange(1, 1'000'000);
    m_sequences->setValue(defaults.sequences);
    m_sequences->setToolTip(wrappedToolTip(
        tr("How many sequences to run, cut from the text as llama.cpp's imatrix cuts it: every "
           "document from BOS, one stream, chunks of the sequence length")));
    form->addRow(tr("Sequences:"), m_sequences);

    m_length = new QSpinBox(box);
    m_length->setObjectName(QStringLiteral("calibrationLength"));
    m_length->setRange(2, 1 << 20);
    m_length->setValue(defaults.sequenceLength);
    m_length->setSuffix(tr(" tokens"));
    m_length->setToolTip(tr("Tokens per calibration sequence, BOS included"));
    form->addRow(tr("Length:"), m_length);

    m_hessians = new QCheckBox(tr("Collect Hessians (for GPTQ)"), box);
    m_hessians->setObjectName(QStringLiteral("collectHessians"));
    m_hessians->setChecked(defaults.hessians);
    m_hessians->setToolTip(wrappedToolTip(
        tr("Σ x xᵀ of every matrix input, which GPTQ compensates its rounding error with. It "
           "grows with the square of the input's width: large for big models. GPTQ collects "
           "them anew, block by block, from the statistics' calibration sequences; the saved "
           "ones serve files without those.")));
    form->addRow(QString(), m_hessians);
    return box;
}

void CalibrationPanel::setModel(std::shared_ptr<const cwb::Model> model) {
    cancel();
    m_model = std::move(model);
    ++m_generation;
    // Once per model, off the GUI thread: it reads every byte of the model's files.
    m_fingerprint =
        m_model ? QtConcurrent::run([model = m_model] { return cwb::modelFingerprint(*model); })
                : QFuture<QString>();
    setStatistics(nullptr, {});
    m_progress->setValue(0);
    updateButtons();
}

void CalibrationPanel::setTextPath(const QString& path) {
    m_textPath = path;
    m_text->setText(textName(path));
    m_text->setCursorPosition(0); // the name's start, where a narrow field cuts it
    m_text->setToolTip(path);
}

void CalibrationPanel::setOptions(const cwb::CalibrationOptions& o) {
    m_sequences->setValue(o.sequences);
    m_length->setValue(o.sequenceLength);
    m_hessians->setChecked(o.hessians);
}

cwb::CalibrationOptions CalibrationPanel::options() const {
    cwb::CalibrationOptions o;
    o.sequences = m_sequences->value();
    o.sequenceLength = m_length->value();
    o.hessians = m_hessians->isChecked();
    return o;
}

CalibrationRequest CalibrationPanel::request() const {
    return CalibrationRequest{m_model, m_fingerprint, m_textPath, options(), m_cacheDir};
}

void CalibrationPanel::chooseText() {
    const QString start = isBundled(m_textPath) ? QString() : QFileInfo(m_textPath).path();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Choose a Calibration Text"), start,
        tr("Texts (*.txt *.jsonl *.ndjson);;JSON Lines (*.jsonl *.ndjson);;All files (*)"));
    if (!path.isEmpty())
        setTextPath(path);
}

void CalibrationPanel::calibrate() {
    if (!m_model || isRunning() || m_workerBusy)
        return;
    const CalibrationRequest r = request();
    const RunRecording recording = m_runs ? m_runs->recording() : RunRecording();
    m_job = m_jobs->start(this, [this, r, recording](const cwb::Progress& progress) {
        // Recorded as `cwb calibrate` records it, from when the text is read.
        std::unique_ptr<RecordedRun> recorded;
        auto run = runCalibration(r, progress, [&](const cwb::CalibrationText& text) {
            recorded = RecordedRun::begin(recording, calibrationRecord(*r.model, text, r.options));
        });
        if (recorded && run)
            recorded->finish(calibrationOutcome(*run));
        else if (recorded)
            recorded->fail(run.error());
        return JobRunner::Delivery([this, run] { finish(run); });
    });
    m_progress->setValue(0);
    m_status->setText(tr("Running…"));
    setRunning(true);
}

void CalibrationPanel::cancel() {
    if (!isRunning())
        return;
    m_jobs->cancel(m_job);
    m_job = 0;
    m_progress->setValue(0);
    m_status->setText(
        m_stats ? tr("Cancelled; the statistics are those of before: %1").arg(describe(*m_stats))
                : tr("Cancelled; no statistics yet"));
    setRunning(false);
}

void CalibrationPanel::onProgress(quint64 job, double fraction, const QString& stage) {
    if (job != m_job)
        return;
    m_progress->setValue(int(fraction * kProgressSteps));
    m_status->setText(tr("Running: %1").arg(stage));
}

void CalibrationPanel::finish(const cwb::Result<CalibrationRun>& run) {
    m_job = 0;
    setRunning(false);
    if (!run) {
        m_progress->setValue(0);
        if (run.error().cancelled())
            return;
        m_status->setText(tr("Failed: %1").arg(run.error().message));
        showErrorDialog(this, tr("Calibration failed"), run.error().message);
        return;
    }
    m_progress->setValue(kProgressSteps);
    adopt(run.value(), {});
}

void CalibrationPanel::adopt(const CalibrationRun& run, const QString& purpose) {
    QString how = run.fromCache ? tr("reused from the cache, %1").arg(run.path)
                  : run.path.isEmpty()
                      ? tr("%1 s; not saved: %2").arg(run.seconds, 0, 'f', 1).arg(run.warning)
                      : tr("%1 s; saved to %2").arg(run.seconds, 0, 'f', 1).arg(run.path);
    if (!purpose.isEmpty())
        how = purpose + QStringLiteral("; ") + how;
    setStatistics(run.stats, how);
}

void CalibrationPanel::setStatistics(std::shared_ptr<const cwb::CalibrationStats> stats,
                                     const QString& how) {
    m_stats = std::move(stats);
    m_sites->setStatistics(m_stats);
    if (m_stats)
        m_status->setText(QStringLiteral("%1 · %2").arg(describe(*m_stats), how));
    else
        m_status->setText(
            m_model ? tr("No statistics yet: calibrate, or load a statistics file. Evaluating a "
                         "plan with calibrated methods calibrates first.")
                    : tr("No model open"));
    updateButtons();
    emit statisticsChanged();
}

QString CalibrationPanel::describe(const cwb::CalibrationStats& s) const {
    return tr("%1 tokens: %2 sequences of %3 from %4%5")
        .arg(cwb::formatCount(s.tokens))
        .arg(s.sequences)
        .arg(s.sequenceLength)
        .arg(textName(s.textPath))
        .arg(s.hessians ? tr(", with Hessians") : QString());
}

void CalibrationPanel::chooseStatisticsToLoad() {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Load Statistics"), statisticsFolder(), tr("Statistics (*.stats);;All files (*)"));
    if (!path.isEmpty())
        loadStatistics(path);
}

void CalibrationPanel::chooseStatisticsToSave() {
    if (!m_stats || !m_model)
        return;
    const QString name = QFileInfo(m_model->path).completeBaseName() + QStringLiteral(".stats");
    QString path = QFileDialog::getSaveFileName(this, tr("Save Statistics"),
                                                QDir(statisticsFolder()).filePath(name),
                                                tr("Statistics (*.stats);;All files (*)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".stats");
    saveStatistics(path);
}

void CalibrationPanel::loadStatistics(const QString& path) {
    if (!m_model)
        return;
    const quint64 generation = m_generation;
    auto* watcher = new QFutureWatcher<Loaded>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, path] {
        watcher->deleteLater();
        if (generation == m_generation)
            finishLoad(watcher->result(), path);
    });
    // Off the GUI thread: a big model's Hessians make a file of gigabytes, and the fingerprint
    // may still be being computed.
    watcher->setFuture(QtConcurrent::run([path, fingerprint = m_fingerprint] {
        Loaded loaded;
        auto stats = cwb::CalibrationStats::load(path);
        if (stats)
            loaded.stats = std::make_shared<const cwb::CalibrationStats>(std::move(stats.value()));
        else
            loaded.error = stats.error().message;
        loaded.modelSha = fingerprint.result();
        return loaded;
    }));
}

void CalibrationPanel::finishLoad(const Loaded& loaded, const QString& path) {
    const QString title = tr("Cannot Load Statistics");
    if (!loaded.stats) {
        showErrorDialog(this, title, loaded.error);
        return;
    }
    if (loaded.stats->modelSha256 != loaded.modelSha) {
        showErrorDialog(this, title,
                        tr("%1 holds the statistics of another model (sha256 %2…), not of %3 "
                           "(sha256 %4…)")
                            .arg(QFileInfo(path).fileName(), loaded.stats->modelSha256.left(12),
                                 QFileInfo(m_model->path).fileName(), loaded.modelSha.left(12)));
        return;
    }
    QSettings().setValue(QStringLiteral("calibration/folder"), QFileInfo(path).absolutePath());
    setStatistics(loaded.stats, tr("loaded from %1").arg(QDir::toNativeSeparators(path)));
}

bool CalibrationPanel::saveStatistics(const QString& path) {
    if (!m_stats)
        return false;
    if (auto saved = m_stats->save(path); !saved) {
        showErrorDialog(this, tr("Cannot Save Statistics"), saved.error().message);
        return false;
    }
    QSettings().setValue(QStringLiteral("calibration/folder"), QFileInfo(path).absolutePath());
    m_status->setText(QStringLiteral("%1 · %2").arg(
        describe(*m_stats), tr("saved to %1").arg(QDir::toNativeSeparators(path))));
    return true;
}

QString CalibrationPanel::statusText() const {
    return m_status->text();
}

void CalibrationPanel::setWorkerBusy(bool busy) {
    m_workerBusy = busy;
    updateButtons();
}

void CalibrationPanel::setRunning(bool running) {
    m_options->setEnabled(!running);
    updateButtons();
    emit runningChanged(running);
}

void CalibrationPanel::updateButtons() {
    const bool running = isRunning();
    m_calibrate->setEnabled(!running && m_model && !m_workerBusy);
    m_calibrate->setToolTip(m_workerBusy ? tr("An evaluation is running: calibrate when it ends")
                                         : tr("Run the FP32 model over the calibration sequences "
                                              "and collect the statistics of every matrix input"));
    m_cancel->setEnabled(running);
    m_load->setEnabled(!running && m_model);
    m_save->setEnabled(!running && m_stats != nullptr);
}
