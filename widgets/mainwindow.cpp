// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "analysisactions.h"
#include "benchmarkpanel.h"
#include "calibrationpanel.h"
#include "costpanel.h"
#include "distillpanel.h"
#include "errordialog.h"
#include "evaluationpanel.h"
#include "fingerprint.h"
#include "hardwaredialog.h"
#include "hfmodel.h"
#include "jobrunner.h"
#include "jobspanel.h"
#include "layermap.h"
#include "metricformat.h"
#include "model.h"
#include "modelexporter.h"
#include "modelsummary.h"
#include "modelsummaryview.h"
#include "plan.h"
#include "planpage.h"
#include "planpresets.h"
#include "precisionplanmodel.h"
#include "recentfiles.h"
#include "report.h"
#include "reportpdf.h"
#include "resources.h"
#include "runcost.h"
#include "rundatabasedialog.h"
#include "rundatabaselocation.h"
#include "rundiffview.h"
#include "runlibrary.h"
#include "runlistpanel.h"
#include "tensordetailview.h"
#include "tensorrow.h"
#include "tensorview.h"
#include "textfile.h"
#include "tooltip.h"
#include "tradeoffexplorer.h"
#include "version.h"
#include "warningstrip.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QJsonDocument>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QRegularExpression>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>

namespace {

// The only failure the user can repair from here: by choosing the tokenizer.
bool isMissingTokenizer(const cwb::Error& error) {
    return error.kind == cwb::ErrorKind::TokenizerNotFound;
}

QString displayName(const QString& path) {
    return QFileInfo(path).fileName();
}

// One local file or Hugging Face model folder, or nothing: a window shows one model at a time.
QString droppedFile(const QMimeData* mime) {
    const QList<QUrl> urls = mime->urls();
    if (urls.size() != 1 || !urls.first().isLocalFile())
        return {};
    const QString path = urls.first().toLocalFile();
    return QFileInfo(path).isFile() || cwb::isHfFolder(path) ? path : QString();
}

// Menu text without its mnemonic, for undo step names and status messages.
QString plainText(const QString& menuText) {
    QString text = menuText;
    return text.remove(QLatin1Char('&'));
}

QIcon themeIcon(const char* name, QStyle::StandardPixmap fallback, const QStyle* style) {
    return QIcon::fromTheme(QLatin1String(name), style->standardIcon(fallback));
}

QWidget* framed(const QString& title, QWidget* content, QWidget* parent) {
    auto* box = new QGroupBox(title, parent);
    auto* layout = new QVBoxLayout(box);
    layout->addWidget(content);
    return box;
}

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_jobs(new JobRunner(this))
    , m_summary(new ModelSummaryView(this))
    , m_plan(new PrecisionPlanModel(this))
    , m_planPage(new PlanPage(m_plan, this))
    , m_evaluation(new EvaluationPanel(m_jobs, this))
    , m_calibration(new CalibrationPanel(m_jobs, this))
    , m_bottomTabs(new QTabWidget(this))
    , m_detail(new TensorDetailView(this))
    , m_detailDock(new QDockWidget(tr("Tensor Detail"), this))
    , m_summaryDock(new QDockWidget(tr("Architecture"), this))
    , m_mainSplitter(new QSplitter(Qt::Vertical, this))
    , m_modelStatus(new QLabel(this)) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(QStringLiteral("Compression Workbench"));
    setAcceptDrops(true);

    m_mainSplitter->addWidget(framed(tr("Tensors and Plan"), m_planPage, m_mainSplitter));
    // Calibration beside evaluation, one at a time: both want the window's width, and an
    // evaluation calibrates by itself when it must.
    m_evaluation->setTitle({});
    m_evaluation->setFlat(true);
    m_bottomTabs->setObjectName(QStringLiteral("bottomTabs"));
    m_bottomTabs->setDocumentMode(true);
    m_bottomTabs->addTab(m_evaluation, tr("Evaluation"));
    m_bottomTabs->addTab(m_calibration, tr("Calibration"));
    m_benchmark = new BenchmarkPanel(m_jobs, this);
    m_bottomTabs->addTab(m_benchmark, tr("Benchmark"));
    m_mainSplitter->addWidget(m_bottomTabs);
    m_mainSplitter->setStretchFactor(0, 1);
    m_mainSplitter->setStretchFactor(1, 0);
    m_mainSplitter->setChildrenCollapsible(false);
    m_mainSplitter->setContentsMargins(6, 6, 6, 0);
    setCentralWidget(m_mainSplitter);

    m_evaluation->setPlanModel(m_plan);
    m_evaluation->setCalibrationPanel(m_calibration);
    m_benchmark->setPlanModel(m_plan);

    // Beside the table and the panels rather than under them: three plots need height, and the
    // table and the evaluation's results need the width. The architecture, read once per model,
    // shares the place.
    const auto features = QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                          QDockWidget::DockWidgetFloatable;
    m_detailDock->setObjectName(QStringLiteral("tensorDetailDock"));
    m_detailDock->setWidget(m_detail);
    m_detailDock->setFeatures(features);
    m_summaryDock->setObjectName(QStringLiteral("architectureDock"));
    m_summaryDock->setWidget(m_summary);
    m_summaryDock->setFeatures(features);
    addDockWidget(Qt::RightDockWidgetArea, m_summaryDock);
    tabifyDockWidget(m_summaryDock, m_detailDock);
    m_summaryDock->raise();
    m_detail->setPlanModel(m_plan);
    connect(tensorView(), &TensorView::currentTensorChanged, this, [this](const QString& name) {
        m_detail->showTensor(name);
        // Choosing a tensor is asking to see it.
        if (!name.isEmpty())
            m_detailDock->raise();
    });
    connect(m_calibration, &CalibrationPanel::statisticsChanged, this,
            [this] { m_detail->setStatistics(m_calibration->statistics()); });
    // One job holds the worker at a time: while one panel runs, the others wait.
    connect(m_evaluation, &EvaluationPanel::runningChanged, this, &MainWindow::shareWorker);
    connect(m_calibration, &CalibrationPanel::runningChanged, this, &MainWindow::shareWorker);
    connect(m_benchmark, &BenchmarkPanel::runningChanged, this, &MainWindow::shareWorker);

