// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysisactions.h"

#include "calibrationpanel.h"
#include "costpanel.h"
#include "errordialog.h"
#include "evaluationpanel.h"
#include "evaluationresultview.h"
#include "jobrunner.h"
#include "layermap.h"
#include "mainwindow.h"
#include "precisionplanmodel.h"
#include "runlibrary.h"
#include "searchdialog.h"
#include "tensortablemodel.h"
#include "tensorview.h"

#include "costmodel.h"
#include "searchrecord.h"

#include <QAction>
#include <QDockWidget>
#include <QMenu>
#include <QStatusBar>

namespace {

QHash<QString, double> referenceLosses(const cwb::SensitivityResult& r) {
    const cwb::PrecisionId ref = cwb::referencePrecision(r);
    QHash<QString, double> losses;
    for (const cwb::TensorSensitivity& t : r.tensors)
        if (const cwb::PrecisionLoss* l = t.at(ref))
            losses.insert(t.name, l->kldMean);
    return losses;
}

} // namespace

AnalysisActions::AnalysisActions(MainWindow* window)
    : QObject(window)
    , m_window(window)
    , m_analysis(new SensitivityAnalysis(window->jobRunner(), window->runLibrary(), this)) {
    window->jobRunner()->nameJobsOf(m_analysis, tr("Sensitivity"), [this] { cancel(); });
    connect(m_analysis, &SensitivityAnalysis::measured, this, &AnalysisActions::onMeasured);
    connect(m_analysis, &SensitivityAnalysis::searched, this, &AnalysisActions::onSearched);
    connect(m_analysis, &SensitivityAnalysis::failed, this, &AnalysisActions::onFailed);
    connect(m_analysis, &SensitivityAnalysis::runningChanged, this, [this](bool running) {
        updateActions();
        emit runningChanged(running);
    });
    connect(m_analysis, &SensitivityAnalysis::progressed, this,
            [this](double fraction, const QString& stage) {
                m_window->statusBar()->showMessage(
                    tr("%1: %2% %3").arg(m_what).arg(int(fraction * 100)).arg(stage));
            });
}

void AnalysisActions::addTo(QMenu* menu) {
    menu->addSeparator();
    m_sensitivityAction =
        menu->addAction(tr("Run Se&nsitivity"), this, &AnalysisActions::runSensitivity);
    m_sensitivityAction->setObjectName(QStringLiteral("runSensitivityAction"));
    m_sensitivityAction->setToolTip(
        tr("Measure how much each matrix alone hurts the model at each candidate precision, on "
           "the evaluation text; shown in the layer map and the tensor table"));
    m_searchAction = menu->addAction(tr("Searc&h…"), this, &AnalysisActions::showSearchDialog);
    m_searchAction->setObjectName(QStringLiteral("searchAction"));
    m_searchAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    m_searchAction->setToolTip(
        tr("Find the precisions with the least predicted loss within a budget, evaluate the plan "
           "and record it as a run"));
    updateActions();
}

void AnalysisActions::setModel(const std::shared_ptr<const cwb::Model>& model) {
    cancel();
    m_model = model;
    m_lastSearch.reset();
    m_window->tensorView()->sourceModel()->setSensitivity(nullptr);
    m_window->tensorView()->sourceModel()->setSearchReasons({});
    if (m_dialog)
        m_dialog->reject();
    updateActions();
}

void AnalysisActions::updateActions() {
    const bool can = m_model && !isRunning();
    if (m_sensitivityAction)
        m_sensitivityAction->setEnabled(can);
    if (m_searchAction)
        m_searchAction->setEnabled(can);
}

// The evaluation panel's text and settings; the calibration panel's statistics with the plan's
// default method, when the method needs them and they are there (rtn otherwise, said in `note`).
AnalysisInputs AnalysisActions::inputs(QString* note) const {
    AnalysisInputs in;
    in.model = m_model;
    in.textPath = m_window->evaluationPanel()->textPath();
    in.eval = m_window->evaluationPanel()->options();
    const PrecisionPlanModel* plan = m_window->planModel();
    const cwb::QuantMethod method = plan->defaultMethod();
    if (method == cwb::QuantMethod::Rtn)
        return in;
    if (auto stats = m_window->calibrationPanel()->statistics()) {
        in.stats = stats;
        in.calibration = plan->calibrationSettings();
    } else if (note) {
        *note = tr("measured with rtn: the plan's method %1 needs calibration statistics")
                    .arg(cwb::methodName(method));
    }
    return in;
}

bool AnalysisActions::runSensitivity() {
    if (!m_model || isRunning())
        return false;
    QString note;
    const AnalysisInputs in = inputs(&note);
    m_jobModel = m_model;
    m_what = tr("Sensitivity");
    m_analysis->measure(in);
    m_window->statusBar()->showMessage(note.isEmpty()
                                           ? tr("Measuring sensitivity…")
                                           : tr("Measuring sensitivity (%1)…").arg(note));
    return isRunning();
}

SearchDialog* AnalysisActions::showSearchDialog() {
    if (!m_model)
        return nullptr;
    if (m_dialog) {
        m_dialog->raise();
        m_dialog->activateWindow();
        return m_dialog;
    }
    std::vector<cwb::HardwareProfile> profiles;
    if (auto listed = m_window->runLibrary()->hardwareProfiles())
        profiles = std::move(listed.value());
    m_dialog = new SearchDialog(std::move(profiles), m_window->planModel()->size(), m_window);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &QDialog::accepted, this, [this] {
        if (auto request = requestOf(*m_dialog))
            search(*request);
    });
    m_dialog->open();
    return m_dialog;
}

