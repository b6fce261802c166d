// SPDX-License-Identifier: GPL-3.0-or-later
#include "tradeoffexplorer.h"

#include "errordialog.h"
#include "fingerprint.h"
#include "lineage.h"
#include "model.h"
#include "modelsummary.h"
#include "tooltip.h"
#include "tradeoffplot.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QSettings>
#include <QStandardPaths>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <cmath>

using cwb::RunMetric;

struct TradeoffExplorer::Loaded {
    quint64 generation = 0;
    QString fingerprint;
    std::vector<cwb::RunRecord> runs;
    std::vector<cwb::HardwareProfile> profiles;
    cwb::Efficiency efficiency;
    QString error;
};

namespace {

// Read on a pool thread: the model's fingerprint (hashing every byte of a large model takes a
// while, so once per model) and its finished runs, with one RunStore of its own.
TradeoffExplorer::Loaded loadRuns(quint64 generation,
                                  const std::shared_ptr<const cwb::Model>& model,
                                  QString fingerprint, const QString& databasePath) {
    TradeoffExplorer::Loaded out;
    out.generation = generation;
    out.fingerprint = fingerprint.isEmpty() ? cwb::modelFingerprint(*model) : fingerprint;
    auto store = cwb::RunStore::open(databasePath);
    if (!store) {
        out.error = store.error().message;
        return out;
    }
    cwb::RunFilter filter;
    filter.model = out.fingerprint;
    auto runs = (*store)->list(filter);
    if (!runs) {
        out.error = runs.error().message;
        return out;
    }
    for (cwb::RunRecord& r : *runs)
        if (r.status == cwb::RunStatus::Finished && r.model && r.model->sha256 == out.fingerprint) {
            cwb::addOwnLineageMetrics(r, model->parameterCount());
            out.runs.push_back(std::move(r));
        }
    // Runs on models made from this one (a distilled student, then quantized: the hybrid), placed
    // against it by their size as a fraction of its FP32 size and the quality they kept.
    if (auto derived = cwb::descendantRuns(**store, out.fingerprint))
        for (cwb::RunRecord& r : *derived)
            out.runs.push_back(std::move(r));
    if (auto profiles = (*store)->hardwareProfiles())
        out.profiles = std::move(*profiles);
    // As the cost panel and `cwb cost` price a run: with the efficiencies this machine measured.
    cwb::RunRecord probe;
    probe.model = cwb::ModelIdentity{};
    probe.model->sha256 = out.fingerprint;
    if (auto efficiency = cwb::efficiencyFromStore(**store, probe))
        out.efficiency = *efficiency;
    return out;
}

// Sizes in the unit that suits the largest of them.
struct SizeUnit {
    double divisor;
    const char* name;
};
SizeUnit sizeUnit(double largest) {
    if (largest >= 1e9)
        return {1e9, "GB"};
    if (largest >= 1e6)
        return {1e6, "MB"};
    return {1e3, "kB"};
}

QString axisLabel(const cwb::RunMetricInfo& m, const SizeUnit& size) {
    const QString name = QString::fromUtf8(m.name);
    if (m.id == RunMetric::Size)
        return QStringLiteral("%1 (%2)").arg(name, QLatin1String(size.name));
    if (m.id == RunMetric::DollarsPer1000Queries || *m.unit == 0)
        return name;
    return QStringLiteral("%1 (%2)").arg(name, QString::fromUtf8(m.unit));
}

// Three significant digits without an exponent: small models serve queries for fractions of a
// cent.
QString dollars(double v) {
    if (v <= 0 || !std::isfinite(v))
        return QString::number(v);
    const int decimals = std::clamp(2 - int(std::floor(std::log10(v))), 2, 12);
    return QString::number(v, 'f', decimals);
}

void fillMetricCombo(QComboBox* combo, bool withNone) {
    if (withNone)
        combo->addItem(QObject::tr("none"), -1);
    for (const cwb::RunMetricInfo& m : cwb::runMetrics()) {
        combo->addItem(QString::fromUtf8(m.name), int(m.id));
        combo->setItemData(combo->count() - 1, wrappedToolTip(cwb::runMetricDescription(m.id)),
                           Qt::ToolTipRole);
    }
    combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
}

} // namespace