    m_modelStatus->setObjectName(QStringLiteral("modelStatus"));
    statusBar()->addPermanentWidget(m_modelStatus);
    createWorkbenchDocks();
    createRunDocks();
    createMenus();
    restoreSettings();
}

TensorView* MainWindow::tensorView() const {
    return m_planPage->tensorView();
}

MainWindow::~MainWindow() {
    // Before the panel that would receive them is destroyed: a running job is cancelled and
    // waited for, and nothing it returns is delivered.
    m_jobs->shutdown();
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(style()->standardIcon(QStyle::SP_DialogOpenButton),
                                    tr("&Open Model…"), this, &MainWindow::chooseModel);
    open->setShortcut(QKeySequence::Open);
    open->setStatusTip(tr("Open a GGUF file or a llama2.c checkpoint"));
    file->addAction(tr("Open &Folder…"), this,
                    [this] {
                        const QString dir = QFileDialog::getExistingDirectory(
                            this, tr("Open Hugging Face Model Folder"), QDir::homePath());
                        if (!dir.isEmpty())
                            openModel(dir);
                    })
        ->setStatusTip(tr("Open a Hugging Face model folder: config.json, safetensors weights "
                          "and tokenizer.json"));
    QMenu* recentMenu = file->addMenu(tr("Open &Recent"));
    m_recent = new RecentFiles(recentMenu, this);
    connect(m_recent, &RecentFiles::openRequested, this,
            [this](const QString& path, const QString& tokenizer) { openModel(path, tokenizer); });
    file->addAction(tr("Open &Demo Model"), this, &MainWindow::openDemoModel)
        ->setStatusTip(tr("Open the bundled stories260K model"));
    file->addAction(tr("&Export Model…"), this, &MainWindow::exportModel);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    // QKeySequence::Quit is empty on some desktops and platforms; Ctrl+Q is what users expect.
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = m_plan->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setObjectName(QStringLiteral("undoAction"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setIcon(themeIcon("edit-undo", QStyle::SP_ArrowBack, style()));
    QAction* redo = m_plan->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setObjectName(QStringLiteral("redoAction"));
    // Ctrl+Shift+Z everywhere, and Ctrl+Y for those used to it.
    redo->setShortcuts(
        {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    redo->setIcon(themeIcon("edit-redo", QStyle::SP_ArrowForward, style()));
    edit->addAction(undo);
    edit->addAction(redo);

    QMenu* planMenu = menuBar()->addMenu(tr("&Plan"));
    createPlanMenu(planMenu);
    createCalibrationActions(planMenu);
    m_analysis = new AnalysisActions(this);
    m_analysis->addTo(planMenu);
    connect(m_analysis, &AnalysisActions::runningChanged, this, &MainWindow::updateJobActions);

    QMenu* evaluation = menuBar()->addMenu(tr("&Evaluation"));
    QAction* evaluate =
        evaluation->addAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Evaluate"),
                              m_evaluation, &EvaluationPanel::evaluate);
    evaluate->setObjectName(QStringLiteral("evaluateAction"));
    evaluate->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    evaluate->setToolTip(tr("Evaluate the plan against the FP32 model (Ctrl+E); with every "
                            "tensor in f32, the model's perplexity"));
    QAction* cancel = evaluation->addAction(style()->standardIcon(QStyle::SP_MediaStop),
                                            tr("&Cancel"), this, [this] {
                                                m_evaluation->cancel();
                                                m_calibration->cancel();
                                                m_benchmark->cancel();
                                                m_analysis->cancel();
                                            });
    cancel->setToolTip(tr("Stop the running evaluation, calibration or benchmark"));
    cancel->setObjectName(QStringLiteral("cancelAction"));
    // Not Escape: that closes editors and popups, and would cancel an evaluation as well.
    cancel->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    m_evaluateAction = evaluate;
    m_cancelAction = cancel;
    evaluation->addAction(tr("Choose &Text…"), m_evaluation, &EvaluationPanel::chooseText);
    evaluation->addSeparator();
    m_benchmarkAction = evaluation->addAction(tr("&Benchmark"), this, [this] {
        m_bottomTabs->setCurrentWidget(m_benchmark);
        m_benchmark->benchmark();
    });
    m_benchmarkAction->setObjectName(QStringLiteral("benchmarkAction"));
    m_benchmarkAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B));
    m_benchmarkAction->setToolTip(tr("Time prefill and decode of the plan's packed weights on "
                                     "this machine, as `cwb bench` does"));
    connect(m_benchmark, &BenchmarkPanel::runningChanged, this, &MainWindow::updateJobActions);
    connect(m_evaluation, &EvaluationPanel::runningChanged, this, &MainWindow::updateJobActions);
    connect(m_evaluation, &EvaluationPanel::resultShown, this, &MainWindow::makeRoomForResult);
    connect(m_calibration, &CalibrationPanel::runningChanged, this, &MainWindow::updateJobActions);
    connect(m_calibration, &CalibrationPanel::statisticsChanged, this,
            &MainWindow::updateJobActions);
    updateJobActions();

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* detail = m_detailDock->toggleViewAction();
    detail->setObjectName(QStringLiteral("showTensorDetailAction"));
    detail->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    detail->setToolTip(tr("Show the selected tensor's weights and input statistics"));
    view->addAction(detail);
    QAction* architecture = m_summaryDock->toggleViewAction();
    architecture->setObjectName(QStringLiteral("showArchitectureAction"));
    architecture->setToolTip(tr("Show the model's architecture summary"));
    view->addAction(architecture);
    createWorkbenchActions(file, view);
    createRunActions(file, view);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Compression Workbench"), this, &MainWindow::showAbout)
        ->setMenuRole(QAction::AboutRole);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt)
        ->setMenuRole(QAction::AboutQtRole);

    QToolBar* tools = addToolBar(tr("Main"));
    tools->setObjectName(QStringLiteral("mainToolBar"));
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->setMovable(false);
    tools->addAction(open);
    tools->addSeparator();
    tools->addAction(m_modelActions.at(0));
    tools->addAction(m_modelActions.at(1));
    auto* presetButton = new QToolButton(tools);
    presetButton->setObjectName(QStringLiteral("presetsButton"));
    presetButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    presetButton->setDefaultAction(m_modelActions.at(2));
    // After setDefaultAction(), which makes a button with a menu a split button: the whole button
    // opens the list, there being nothing else for it to do.
    presetButton->setPopupMode(QToolButton::InstantPopup);
    tools->addWidget(presetButton);
    tools->addSeparator();
    tools->addAction(undo);
    tools->addAction(redo);
    // Icons only: the actions' text names the step ("Undo Set 7 Tensors to int8"), which would
    // make the toolbar jump at every edit. The tooltip still says it.
    for (QAction* a : {undo, redo})
        if (auto* button = qobject_cast<QToolButton*>(tools->widgetForAction(a)))
            button->setToolButtonStyle(Qt::ToolButtonIconOnly);
    tools->addSeparator();
    tools->addAction(m_calibrateAction);
    tools->addAction(evaluate);
    tools->addAction(cancel);
}

