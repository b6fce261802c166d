// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "errordialog.h"
#include "evaluationpanel.h"
#include "jobrunner.h"
#include "model.h"
#include "modelsummary.h"
#include "modelsummaryview.h"
#include "recentfiles.h"
#include "resources.h"
#include "tensorrow.h"
#include "tensorview.h"
#include "version.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>
#include <QVBoxLayout>

namespace {

// The only failure the user can repair from here: by choosing the tokenizer.
bool isMissingTokenizer(const cwb::Error& error) {
    return error.kind == cwb::ErrorKind::TokenizerNotFound;
}

QString displayName(const QString& path) {
    return QFileInfo(path).fileName();
}

// One local file, or nothing: a window shows one model at a time.
QString droppedFile(const QMimeData* mime) {
    const QList<QUrl> urls = mime->urls();
    if (urls.size() != 1 || !urls.first().isLocalFile())
        return {};
    const QString path = urls.first().toLocalFile();
    return QFileInfo(path).isFile() ? path : QString();
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
    , m_tensors(new TensorView(this))
    , m_evaluation(new EvaluationPanel(m_jobs, this))
    , m_topSplitter(new QSplitter(Qt::Horizontal, this))
    , m_mainSplitter(new QSplitter(Qt::Vertical, this))
    , m_modelStatus(new QLabel(this)) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(QStringLiteral("Compression Workbench"));
    setAcceptDrops(true);

    m_topSplitter->addWidget(framed(tr("Architecture"), m_summary, m_topSplitter));
    m_topSplitter->addWidget(framed(tr("Tensors"), m_tensors, m_topSplitter));
    m_topSplitter->setStretchFactor(0, 2);
    m_topSplitter->setStretchFactor(1, 3);
    m_topSplitter->setChildrenCollapsible(false);
    m_mainSplitter->addWidget(m_topSplitter);
    m_mainSplitter->addWidget(m_evaluation);
    m_mainSplitter->setStretchFactor(0, 1);
    m_mainSplitter->setStretchFactor(1, 0);
    m_mainSplitter->setChildrenCollapsible(false);
    m_mainSplitter->setContentsMargins(6, 6, 6, 0);
    setCentralWidget(m_mainSplitter);

    m_modelStatus->setObjectName(QStringLiteral("modelStatus"));
    statusBar()->addPermanentWidget(m_modelStatus);
    createMenus();
    restoreSettings();
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
    QMenu* recentMenu = file->addMenu(tr("Open &Recent"));
    m_recent = new RecentFiles(recentMenu, this);
    connect(m_recent, &RecentFiles::openRequested, this,
            [this](const QString& path, const QString& tokenizer) { openModel(path, tokenizer); });
    file->addAction(tr("Open &Demo Model"), this, &MainWindow::openDemoModel)
        ->setStatusTip(tr("Open the bundled stories260K model"));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    // QKeySequence::Quit is empty on some desktops and platforms; Ctrl+Q is what users expect.
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);

    QMenu* evaluation = menuBar()->addMenu(tr("&Evaluation"));
    QAction* evaluate =
        evaluation->addAction(style()->standardIcon(QStyle::SP_MediaPlay),
                              tr("&Evaluate Perplexity"), m_evaluation, &EvaluationPanel::evaluate);
    evaluate->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    QAction* cancel = evaluation->addAction(style()->standardIcon(QStyle::SP_MediaStop),
                                            tr("&Cancel"), m_evaluation, &EvaluationPanel::cancel);
    evaluate->setEnabled(false);
    cancel->setEnabled(false);
    evaluation->addAction(tr("Choose &Text…"), m_evaluation, &EvaluationPanel::chooseText);
    connect(m_evaluation, &EvaluationPanel::runningChanged, this, [=, this](bool running) {
        evaluate->setEnabled(!running && m_model);
        cancel->setEnabled(running);
    });

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
    tools->addAction(evaluate);
    tools->addAction(cancel);
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
    m_tensors->setRows(tensorRows(m));
    m_evaluation->setModel(m_model);

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
    saveSettings();
    m_evaluation->cancel();
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
    if (!restoreGeometry(settings.value(QStringLiteral("geometry")).toByteArray()))
        resize(1280, 820);
    restoreState(settings.value(QStringLiteral("state")).toByteArray());
    if (!m_topSplitter->restoreState(settings.value(QStringLiteral("topSplitter")).toByteArray()))
        m_topSplitter->setSizes({460, 820});
    if (!m_mainSplitter->restoreState(settings.value(QStringLiteral("mainSplitter")).toByteArray()))
        m_mainSplitter->setSizes({height(), m_evaluation->sizeHint().height()});
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.beginGroup(QStringLiteral("mainWindow"));
    settings.setValue(QStringLiteral("geometry"), saveGeometry());
    settings.setValue(QStringLiteral("state"), saveState());
    settings.setValue(QStringLiteral("topSplitter"), m_topSplitter->saveState());
    settings.setValue(QStringLiteral("mainSplitter"), m_mainSplitter->saveState());
}