TradeoffExplorer::TradeoffExplorer(QWidget* parent)
    : QWidget(parent)
    , m_databasePath(cwb::RunStore::defaultPath())
    , m_x(new QComboBox(this))
    , m_y(new QComboBox(this))
    , m_colour(new QComboBox(this))
    , m_logX(new QCheckBox(tr("log"), this))
    , m_logY(new QCheckBox(tr("log"), this))
    , m_refresh(new QToolButton(this))
    , m_export(new QToolButton(this))
    , m_status(new QLabel(this))
    , m_plot(new TradeoffPlot(this)) {
    m_x->setObjectName(QStringLiteral("tradeoffX"));
    m_y->setObjectName(QStringLiteral("tradeoffY"));
    m_colour->setObjectName(QStringLiteral("tradeoffColour"));
    fillMetricCombo(m_x, false);
    fillMetricCombo(m_y, false);
    fillMetricCombo(m_colour, true);
    QSettings settings;
    auto restore = [&settings](QComboBox* combo, const char* key, const QString& fallback) {
        const auto metric = cwb::runMetricByKey(
            settings.value(QStringLiteral("tradeoff/%1").arg(QLatin1String(key)), fallback)
                .toString());
        combo->setCurrentIndex(metric ? combo->findData(int(*metric)) : 0);
    };
    // KL divergence spans decades between 8-bit and 2-bit runs: on a log axis both read.
    restore(m_x, "x", QStringLiteral("size_bytes"));
    restore(m_y, "y", QStringLiteral("kld_mean"));
    restore(m_colour, "colour", QStringLiteral("top1_agreement"));
    m_logX->setObjectName(QStringLiteral("tradeoffLogX"));
    m_logY->setObjectName(QStringLiteral("tradeoffLogY"));
    m_logX->setChecked(settings.value(QStringLiteral("tradeoff/logX"), false).toBool());
    m_logY->setChecked(settings.value(QStringLiteral("tradeoff/logY"), true).toBool());
    for (QCheckBox* log : {m_logX, m_logY})
        log->setToolTip(tr("A logarithmic axis, for values that span decades; runs whose value is "
                           "zero or negative are left out"));
    for (QComboBox* combo : {m_x, m_y, m_colour})
        connect(combo, &QComboBox::activated, this, [this] {
            saveAxes();
            rebuild();
        });
    for (QCheckBox* log : {m_logX, m_logY})
        connect(log, &QCheckBox::toggled, this, [this] {
            saveAxes();
            rebuild();
        });

    m_refresh->setObjectName(QStringLiteral("tradeoffRefresh"));
    m_refresh->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    m_refresh->setToolTip(tr("Read the runs from the run store again"));
    m_refresh->setAutoRaise(true);
    connect(m_refresh, &QToolButton::clicked, this, &TradeoffExplorer::refresh);
    m_export->setObjectName(QStringLiteral("tradeoffExport"));
    m_export->setText(tr("Export…"));
    m_export->setToolTip(tr("Save the plot as PNG, SVG or PDF"));
    m_export->setAutoRaise(true);
    connect(m_export, &QToolButton::clicked, this, &TradeoffExplorer::chooseExportFile);

    m_status->setObjectName(QStringLiteral("tradeoffStatus"));
    m_status->setWordWrap(true);

    connect(m_plot, &TradeoffPlot::runSelected, this, &TradeoffExplorer::runSelected);
    connect(m_plot, &TradeoffPlot::runActivated, this, [this](qint64 id) {
        if (const cwb::RunRecord* run = findRun(id))
            emit planRequested(id, run->plan, runName(*run));
    });

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("X"), this));
    top->addWidget(m_x);
    top->addWidget(m_logX);
    top->addSpacing(8);
    top->addWidget(new QLabel(tr("Y"), this));
    top->addWidget(m_y);
    top->addWidget(m_logY);
    top->addSpacing(8);
    top->addWidget(new QLabel(tr("Colour"), this));
    top->addWidget(m_colour);
    top->addStretch(1);
    top->addWidget(m_refresh);
    top->addWidget(m_export);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_status);
    rebuild();
}