void MainWindow::createPlanMenu(QMenu* menu) {
    QAction* open = menu->addAction(themeIcon("document-open", QStyle::SP_DirOpenIcon, style()),
                                    tr("&Open Plan…"), this, &MainWindow::choosePlan);
    open->setObjectName(QStringLiteral("openPlanAction"));
    open->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    open->setToolTip(tr("Open a plan file and give each tensor the precision its rules say"));
    QAction* save =
        menu->addAction(themeIcon("document-save-as", QStyle::SP_DialogSaveButton, style()),
                        tr("&Save Plan As…"), this, &MainWindow::choosePlanSaveFile);
    save->setObjectName(QStringLiteral("savePlanAction"));
    save->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    save->setToolTip(tr("Save the precisions as a plan file, for the command line too"));
    menu->addSeparator();

    QMenu* presets = menu->addMenu(tr("&Presets"));
    presets->setObjectName(QStringLiteral("presetsMenu"));
    presets->setToolTipsVisible(true);
    presets->setIcon(themeIcon("view-list-details", QStyle::SP_FileDialogListView, style()));
    const QList<PlanPreset> all = planPresets();
    for (const PlanPreset& preset : all) {
        QAction* a = presets->addAction(preset.text, this, [this, preset] { applyPreset(preset); });
        a->setObjectName(QStringLiteral("preset-%1").arg(preset.id));
        a->setToolTip(wrappedToolTip(preset.toolTip));
        a->setStatusTip(preset.toolTip);
        // The uncompressed model stands apart from the compressed starting points.
        if (preset.plan.defaultPrecision == cwb::PrecisionId::Fp32)
            presets->addSeparator();
    }
    presets->menuAction()->setToolTip(tr("Give the whole plan a common starting point"));
    // The toolbar shows these in this order: open, save, presets.
    m_modelActions = {open, save, presets->menuAction()};
    for (QAction* a : m_modelActions)
        a->setEnabled(false);
}

void MainWindow::createCalibrationActions(QMenu* menu) {
    menu->addSeparator();
    m_calibrateAction = menu->addAction(tr("&Calibrate"), this, [this] {
        m_bottomTabs->setCurrentWidget(m_calibration);
        m_calibration->calibrate();
    });
    m_calibrateAction->setObjectName(QStringLiteral("calibrateAction"));
    m_calibrateAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K));
    m_calibrateAction->setToolTip(tr("Collect the activation statistics the calibrated methods "
                                     "need, as the Calibration tab is set"));
    QAction* load = menu->addAction(tr("&Load Statistics…"), this, [this] {
        m_bottomTabs->setCurrentWidget(m_calibration);
        m_calibration->chooseStatisticsToLoad();
    });
    load->setObjectName(QStringLiteral("loadStatisticsAction"));
    load->setToolTip(tr("Read calibration statistics saved before, for this model"));
    m_saveStatisticsAction = menu->addAction(tr("Sa&ve Statistics…"), m_calibration,
                                             &CalibrationPanel::chooseStatisticsToSave);
    m_saveStatisticsAction->setObjectName(QStringLiteral("saveStatisticsAction"));
    m_saveStatisticsAction->setToolTip(tr("Write the calibration statistics to a file, for "
                                          "`cwb eval --stats` or a later session"));
    m_modelActions << load;
    load->setEnabled(false);
}

// A calibrated plan's result adds the mismatch line and the methods' table: the panel grows to
// show them, once, as far as the table above can spare.
void MainWindow::makeRoomForResult() {
    QList<int> sizes = m_mainSplitter->sizes();
    const int total = sizes.value(0) + sizes.value(1);
    const int tabBar = m_bottomTabs->height() - m_evaluation->height();
    const int wanted = std::min(m_evaluation->resultHeight() + tabBar, total * 11 / 20);
    if (sizes.size() != 2 || sizes[1] >= wanted)
        return;
    m_mainSplitter->setSizes({total - wanted, wanted});
}

void MainWindow::updateJobActions() {
    const bool busy =
        m_evaluation->isRunning() || m_calibration->isRunning() || m_benchmark->isRunning();
    if (m_evaluateAction)
        m_evaluateAction->setEnabled(!busy && m_model);
    if (m_cancelAction)
        m_cancelAction->setEnabled(busy || (m_analysis && m_analysis->isRunning()));
    if (m_calibrateAction)
        m_calibrateAction->setEnabled(!busy && m_model);
    if (m_benchmarkAction)
        m_benchmarkAction->setEnabled(!busy && m_model);
    if (m_saveStatisticsAction)
        m_saveStatisticsAction->setEnabled(m_calibration->statistics() != nullptr);
}