std::optional<SearchRequest> AnalysisActions::requestOf(const SearchDialog& dialog) {
    SearchRequest r;
    r.options.budget.kind = dialog.kind();
    r.options.budget.value = dialog.value();
    r.options.maxKld = dialog.maxKld();
    r.sweep = dialog.sweep();
    if (dialog.kind() != cwb::BudgetKind::DollarsPer1000Queries)
        return r;
    const cwb::HardwareProfile* profile = dialog.profile();
    cwb::RunStore* store = m_window->runLibrary()->store();
    const QString title = tr("Cannot Search a Plan");
    if (!profile || !store) {
        showErrorDialog(m_window, title,
                        tr("A $ budget is priced on a hardware profile of the run database, and "
                           "none is available."));
        return std::nullopt;
    }
    auto efficiency = cwb::efficiencyFromStore(*store, cwb::RunRecord{});
    if (!efficiency) {
        showErrorDialog(m_window, title, efficiency.error().message);
        return std::nullopt;
    }
    r.options.budget.pricing =
        cwb::CostContext{*profile, m_window->costPanel()->workload(), *efficiency};
    return r;
}

bool AnalysisActions::search(const SearchRequest& request) {
    if (!m_model || isRunning())
        return false;
    QString note;
    const AnalysisInputs in = inputs(&note);
    m_jobModel = m_model;
    m_what = tr("Search");
    m_analysis->search(in, request);
    const QString budget = request.options.budget.describe();
    m_window->statusBar()->showMessage(
        note.isEmpty() ? tr("Searching a plan within %1…").arg(budget)
                       : tr("Searching a plan within %1 (%2)…").arg(budget, note));
    return isRunning();
}

void AnalysisActions::cancel() {
    if (!isRunning())
        return;
    m_analysis->cancel();
    m_window->statusBar()->showMessage(tr("Analysis cancelled"), 3000);
}

void AnalysisActions::showSensitivity(std::shared_ptr<const cwb::SensitivityResult> result) {
    m_window->tensorView()->sourceModel()->setSensitivity(result);
    LayerMap* map = m_window->layerMap();
    map->setSensitivity(referenceLosses(*result));
    map->setMode(LayerMapModel::Mode::Sensitivity);
    m_window->layerMapDock()->show();
    m_window->layerMapDock()->raise();
}

void AnalysisActions::onMeasured(const cwb::SensitivityResult& result, qint64 runId) {
    if (m_window->model() != m_jobModel)
        return;
    showSensitivity(std::make_shared<const cwb::SensitivityResult>(result));
    const QString measured = tr("Sensitivity of %1 tensors at %2 precisions measured")
                                 .arg(result.tensors.size())
                                 .arg(result.precisions.size());
    const QString cost = result.cost.fromCache
                             ? tr("read back from an earlier identical measurement")
                             : tr("the processor time of %1 full evaluations")
                                   .arg(result.cost.fullEvaluations(), 0, 'f', 1);
    m_window->statusBar()->showMessage(
        runId > 0 ? tr("%1 (%2); recorded as run %3").arg(measured, cost).arg(runId)
                  : tr("%1 (%2)").arg(measured, cost),
        10000);
    emit sensitivityShown();
}

void AnalysisActions::onSearched(const SearchOutcome& outcome) {
    if (m_window->model() != m_jobModel)
        return;
    const cwb::SearchResult& s = outcome.search;
    m_window->planModel()->loadPlan(s.plan, s.plan.name);
    if (outcome.runId > 0)
        m_window->selectRun(outcome.runId);
    // After the run is selected, which shows its per-tensor predicted losses: the map and the
    // column show the same measured losses.
    showSensitivity(std::make_shared<const cwb::SensitivityResult>(outcome.sensitivity));
    m_window->tensorView()->sourceModel()->setSearchReasons(s.tensors);
    m_lastSearch = outcome;

    const double measured = outcome.measured.metrics.kldMean;
    QString note = tr("Searched within %1: %2 bpw, predicted mean KLD %3, measured %4")
                       .arg(s.budget.describe())
                       .arg(s.size.bitsPerWeight, 0, 'f', 3)
                       .arg(s.predictedKld, 0, 'g', 3)
                       .arg(measured, 0, 'g', 3);
    if (outcome.runId > 0)
        note += tr("; recorded as run %1").arg(outcome.runId);
    if (!outcome.frontierRuns.empty() || !outcome.skipped.isEmpty())
        note += tr("; sweep: %n plan(s) recorded", nullptr, int(outcome.frontierRuns.size()));
    if (!outcome.skipped.isEmpty())
        note += tr(", %n budget(s) no plan reaches", nullptr, int(outcome.skipped.size()));
    EvaluationPanel* panel = m_window->evaluationPanel();
    if (!panel->isRunning()) {
        panel->resultView()->showComparison(outcome.measured, s.plan.name);
        panel->setRunNote(note, outcome.skipped.join(QLatin1Char('\n')));
    }
    if (!outcome.frontierRuns.empty()) {
        m_window->tradeoffDock()->show();
        m_window->tradeoffDock()->raise();
    }
    m_window->statusBar()->showMessage(note, 15000);
    emit searchApplied();
}

void AnalysisActions::onFailed(const QString& what, const cwb::Error& error) {
    m_window->statusBar()->clearMessage();
    showErrorDialog(m_window,
                    what == tr("Search") ? tr("Cannot Search a Plan") : tr("Sensitivity Failed"),
                    error.message);
}