TradeoffExplorer::~TradeoffExplorer() = default;

void TradeoffExplorer::setModel(const std::shared_ptr<const cwb::Model>& model) {
    m_model = model;
    m_fingerprint.clear();
    m_runs.clear();
    m_plot->selectRun(0);
    refresh();
}

void TradeoffExplorer::setDatabasePath(const QString& path) {
    m_databasePath = path;
    refresh();
}

void TradeoffExplorer::setCostAssumptions(const cwb::CostAssumptions& cost) {
    m_cost = cost;
    rebuild();
}

cwb::CostAssumptions TradeoffExplorer::costAssumptions() const {
    if (m_cost)
        return m_cost->profiles.empty() ? cwb::CostAssumptions{m_storeProfiles, m_cost->workload,
                                                               m_cost->efficiency, m_cost->profile}
                                        : *m_cost;
    cwb::CostAssumptions cost;
    cost.profiles = m_storeProfiles;
    cost.efficiency = m_storeEfficiency;
    return cost;
}

void TradeoffExplorer::setAxes(RunMetric x, RunMetric y, std::optional<RunMetric> colour) {
    m_x->setCurrentIndex(m_x->findData(int(x)));
    m_y->setCurrentIndex(m_y->findData(int(y)));
    m_colour->setCurrentIndex(m_colour->findData(colour ? int(*colour) : -1));
    saveAxes();
    rebuild();
}

void TradeoffExplorer::setLogScale(bool x, bool y) {
    const QSignalBlocker bx(m_logX), by(m_logY);
    m_logX->setChecked(x);
    m_logY->setChecked(y);
    saveAxes();
    rebuild();
}

RunMetric TradeoffExplorer::xMetric() const {
    return RunMetric(m_x->currentData().toInt());
}

RunMetric TradeoffExplorer::yMetric() const {
    return RunMetric(m_y->currentData().toInt());
}

std::optional<RunMetric> TradeoffExplorer::colourMetric() const {
    const int id = m_colour->currentData().toInt();
    return id < 0 ? std::nullopt : std::optional(RunMetric(id));
}

void TradeoffExplorer::saveAxes() const {
    QSettings settings;
    settings.setValue(QStringLiteral("tradeoff/x"),
                      QLatin1String(cwb::runMetricInfo(xMetric()).key));
    settings.setValue(QStringLiteral("tradeoff/y"),
                      QLatin1String(cwb::runMetricInfo(yMetric()).key));
    settings.setValue(QStringLiteral("tradeoff/logX"), m_logX->isChecked());
    settings.setValue(QStringLiteral("tradeoff/logY"), m_logY->isChecked());
    const auto colour = colourMetric();
    settings.setValue(QStringLiteral("tradeoff/colour"),
                      colour ? QLatin1String(cwb::runMetricInfo(*colour).key) : QLatin1String(""));
}

void TradeoffExplorer::refresh() {
    const quint64 generation = ++m_generation;
    if (!m_model) {
        m_loading = false;
        m_runs.clear();
        rebuild();
        emit updated();
        return;
    }
    m_loading = true;
    m_status->setText(tr("Reading the runs of this model…"));
    auto* watcher = new QFutureWatcher<Loaded>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        watcher->deleteLater();
        finishLoad(watcher->result());
    });
    watcher->setFuture(
        QtConcurrent::run(loadRuns, generation, m_model, m_fingerprint, m_databasePath));
}

void TradeoffExplorer::finishLoad(const Loaded& loaded) {
    if (loaded.generation != m_generation)
        return; // superseded by a later refresh or another model
    m_loading = false;
    m_fingerprint = loaded.fingerprint;
    m_runs = loaded.runs;
    m_storeProfiles = loaded.profiles;
    m_storeEfficiency = loaded.efficiency;
    m_loadError = loaded.error;
    rebuild();
    emit updated();
}