// Starting a job from one panel would supersede another's: each waits while another runs.
void MainWindow::shareWorker() {
    const bool evaluating = m_evaluation->isRunning();
    const bool calibrating = m_calibration->isRunning();
    const bool benchmarking = m_benchmark->isRunning();
    m_evaluation->setWorkerBusy(calibrating || benchmarking);
    m_calibration->setWorkerBusy(evaluating || benchmarking);
    m_benchmark->setWorkerBusy(evaluating || calibrating);
}

// The plan as edited, with the calibration statistics at hand, as a GGUF file.
void MainWindow::exportModel() {
    if (!m_model)
        return;
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Model"),
        QDir(planFolder())
            .filePath(QFileInfo(m_model->path).completeBaseName() + QStringLiteral(".gguf")),
        tr("GGUF models (*.gguf)"));
    auto* exporter = findChild<ModelExporter*>();
    if (!exporter)
        exporter = new ModelExporter(m_jobs, this);
    exporter->exportModel(m_model, m_plan->plan(), m_plan->name(), m_calibration->statistics(),
                          path, m_runs ? m_runs->recording() : RunRecording());
}

QString MainWindow::planFolder() const {
    const QString folder = QSettings().value(QStringLiteral("plans/folder")).toString();
    return folder.isEmpty() ? QDir::homePath() : folder;
}

void MainWindow::choosePlan() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Plan"), planFolder(),
                                                      tr("Plans (*.json);;All files (*)"));
    if (!path.isEmpty())
        openPlan(path);
}

void MainWindow::choosePlanSaveFile() {
    const QString name = m_plan->name().isEmpty() ? tr("plan") : m_plan->name();
    // A name is not always a good file name: keep letters, digits and a few separators.
    QString file = name;
    file.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("-"));
    QString path = QFileDialog::getSaveFileName(
        this, tr("Save Plan As"), QDir(planFolder()).filePath(file + QStringLiteral(".json")),
        tr("Plans (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".json");
    savePlan(path);
}

bool MainWindow::openPlan(const QString& path) {
    if (!m_model)
        return false;
    auto plan = cwb::loadPlanFile(path);
    if (!plan) {
        showErrorDialog(this, tr("Cannot Open Plan %1").arg(displayName(path)),
                        plan.error().message);
        return false;
    }
    const cwb::ResolvedPlan resolved = m_plan->loadPlan(*plan, QFileInfo(path).completeBaseName());
    m_plan->undoStack()->setClean();
    // Every rule that matched is applied; the ones that matched nothing are most likely typos
    // or written for another model, and the user should see which.
    if (resolved.warnings.isEmpty())
        m_planPage->warningStrip()->dismiss();
    else
        m_planPage->warningStrip()->showWarnings(
            resolved.warnings.size() == 1 ? tr("%1: a rule of the plan matches no tensor of %2")
                                                .arg(displayName(path), displayName(m_model->path))
                                          : tr("%1: %2 rules of the plan match no tensor of %3")
                                                .arg(displayName(path))
                                                .arg(resolved.warnings.size())
                                                .arg(displayName(m_model->path)),
            resolved.warnings);
    QSettings().setValue(QStringLiteral("plans/folder"), QFileInfo(path).absolutePath());
    statusBar()->showMessage(tr("Opened plan %1").arg(displayName(path)), 3000);
    return true;
}

bool MainWindow::savePlan(const QString& path) {
    if (!m_model)
        return false;
    if (m_plan->name().isEmpty())
        m_plan->setName(QFileInfo(path).completeBaseName());
    const auto saved = cwb::savePlanFile(m_plan->plan(), path);
    if (!saved) {
        showErrorDialog(this, tr("Cannot Save Plan"), saved.error().message);
        return false;
    }
    m_plan->undoStack()->setClean();
    QSettings().setValue(QStringLiteral("plans/folder"), QFileInfo(path).absolutePath());
    statusBar()->showMessage(tr("Saved plan %1").arg(displayName(path)), 3000);
    return true;
}

void MainWindow::applyPreset(const PlanPreset& preset) {
    if (!m_model)
        return;
    // The preset's rule for a separate output matrix matches nothing in a model that ties it to
    // the embedding; that is expected, so its warnings are not shown.
    m_plan->applyPlan(preset.plan, tr("Preset %1").arg(plainText(preset.text)));
    // A preset names an untitled plan, or one still named after another preset; a name the
    // user gave stays.
    const QList<PlanPreset> all = planPresets();
    const bool presetName = std::any_of(all.begin(), all.end(), [this](const PlanPreset& p) {
        return p.plan.name == m_plan->name();
    });
    if (m_plan->name().isEmpty() || presetName)
        m_plan->setName(preset.plan.name);
    m_planPage->warningStrip()->dismiss();
    statusBar()->showMessage(tr("Applied the preset %1").arg(plainText(preset.text)), 3000);
}

bool MainWindow::openModel(const QString& path, const QString& tokenizerPath) {
    auto loaded = cwb::loadModel(path, cwb::LoadOptions{tokenizerPath});
    if (!loaded) {
        if (tokenizerPath.isEmpty() && isMissingTokenizer(loaded.error()))
            askForTokenizer(path);
        else
            showErrorDialog(this, tr("Cannot Open %1").arg(displayName(path)),
                            loaded.error().message);
        return false;
    }
    setModel(std::move(loaded.value()));
    m_recent->add(path, tokenizerPath);
    return true;
}

bool MainWindow::openDemoModel() {
    return openModel(cwb::resources::demoModelPath());
}

void MainWindow::chooseModel() {
    const QString start = m_model && !m_model->path.startsWith(QLatin1String(":/"))
                              ? QFileInfo(m_model->path).path()
                              : QDir::homePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Model"), start,
        tr("Models (*.gguf *.bin);;GGUF files (*.gguf);;llama2.c checkpoints (*.bin);;"
           "All files (*)"));
    if (!path.isEmpty())
        openModel(path);
}

