// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "runmetrics.h"

#include <QJsonObject>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

namespace cwb {
struct Model;
}

class QCheckBox;
class QComboBox;
class QLabel;
class QToolButton;
class TradeoffPlot;

// The trade-off explorer: every finished run of the open model in the run store (matched by the
// model's fingerprint) as a point over two chosen metrics, a third as colour, and the Pareto
// frontier of the two. Runs are read off the GUI thread, anew on refresh().
class TradeoffExplorer : public QWidget {
    Q_OBJECT
public:
    // What one read of the run store returns (defined in the .cpp).
    struct Loaded;

    explicit TradeoffExplorer(QWidget* parent = nullptr);
    ~TradeoffExplorer() override;

    void setModel(const std::shared_ptr<const cwb::Model>& model);
    // The run store to read (default: RunStore::defaultPath(), which $CWB_DB overrides).
    void setDatabasePath(const QString& path);
    // What $ per 1,000 queries is computed with. Profiles left empty are the store's own. Until
    // this is called: the store's profiles, the default workload, and the efficiencies of the
    // latest benchmark in the store (of this model if there is one), as `cwb cost` uses.
    void setCostAssumptions(const cwb::CostAssumptions& cost);
    cwb::CostAssumptions costAssumptions() const;
    void setAxes(cwb::RunMetric x, cwb::RunMetric y, std::optional<cwb::RunMetric> colour);
    // Logarithmic axes; runs whose value is not positive are then left out.
    void setLogScale(bool x, bool y);
    cwb::RunMetric xMetric() const;
    cwb::RunMetric yMetric() const;
    std::optional<cwb::RunMetric> colourMetric() const;

    bool isLoading() const { return m_loading; }
    // The finished runs of the model, as last read.
    const std::vector<cwb::RunRecord>& runs() const { return m_runs; }
    TradeoffPlot* plot() const { return m_plot; }
    QString statusText() const;
    // Saves the plot as PNG, SVG or PDF (by the suffix); a failure shows a dialog.
    bool exportPlot(const QString& path);

public slots:
    // Reads the runs again: connect whatever records or deletes runs.
    void refresh();
    // Marks the run selected without emitting runSelected() (for a run list kept in step).
    void selectRun(qint64 runId);
    void chooseExportFile();

signals:
    // The user clicked a run's point.
    void runSelected(qint64 runId);
    // The user double-clicked a run's point: open the plan it was made with.
    void planRequested(qint64 runId, const QJsonObject& plan, const QString& name);
    // The runs were read and drawn (or reading failed, which the status says).
    void updated();

private:
    void finishLoad(const Loaded& loaded);
    void rebuild();
    void saveAxes() const;
    QString toolTipFor(const cwb::RunRecord& run) const;
    QString runName(const cwb::RunRecord& run) const;
    // A run on a model made from this one (a student), not on this model.
    bool isDerived(const cwb::RunRecord& run) const;
    const cwb::RunRecord* findRun(qint64 id) const;

    std::shared_ptr<const cwb::Model> m_model;
    QString m_fingerprint; // of m_model, once computed
    QString m_databasePath;
    std::optional<cwb::CostAssumptions> m_cost; // as given, if given
    std::vector<cwb::HardwareProfile> m_storeProfiles;
    cwb::Efficiency m_storeEfficiency;
    std::vector<cwb::RunRecord> m_runs;
    QString m_loadError;
    bool m_loading = false;
    bool m_reloadWanted = false;
    quint64 m_generation = 0;

    QComboBox* m_x;
    QComboBox* m_y;
    QComboBox* m_colour;
    QCheckBox* m_logX;
    QCheckBox* m_logY;
    QToolButton* m_refresh;
    QToolButton* m_export;
    QLabel* m_status;
    TradeoffPlot* m_plot;
};