const cwb::RunRecord* TradeoffExplorer::findRun(qint64 id) const {
    for (const cwb::RunRecord& r : m_runs)
        if (r.id == id)
            return &r;
    return nullptr;
}

QString TradeoffExplorer::runName(const cwb::RunRecord& run) const {
    QString name = run.name;
    if (name.isEmpty()) {
        const QString plan = run.plan.value(QStringLiteral("name")).toString();
        name = plan.isEmpty() ? tr("run %1").arg(run.id) : plan;
    }
    if (isDerived(run))
        name = tr("%1 of %2").arg(name, QFileInfo(run.model->path).fileName());
    return name;
}

bool TradeoffExplorer::isDerived(const cwb::RunRecord& run) const {
    return run.model && run.model->sha256 != m_fingerprint;
}

QString TradeoffExplorer::toolTipFor(const cwb::RunRecord& run) const {
    const cwb::CostAssumptions cost = costAssumptions();
    QStringList lines;
    lines << tr("<b>Run %1</b> · %2").arg(run.id).arg(runName(run).toHtmlEscaped());
    lines << tr("%1, %2").arg(
        run.kind, QLocale().toString(run.startedAt.toLocalTime(), QLocale::ShortFormat));
    if (isDerived(run))
        lines << tr("on a model made from this one (run %1 its parent): see its report for "
                    "every step; its KLD is against that model")
                     .arg(run.parentId.value_or(0));
    for (const cwb::RunMetricInfo& m : cwb::runMetrics()) {
        const std::optional<double> v = cwb::runMetricValue(run, m.id, cost);
        if (!v)
            continue;
        QString value;
        if (m.id == RunMetric::Size)
            value = cwb::formatBytes(std::uint64_t(*v));
        else if (m.id == RunMetric::DollarsPer1000Queries)
            value = QLatin1Char('$') + dollars(*v);
        else
            value = QString::number(*v * m.displayScale, 'g', 4) +
                    (*m.unit ? QStringLiteral(" ") + QString::fromUtf8(m.unit) : QString());
        const auto stored = run.metrics.find(QLatin1String(m.key));
        if (stored != run.metrics.end() && stored->second.uncertainty)
            value += QStringLiteral(" ± %1").arg(*stored->second.uncertainty * m.displayScale, 0,
                                                 'g', 2);
        lines << QStringLiteral("%1: %2").arg(QString::fromUtf8(m.name), value.toHtmlEscaped());
    }
    lines << tr("<i>Click to select; double-click to open its plan.</i>");
    return lines.join(QStringLiteral("<br>"));
}