void MainWindow::askForTokenizer(const QString& modelPath) {
    // Non-blocking like the error boxes: the load resumes from fileSelected.
    auto* dialog = new QFileDialog(
        this, tr("Choose the Tokenizer for %1").arg(displayName(modelPath)),
        QFileInfo(modelPath).absolutePath(), tr("llama2.c tokenizers (*.bin);;All files (*)"));
    dialog->setObjectName(QStringLiteral("tokenizerDialog"));
    dialog->setFileMode(QFileDialog::ExistingFile);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this,
            [this, modelPath](const QString& tokenizer) { openModel(modelPath, tokenizer); });
    dialog->open();
}

void MainWindow::setModel(std::shared_ptr<const cwb::Model> model) {
    m_model = std::move(model);
    const cwb::Model& m = *m_model;
    m_summary->setSummary(cwb::describeModel(m), m.warnings);
    // A new plan for the new model: the old one's rows and undo steps name other tensors.
    m_plan->setModel(m_model);
    tensorView()->setRows(tensorRows(m));
    m_evaluation->setModel(m_model);
    // Statistics describe one model: the new one starts without.
    m_calibration->setModel(m_model);
    m_benchmark->setModel(m_model);
    m_analysis->setModel(m_model);
    m_detail->setModel(m_model);
    m_layerMap->setModel(m_model);
    m_tradeoff->setModel(m_model);
    m_distill->setTeacher(m_model);
    updateRunDocks();
    for (QAction* a : m_modelActions)
        a->setEnabled(true);
    updateJobActions();

    const bool bundled = m.path.startsWith(QLatin1String(":/"));
    const QString name = displayName(m.path);
    setWindowTitle(tr("%1 — Compression Workbench").arg(name));
    m_modelStatus->setText(tr("%1 · %2 parameters (%3) · %4")
                               .arg(bundled ? tr("%1 (bundled demo)").arg(name) : name,
                                    cwb::formatCount(m.parameterCount()),
                                    cwb::formatParameters(m.parameterCount()),
                                    cwb::formatBytes(m.storedBytes())));
    m_modelStatus->setToolTip(bundled ? tr("The demo model built into the application")
                                      : QDir::toNativeSeparators(m.path));
    statusBar()->showMessage(tr("Opened %1").arg(name), 3000);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, tr("About Compression Workbench"),
                       tr("<h3>Compression Workbench %1</h3>"
                          "<p>Shrink language models without breaking them: per-layer precision, "
                          "evaluation on your own CPU, and reports a reviewer can sign.</p>"
                          "<p>Built from commit %2. Licensed under the GNU GPL, version 3 or "
                          "later.</p>")
                           .arg(QStringLiteral(CWB_VERSION), QStringLiteral(CWB_GIT_COMMIT)));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_jobs->hasJobs() && !confirmCloseWhileRunning()) {
        event->ignore();
        return;
    }
    saveSettings();
    m_evaluation->cancel();
    m_calibration->cancel();
    m_benchmark->cancel();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!droppedFile(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QString path = droppedFile(event->mimeData());
    if (path.isEmpty())
        return;
    event->acceptProposedAction();
    openModel(path);
}

void MainWindow::restoreSettings() {
    QSettings settings;
    settings.beginGroup(QStringLiteral("mainWindow"));
    if (!restoreGeometry(settings.value(QStringLiteral("geometry")).toByteArray())) {
        // Room for the table and the panels beside the dock, on screens that have it.
        const QSize wanted(1500, 940);
        const QSize least(1280, 820);
        resize(screen() ? wanted.boundedTo(screen()->availableSize() * 0.95).expandedTo(least)
                        : wanted);
    }
    restoreState(settings.value(QStringLiteral("state")).toByteArray());
    // The evaluation's results want some 1,080 pixels beside the dock; the dock takes the rest,
    // within what its plots need.
    if (settings.value(QStringLiteral("state")).isNull())
        resizeDocks({m_detailDock}, {std::clamp(width() - 1080, 320, 440)}, Qt::Horizontal);
    if (!m_mainSplitter->restoreState(settings.value(QStringLiteral("mainSplitter")).toByteArray()))
        m_mainSplitter->setSizes({height(), m_bottomTabs->sizeHint().height()});
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.beginGroup(QStringLiteral("mainWindow"));
    settings.setValue(QStringLiteral("geometry"), saveGeometry());
    settings.setValue(QStringLiteral("state"), saveState());
    settings.setValue(QStringLiteral("mainSplitter"), m_mainSplitter->saveState());
}

// The jobs panel under the tensor's docks, where a glance finds it; the trade-off explorer and
// the layer map tabbed with the tensor detail, each a click away and free to float or move.
void MainWindow::createWorkbenchDocks() {
    const auto features = QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                          QDockWidget::DockWidgetFloatable;
    m_jobsPanel = new JobsPanel(m_jobs, this);
    m_tradeoff = new TradeoffExplorer(this);
    m_layerMap = new LayerMap(m_jobs, this);
    m_jobsDock = new QDockWidget(tr("Jobs"), this);
    m_tradeoffDock = new QDockWidget(tr("Trade-off Explorer"), this);
    m_layerMapDock = new QDockWidget(tr("Layer Map"), this);
    const std::pair<QDockWidget*, QWidget*> docks[] = {
        {m_jobsDock, m_jobsPanel}, {m_tradeoffDock, m_tradeoff}, {m_layerMapDock, m_layerMap}};
    for (auto [dock, widget] : docks) {
        dock->setWidget(widget);
        dock->setFeatures(features);
    }
    m_jobsDock->setObjectName(QStringLiteral("jobsDock"));
    m_tradeoffDock->setObjectName(QStringLiteral("tradeoffDock"));
    m_layerMapDock->setObjectName(QStringLiteral("layerMapDock"));
    tabifyDockWidget(m_detailDock, m_layerMapDock);
    tabifyDockWidget(m_layerMapDock, m_tradeoffDock);
    // Distillation, tabbed with them: its loss curve needs the same room as their plots. It
    // trains on the bundled TinyStories sample; students go beside the run database.
    m_distill = new DistillPanel(m_jobs, this);
    m_distillDock = new QDockWidget(tr("Distillation"), this);
    m_distillDock->setObjectName(QStringLiteral("distillDock"));
    m_distillDock->setWidget(m_distill);
    m_distillDock->setFeatures(features);
    tabifyDockWidget(m_tradeoffDock, m_distillDock);
    if (auto text = cwb::readTextFile(cwb::resources::demoCalibrationText()))
        m_distill->setTrainingText(*text, cwb::resources::demoCalibrationText());
    connect(m_distill, &DistillPanel::openStudentRequested, this,
            [this](const QString& path) { openModel(path); });
    // Below the tabs, not among them (splitDockWidget() on a tabbed dock would add a tab).
    addDockWidget(Qt::RightDockWidgetArea, m_jobsDock, Qt::Vertical);
    resizeDocks({m_jobsDock}, {120}, Qt::Vertical);
    m_summaryDock->raise();

    // Cancelled from the jobs panel through the panel that started it, which then shows so.
    m_jobs->nameJobsOf(m_evaluation, tr("Evaluation"), [this] { m_evaluation->cancel(); });
    m_jobs->nameJobsOf(m_calibration, tr("Calibration"), [this] { m_calibration->cancel(); });
    m_jobs->nameJobsOf(m_benchmark, tr("Benchmark"), [this] { m_benchmark->cancel(); });
    m_layerMap->setPlanModel(m_plan);
    connect(m_layerMap, &LayerMap::tensorActivated, this,
            [this](const QString& tensor) { tensorView()->selectTensor(tensor); });
    connect(tensorView(), &TensorView::currentTensorChanged, m_layerMap, &LayerMap::selectTensor);
    connect(m_tradeoff, &TradeoffExplorer::planRequested, this, &MainWindow::openRunPlan);
}