void TradeoffExplorer::rebuild() {
    const cwb::CostAssumptions cost = costAssumptions();
    const cwb::RunMetricInfo& xm = cwb::runMetricInfo(xMetric());
    const cwb::RunMetricInfo& ym = cwb::runMetricInfo(yMetric());
    const std::optional<RunMetric> cm = colourMetric();
    for (QComboBox* combo : {m_x, m_y, m_colour})
        combo->setToolTip(combo->currentData(Qt::ToolTipRole).toString());

    // Sizes are shown in one unit for all points, the one that suits the largest.
    double largestSize = 0;
    for (const cwb::RunRecord& r : m_runs)
        if (auto s = cwb::runMetricValue(r, RunMetric::Size, cost))
            largestSize = std::max(largestSize, *s);
    const SizeUnit unit = sizeUnit(largestSize);
    auto display = [&unit](const cwb::RunMetricInfo& m, double v) {
        return m.id == RunMetric::Size ? v / unit.divisor : v * m.displayScale;
    };

    const bool logX = m_logX->isChecked(), logY = m_logY->isChecked();
    QList<TradeoffPoint> points;
    int lacking = 0, notPositive = 0;
    for (const cwb::RunRecord& r : m_runs) {
        const auto x = cwb::runMetricValue(r, xm.id, cost);
        const auto y = cwb::runMetricValue(r, ym.id, cost);
        if (!x || !y) {
            ++lacking;
            continue;
        }
        if ((logX && *x <= 0) || (logY && *y <= 0)) {
            ++notPositive;
            continue;
        }
        TradeoffPoint p;
        p.runId = r.id;
        p.x = display(xm, *x);
        p.y = display(ym, *y);
        if (cm)
            if (auto c = cwb::runMetricValue(r, *cm, cost))
                p.colour = display(cwb::runMetricInfo(*cm), *c);
        p.toolTip = toolTipFor(r);
        points << p;
    }
    std::optional<TradeoffAxis> colourAxis;
    if (cm)
        colourAxis = TradeoffAxis{axisLabel(cwb::runMetricInfo(*cm), unit),
                                  cwb::runMetricInfo(*cm).better, cwb::runMetricDescription(*cm)};
    m_plot->setPoints(
        points, {axisLabel(xm, unit), xm.better, cwb::runMetricDescription(xm.id), logX},
        {axisLabel(ym, unit), ym.better, cwb::runMetricDescription(ym.id), logY}, colourAxis);

    const QString xName = QString::fromUtf8(xm.name), yName = QString::fromUtf8(ym.name);
    QString message, status;
    if (!m_model)
        message = tr("Open a model to compare its runs.");
    else if (!m_loadError.isEmpty())
        message = tr("Cannot read the run store: %1").arg(m_loadError);
    else if (m_runs.empty())
        message = tr("No runs of this model yet: evaluate a plan (Ctrl+E) to add one.");
    else if (points.isEmpty() && notPositive > 0)
        message = tr("No run has a positive %1 and %2 for the log scale.").arg(xName, yName);
    else if (points.isEmpty())
        message = tr("None of the runs has both %1 and %2.").arg(xName, yName);
    if (m_model && m_loadError.isEmpty() && !m_runs.empty()) {
        const int shown = int(points.size());
        const auto derived = std::count_if(
            m_runs.begin(), m_runs.end(), [this](const cwb::RunRecord& r) { return isDerived(r); });
        const qsizetype own = qsizetype(m_runs.size()) - derived;
        status = own == 1 ? tr("1 run of this model") : tr("%1 runs of this model").arg(own);
        if (derived > 0)
            status += tr(" and %1 of models made from it").arg(derived);
        if (lacking > 0)
            status += tr("; %1 not shown, lacking %2 or %3").arg(lacking).arg(xName, yName);
        if (notPositive > 0)
            status += tr("; %1 not shown, at zero or below on a log axis").arg(notPositive);
        if (shown > 0)
            status += tr("; %1 of %2 on the Pareto frontier (ringed)")
                          .arg(m_plot->frontier().size())
                          .arg(shown);
        status += QLatin1Char('.');
    }
    m_plot->setMessage(message);
    m_status->setText(status);
    m_status->setVisible(!status.isEmpty());
    m_export->setEnabled(!points.isEmpty());
}

QString TradeoffExplorer::statusText() const {
    return m_status->text();
}

void TradeoffExplorer::selectRun(qint64 runId) {
    m_plot->selectRun(runId);
}

bool TradeoffExplorer::exportPlot(const QString& path) {
    QString error;
    if (m_plot->exportTo(path, &error))
        return true;
    showErrorDialog(this, tr("Cannot Export the Plot"), error);
    return false;
}

void TradeoffExplorer::chooseExportFile() {
    QSettings settings;
    const QString folder =
        settings
            .value(QStringLiteral("tradeoff/exportFolder"),
                   QStandardPaths::writableLocation(QStandardPaths::PicturesLocation))
            .toString();
    QString selected;
    QString path = QFileDialog::getSaveFileName(
        this, tr("Export Trade-off Plot"), QDir(folder).filePath(QStringLiteral("tradeoff.png")),
        tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"), &selected);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += selected.contains(QLatin1String("svg"))   ? QStringLiteral(".svg")
                : selected.contains(QLatin1String("pdf")) ? QStringLiteral(".pdf")
                                                          : QStringLiteral(".png");
    settings.setValue(QStringLiteral("tradeoff/exportFolder"), QFileInfo(path).absolutePath());
    exportPlot(path);
}