void MainWindow::createWorkbenchActions(QMenu* file, QMenu* view) {
    QAction* exportPlot = new QAction(tr("Export &Trade-off Plot…"), this);
    exportPlot->setObjectName(QStringLiteral("exportPlotAction"));
    exportPlot->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    exportPlot->setToolTip(tr("Save the trade-off plot as PNG, SVG or PDF"));
    connect(exportPlot, &QAction::triggered, this, [this] {
        m_tradeoffDock->show();
        m_tradeoffDock->raise();
        m_tradeoff->chooseExportFile();
    });
    const QList<QAction*> fileActions = file->actions();
    QAction* quit = fileActions.isEmpty() ? nullptr : fileActions.last();
    file->insertAction(quit, exportPlot);
    file->insertSeparator(quit);

    view->addSeparator();
    const struct {
        QDockWidget* dock;
        const char* name;
        QKeySequence key;
        QString tip;
    } toggles[] = {
        {m_jobsDock, "showJobsAction", QKeySequence(Qt::CTRL | Qt::Key_J),
         tr("Show the running and waiting jobs, with their progress and Cancel")},
        {m_tradeoffDock, "showTradeoffAction", QKeySequence(Qt::CTRL | Qt::Key_T),
         tr("Show every stored run of this model over two metrics, with the Pareto frontier")},
        {m_layerMapDock, "showLayerMapAction", QKeySequence(Qt::CTRL | Qt::Key_L),
         tr("Show the layers × matrices grid coloured by precision, error or sensitivity")},
    };
    for (const auto& t : toggles) {
        QAction* a = t.dock->toggleViewAction();
        a->setObjectName(QLatin1String(t.name));
        a->setShortcut(t.key);
        a->setToolTip(t.tip);
        view->addAction(a);
    }
    QAction* refresh = view->addAction(tr("&Refresh Runs"), m_tradeoff, &TradeoffExplorer::refresh);
    refresh->setObjectName(QStringLiteral("refreshRunsAction"));
    refresh->setShortcut(QKeySequence::Refresh);
    refresh->setToolTip(tr("Read the stored runs again"));
}

// Asks whether to cancel the running and waiting jobs to close; if so, cancels them and waits
// for the worker to stop, so that nothing is left half-written.
bool MainWindow::confirmCloseWhileRunning() {
    QMessageBox box(QMessageBox::Question, tr("Jobs Are Running"),
                    m_jobs->jobs().size() == 1
                        ? tr("A job is running or waiting. Cancel it and close?")
                        : tr("%1 jobs are running or waiting. Cancel them and close?")
                              .arg(m_jobs->jobs().size()),
                    QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("closeWhileRunningDialog"));
    box.setInformativeText(tr("What they have computed so far is not kept."));
    QPushButton* close = box.addButton(tr("Cancel Jobs and Close"), QMessageBox::AcceptRole);
    box.addButton(tr("Keep Running"), QMessageBox::RejectRole);
    box.setDefaultButton(close);
    box.exec();
    if (box.clickedButton() != close)
        return false;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    m_evaluation->cancel();
    m_calibration->cancel();
    m_benchmark->cancel();
    m_jobs->shutdown(); // cancels the rest and waits for the worker to return
    QApplication::restoreOverrideCursor();
    return true;
}

bool MainWindow::openRunPlan(qint64 runId, const QJsonObject& json, const QString& name) {
    if (!m_model)
        return false;
    auto plan = cwb::parsePlan(QJsonDocument(json).toJson());
    if (!plan) {
        showErrorDialog(this, tr("Cannot Open the Plan of Run %1").arg(runId),
                        plan.error().message);
        return false;
    }
    const cwb::ResolvedPlan resolved = m_plan->loadPlan(*plan, name);
    if (resolved.warnings.isEmpty())
        m_planPage->warningStrip()->dismiss();
    else
        m_planPage->warningStrip()->showWarnings(
            tr("Run %1: %2 of its plan's rules match no tensor of this model")
                .arg(runId)
                .arg(resolved.warnings.size()),
            resolved.warnings);
    statusBar()->showMessage(tr("Opened the plan of run %1 (%2)").arg(runId).arg(name), 3000);
    return true;
}

// The run database and its docks, under the tensor table and the panels, tabbed: the run list,
// the diff of two runs, the cost of the selected run.
void MainWindow::createRunDocks() {
    m_runs = new RunLibrary(this);
    m_runs->open(RunDatabaseLocation::path());
    m_evaluation->setRunLibrary(m_runs);
    m_calibration->setRunLibrary(m_runs);
    m_distill->setRunLibrary(m_runs);
    const auto studentFolder = [this] {
        m_distill->setOutputFolder(
            QFileInfo(m_runs->path()).dir().filePath(QStringLiteral("students")));
    };
    studentFolder();
    connect(m_runs, &RunLibrary::databaseChanged, this, studentFolder);
    m_benchmark->setRunLibrary(m_runs);

    const auto features = QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                          QDockWidget::DockWidgetFloatable;
    m_runList = new RunListPanel(m_runs, this);
    m_runDiff = new RunDiffView(m_runs, this);
    m_cost = new CostPanel(m_runs, this);
    m_runListDock = new QDockWidget(tr("Runs"), this);
    m_runDiffDock = new QDockWidget(tr("Run Diff"), this);
    m_costDock = new QDockWidget(tr("Cost"), this);
    const std::pair<QDockWidget*, QWidget*> docks[] = {
        {m_runListDock, m_runList}, {m_runDiffDock, m_runDiff}, {m_costDock, m_cost}};
    for (auto [dock, widget] : docks) {
        dock->setWidget(widget);
        dock->setFeatures(features);
    }
    m_runListDock->setObjectName(QStringLiteral("runListDock"));
    m_runDiffDock->setObjectName(QStringLiteral("runDiffDock"));
    m_costDock->setObjectName(QStringLiteral("costDock"));
    // The right column keeps its whole height, which the tensor detail's plots need; the run
    // docks take the width under the tensor table.
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    addDockWidget(Qt::BottomDockWidgetArea, m_runListDock);
    tabifyDockWidget(m_runListDock, m_runDiffDock);
    tabifyDockWidget(m_runDiffDock, m_costDock);
    m_runListDock->raise();
    resizeDocks({m_runListDock}, {220}, Qt::Vertical);

    connect(m_runList, &RunListPanel::currentRunChanged, m_cost, &CostPanel::setRun);
    connect(m_runList, &RunListPanel::planRequested, this, &MainWindow::openPlanOfRun);
    connect(m_runList, &RunListPanel::compareRequested, this, &MainWindow::compareRuns);
    connect(m_runList, &RunListPanel::reportRequested, this, &MainWindow::chooseReportFile);
    connect(m_runs, &RunLibrary::runRecorded, this, &MainWindow::onRunRecorded);
    connect(m_runs, &RunLibrary::databaseChanged, this, [this](const QString& path) {
        m_tradeoff->setDatabasePath(path);
        if (!m_runs->problem().isEmpty())
            statusBar()->showMessage(m_runs->problem(), 10000);
    });
    // The trade-off explorer reads the same database and keeps its selection in step.
    m_tradeoff->setDatabasePath(m_runs->path());
    connect(m_runs, &RunLibrary::runsChanged, m_tradeoff, &TradeoffExplorer::refresh);
    connect(m_tradeoff, &TradeoffExplorer::runSelected, this, &MainWindow::selectRun);
    connect(m_runList, &RunListPanel::currentRunChanged, m_tradeoff, &TradeoffExplorer::selectRun);
    connect(m_runList, &RunListPanel::currentRunChanged, this, &MainWindow::showRunSensitivity);
    if (!m_runs->problem().isEmpty())
        statusBar()->showMessage(m_runs->problem(), 10000);
}

void MainWindow::createRunActions(QMenu* file, QMenu* view) {
    QAction* database = new QAction(tr("Run &Database…"), this);
    database->setObjectName(QStringLiteral("runDatabaseAction"));
    database->setToolTip(tr("Choose the SQLite file the window keeps its runs in"));
    connect(database, &QAction::triggered, this, &MainWindow::chooseRunDatabase);
    const QList<QAction*> fileActions = file->actions();
    QAction* quit = fileActions.isEmpty() ? nullptr : fileActions.last();
    file->insertAction(quit, database);
    file->insertSeparator(quit);

    view->addSeparator();
    const struct {
        QDockWidget* dock;
        const char* name;
        QString tip;
    } toggles[] = {
        {m_runListDock, "showRunsAction",
         tr("Show every recorded run: sort, filter, open a run's plan, compare two")},
        {m_runDiffDock, "showRunDiffAction",
         tr("Show two runs side by side: metric changes and the tensors that differ")},
        {m_costDock, "showCostAction",
         tr("Show what serving the selected run would cost on each hardware profile")},
    };
    for (const auto& t : toggles) {
        QAction* a = t.dock->toggleViewAction();
        a->setObjectName(QLatin1String(t.name));
        a->setToolTip(t.tip);
        view->addAction(a);
    }

    // View ▸ Refresh Runs reads the database again for every view of it.
    if (auto* refresh = findChild<QAction*>(QStringLiteral("refreshRunsAction")))
        connect(refresh, &QAction::triggered, m_runs, &RunLibrary::notifyRunsChanged);

    QMenu* tools = menuBar()->addMenu(tr("&Tools"));
    tools->setObjectName(QStringLiteral("toolsMenu"));
    QAction* hardware =
        tools->addAction(tr("&Hardware Profiles…"), this, &MainWindow::showHardwareProfiles);
    hardware->setObjectName(QStringLiteral("hardwareProfilesAction"));
    hardware->setToolTip(tr("The machines the cost panel prices runs on: add, edit, remove"));
    QAction* distill = tools->addAction(tr("&Distill…"), this, [this] {
        m_distillDock->show();
        m_distillDock->raise();
    });
    distill->setObjectName(QStringLiteral("distillAction"));
    distill->setToolTip(tr("Train a smaller student on the open model's soft labels; it is "
                           "recorded as a run, with the prune run that made it"));
}

void MainWindow::showRunSensitivity(qint64 id) {
    // A searched run records each tensor's measured loss; other runs leave the map as it is.
    cwb::RunStore* store = m_runs->store();
    if (!store || id <= 0)
        return;
    auto run = store->get(id);
    if (!run)
        return;
    QHash<QString, double> sensitivity;
    for (const cwb::TensorResult& t : run->tensors)
        if (t.sensitivity)
            sensitivity.insert(t.tensor, *t.sensitivity);
    if (!sensitivity.isEmpty())
        m_layerMap->setSensitivity(sensitivity);
}

bool MainWindow::exportReport(qint64 run, qint64 baseline, const QString& path) {
    cwb::RunStore* store = m_runs->store();
    if (!store) {
        showErrorDialog(this, tr("Cannot Export the Report"), tr("No run database is open."));
        return false;
    }
    cwb::ReportOptions options;
    if (baseline > 0)
        options.baselineRunId = baseline;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    auto report = cwb::buildReport(*store, run, options);
    auto written = report ? writeReport(*report, path) : cwb::Result<void>(report.error());
    QApplication::restoreOverrideCursor();
    if (!written) {
        showErrorDialog(this, tr("Cannot Export the Report"), written.error().message);
        return false;
    }
    statusBar()->showMessage(tr("Report of run %1 written to %2").arg(run).arg(path), 8000);
    return true;
}

void MainWindow::chooseReportFile(qint64 run, qint64 baseline) {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Report of Run %1").arg(run),
        QDir(planFolder()).filePath(QStringLiteral("run-%1-report.pdf").arg(run)),
        tr("PDF for review (*.pdf);;Self-contained HTML (*.html);;JSON, for cwb reproduce "
           "(*.json)"));
    if (!path.isEmpty())
        exportReport(run, baseline, path);
}

void MainWindow::updateRunDocks() {
    // The path as runs record it (core's modelIdentity), then the fingerprint when it is known.
    const QString path = m_model->path.startsWith(QLatin1Char(':'))
                             ? m_model->path
                             : QFileInfo(m_model->path).absoluteFilePath();
    m_runList->setModelIdentity(path, {});
    const quint64 generation = ++m_fingerprintGeneration;
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, path] {
        watcher->deleteLater();
        if (generation == m_fingerprintGeneration)
            m_runList->setModelIdentity(path, watcher->result());
    });
    watcher->setFuture(m_calibration->request().fingerprint);
}

bool MainWindow::selectRun(qint64 id) {
    return m_runList->selectRun(id);
}

bool MainWindow::compareRuns(qint64 a, qint64 b) {
    if (!m_runDiff->compare(a, b))
        return false;
    m_runDiffDock->show();
    m_runDiffDock->raise();
    return true;
}

bool MainWindow::openPlanOfRun(qint64 id) {
    const QString title = tr("Cannot Open the Plan of Run %1").arg(id);
    if (!m_model) {
        showErrorDialog(this, title, tr("Open the model the run was made with first."));
        return false;
    }
    auto run = m_runs->run(id);
    if (!run) {
        showErrorDialog(this, title, run.error().message);
        return false;
    }
    if (!run->model) {
        showErrorDialog(this, title, tr("Run %1 records no model.").arg(id));
        return false;
    }
    if (run->plan.isEmpty()) {
        showErrorDialog(this, title, tr("Run %1 is a %2: it has no plan.").arg(id).arg(run->kind));
        return false;
    }
    const QFuture<QString> pending = m_calibration->request().fingerprint;
    const QString sha = pending.isValid() ? pending.result() : cwb::modelFingerprint(*m_model);
    if (run->model->sha256 != sha) {
        showErrorDialog(this, title,
                        tr("Run %1 was made with %2 (sha256 %3…), not with the open model %4 "
                           "(sha256 %5…): open that model to use the run's plan.")
                            .arg(id)
                            .arg(displayName(run->model->path), run->model->sha256.left(12),
                                 displayName(m_model->path), sha.left(12)));
        return false;
    }
    return openRunPlan(id, run->plan, run->name);
}

bool MainWindow::setRunDatabase(const QString& path) {
    RunDatabaseLocation::setChosenPath(path);
    return m_runs->open(RunDatabaseLocation::path());
}

void MainWindow::chooseRunDatabase() {
    auto* dialog = new RunDatabaseDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (!setRunDatabase(dialog->chosenPath()))
            showErrorDialog(this, tr("Cannot Open the Run Database"), m_runs->problem());
    });
    dialog->open();
}

HardwareDialog* MainWindow::hardwareDialog() const {
    return findChild<HardwareDialog*>(QStringLiteral("hardwareDialog"));
}

HardwareDialog* MainWindow::showHardwareProfiles() {
    if (HardwareDialog* open = hardwareDialog()) {
        open->raise();
        open->activateWindow();
        return open;
    }
    auto* dialog = new HardwareDialog(m_runs, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::finished, dialog, [dialog] { dialog->setObjectName({}); });
    dialog->show();
    return dialog;
}

// A run this window recorded: an evaluation becomes the current run (the cost panel prices it)
// and its cost is noted under the result.
void MainWindow::onRunRecorded(qint64 id) {
    auto run = m_runs->run(id);
    if (!run || run->status != cwb::RunStatus::Finished)
        return;
    statusBar()->showMessage(tr("Recorded %1 run %2").arg(run->kind).arg(id), 3000);
    if (run->kind != QLatin1String("evaluation"))
        return;
    selectRun(id);
    auto cost = projectRunCost(*m_runs, *run, m_cost->workload());
    if (!cost || !cost->cheapest) {
        m_evaluation->setRunNote(tr("Recorded as run %1.").arg(id));
        return;
    }
    const cwb::ProfileCost& c = cost->profiles[*cost->cheapest];
    m_evaluation->setRunNote(
        tr("Recorded as run %1 · serving it: %2 per 1,000 queries on %3, the cheapest "
           "that fits")
            .arg(id)
            .arg(formatDollars(c.dollarsPer1000Queries), c.profile.name),
        tr("%1 prompt + %2 output tokens per query; the Cost dock ranks every hardware profile "
           "and says how it was computed")
            .arg(cost->workload.promptTokens)
            .arg(cost->workload.outputTokens));
}
