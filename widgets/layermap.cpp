// SPDX-License-Identifier: GPL-3.0-or-later
#include "layermap.h"

#include "jobrunner.h"
#include "model.h"
#include "precisionplanmodel.h"
#include "precisionstyle.h"
#include "quanterror.h"
#include "tooltip.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLinearGradient>
#include <QPainter>
#include <QSettings>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>
#include <set>

// What the colours mean: a swatch per precision in the plan, or the scale with its ends.
class LayerMapLegend : public QWidget {
public:
    explicit LayerMapLegend(const LayerMapModel* model, QWidget* parent)
        : QWidget(parent)
        , m_model(model) {
        setMinimumHeight(fontMetrics().height() + 8);
        setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    }
    void setPrecisions(std::set<cwb::PrecisionId> precisions) {
        m_precisions = std::move(precisions);
        update();
    }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        const QFontMetrics fm = fontMetrics();
        const int h = fm.height();
        const int y = (height() - h) / 2;
        if (m_model->mode() == LayerMapModel::Mode::Precision) {
            int x = 2;
            for (cwb::PrecisionId id : m_precisions) {
                p.setPen(precisionColor(id).darker(130));
                p.setBrush(precisionColor(id));
                p.drawRoundedRect(QRectF(x, y + 2, h - 4, h - 4), 2, 2);
                x += h;
                p.setPen(palette().color(QPalette::WindowText));
                const QString name = QLatin1String(cwb::precisionInfo(id).name);
                p.drawText(QRect(x, y, fm.horizontalAdvance(name) + 2, h), Qt::AlignVCenter, name);
                x += fm.horizontalAdvance(name) + 12;
            }
            return;
        }
        const auto range = m_model->valueRange();
        if (!range)
            return;
        const bool error = m_model->mode() == LayerMapModel::Mode::QuantError;
        auto label = [error](double v) {
            return error ? QStringLiteral("%1%").arg(v * 100, 0, 'g', 2)
                         : QString::number(v, 'g', 3);
        };
        const QString low = label(range->first), high = label(range->second);
        const int lowWidth = fm.horizontalAdvance(low) + 6;
        const QRect bar(2 + lowWidth, y + 2, std::max(40, width() / 2), h - 4);
        QLinearGradient gradient(bar.topLeft(), bar.topRight());
        for (int i = 0; i <= 8; ++i)
            gradient.setColorAt(i / 8.0, LayerMapModel::scaleColor(i / 8.0));
        p.setPen(palette().color(QPalette::Mid));
        p.setBrush(gradient);
        p.drawRect(bar);
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(2, y, lowWidth, h), Qt::AlignVCenter, low);
        p.drawText(QRect(bar.right() + 6, y, width() - bar.right() - 6, h), Qt::AlignVCenter,
                   tr("%1 (log scale)").arg(high));
    }

private:
    const LayerMapModel* m_model;
    std::set<cwb::PrecisionId> m_precisions;
};

namespace {

QString cacheKey(const QString& tensor, cwb::PrecisionId precision) {
    return tensor + QLatin1Char('|') + QString::number(int(precision));
}

} // namespace

LayerMap::LayerMap(JobRunner* jobs, QWidget* parent)
    : QWidget(parent)
    , m_jobs(jobs)
    , m_model(new LayerMapModel(this))
    , m_mode(new QComboBox(this))
    , m_stack(new QStackedWidget(this))
    , m_view(new QTableView(this))
    , m_placeholder(new QLabel(this))
    , m_status(new QLabel(this))
    , m_legend(new LayerMapLegend(m_model, this))
    , m_errorTimer(new QTimer(this)) {
    m_mode->setObjectName(QStringLiteral("layerMapMode"));
    m_mode->addItem(tr("Precision"), int(LayerMapModel::Mode::Precision));
    m_mode->setItemData(0, tr("The precision the plan gives each matrix"), Qt::ToolTipRole);
    m_mode->addItem(tr("Quantization error"), int(LayerMapModel::Mode::QuantError));
    m_mode->setItemData(1,
                        wrappedToolTip(tr("The relative weight error ‖W − Q(W)‖ / ‖W‖ that the "
                                          "chosen precision's reference quantizer gives each "
                                          "matrix")),
                        Qt::ToolTipRole);
    m_mode->addItem(tr("Sensitivity"), int(LayerMapModel::Mode::Sensitivity));
    m_mode->setItemData(2,
                        wrappedToolTip(tr("How much the model's output suffers when this matrix "
                                          "alone is quantized, from a sensitivity analysis")),
                        Qt::ToolTipRole);
    m_mode->setToolTip(tr("What the colours show"));
    connect(m_mode, &QComboBox::activated, this, [this](int i) {
        setMode(LayerMapModel::Mode(m_mode->itemData(i).toInt()));
        QSettings().setValue(QStringLiteral("layerMap/mode"), m_mode->itemData(i));
    });

    m_view->setObjectName(QStringLiteral("layerMapView"));
    m_view->setModel(m_model);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setShowGrid(true);
    m_view->setWordWrap(false);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_view->horizontalHeader()->setMinimumSectionSize(36);
    // Rows share the height while they fit; a deep model scrolls.
    m_view->verticalHeader()->setMinimumSectionSize(fontMetrics().height() + 6);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    QFont small = m_view->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    m_view->setFont(small);
    connect(m_view, &QTableView::clicked, this, [this](const QModelIndex& index) {
        const QString tensor = m_model->tensorAt(index);
        if (!tensor.isEmpty())
            emit tensorActivated(tensor);
    });
    connect(m_view, &QTableView::activated, this, [this](const QModelIndex& index) {
        const QString tensor = m_model->tensorAt(index);
        if (!tensor.isEmpty())
            emit tensorActivated(tensor);
    });

    m_placeholder->setObjectName(QStringLiteral("layerMapPlaceholder"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setEnabled(false);
    m_stack->addWidget(m_view);
    m_stack->addWidget(m_placeholder);
    m_status->setObjectName(QStringLiteral("layerMapStatus"));
    m_status->setWordWrap(true);

    m_errorTimer->setSingleShot(true);
    m_errorTimer->setInterval(150); // one computation for a burst of edits
    connect(m_errorTimer, &QTimer::timeout, this, &LayerMap::computeErrors);
    connect(m_jobs, &JobRunner::jobsChanged, this, &LayerMap::onJobsChanged);

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Colour by"), this));
    top->addWidget(m_mode);
    top->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_stack, 1);
    layout->addWidget(m_legend);
    layout->addWidget(m_status);

    const auto saved =
        LayerMapModel::Mode(QSettings().value(QStringLiteral("layerMap/mode"), 0).toInt());
    setMode(saved == LayerMapModel::Mode::QuantError || saved == LayerMapModel::Mode::Sensitivity
                ? saved
                : LayerMapModel::Mode::Precision);
}

void LayerMap::setModel(const std::shared_ptr<const cwb::Model>& model) {
    if (m_errorJob)
        m_jobs->cancel(std::exchange(m_errorJob, 0));
    m_cwbModel = model;
    m_errorCache.clear();
    m_model->setModel(model);
    updatePrecisions();
}

void LayerMap::setPlanModel(const PrecisionPlanModel* plan) {
    m_plan = plan;
    connect(plan, &PrecisionPlanModel::choicesChanged, this, &LayerMap::updatePrecisions);
    updatePrecisions();
}

void LayerMap::setMode(LayerMapModel::Mode mode) {
    m_mode->setCurrentIndex(m_mode->findData(int(mode)));
    m_model->setMode(mode);
    if (mode == LayerMapModel::Mode::QuantError)
        scheduleErrors();
    updateMessage();
    emit updated();
}

void LayerMap::setSensitivity(const QHash<QString, double>& sensitivity) {
    m_model->setSensitivity(sensitivity);
    updateMessage();
    emit updated();
}

void LayerMap::selectTensor(const QString& tensor) {
    const QModelIndex at = m_model->indexOf(tensor);
    if (at.isValid())
        m_view->setCurrentIndex(at);
    else
        m_view->clearSelection();
}

void LayerMap::updatePrecisions() {
    QHash<QString, cwb::PrecisionId> precisions;
    std::set<cwb::PrecisionId> used;
    if (m_plan && m_cwbModel && m_plan->model() == m_cwbModel)
        for (const cwb::TensorChoice& c : m_plan->choices())
            if (m_model->indexOf(c.name).isValid()) {
                precisions.insert(c.name, c.precision);
                used.insert(c.precision);
            }
    m_model->setPrecisions(precisions);
    m_legend->setPrecisions(used);
    if (m_model->mode() == LayerMapModel::Mode::QuantError)
        scheduleErrors();
    updateMessage();
    emit updated();
}

void LayerMap::scheduleErrors() {
    m_pending = true;
    m_errorTimer->start();
}

// The tensors whose error for their precision is not known yet are computed in one job; a job
// still running for earlier precisions is cancelled, and what it had not delivered is redone.
void LayerMap::computeErrors() {
    m_pending = false;
    if (!m_cwbModel || m_model->mode() != LayerMapModel::Mode::QuantError)
        return;
    std::vector<cwb::TensorPrecision> missing;
    QHash<QString, double> known;
    for (int r = 0; r < m_model->rowCount(); ++r)
        for (int c = 0; c < m_model->columnCount(); ++c) {
            const QString tensor = m_model->tensorAt(m_model->index(r, c));
            if (tensor.isEmpty())
                continue;
            const int row = m_plan ? m_plan->rowOf(tensor) : -1;
            const cwb::PrecisionId precision =
                row >= 0 ? m_plan->precision(row) : cwb::PrecisionId::Fp32;
            const auto cached = m_errorCache.constFind(cacheKey(tensor, precision));
            if (cached != m_errorCache.cend())
                known.insert(tensor, *cached);
            else
                missing.push_back({tensor, precision});
        }
    m_model->setErrors(known);
    if (m_errorJob)
        m_jobs->cancel(std::exchange(m_errorJob, 0));
    if (missing.empty()) {
        updateMessage();
        emit updated();
        return;
    }
    auto model = m_cwbModel;
    m_errorJob = m_jobs->enqueue(
        this,
        [this, model, missing](const cwb::Progress& progress) -> JobRunner::Delivery {
            auto errors = cwb::relativeQuantErrors(*model, missing, progress);
            if (!errors)
                return {};
            return [this, missing, errors = std::move(*errors)] {
                m_errorJob = 0;
                // NaN for a tensor whose error cannot be computed: known, and shown blank.
                for (std::size_t i = 0; i < missing.size(); ++i)
                    m_errorCache.insert(cacheKey(missing[i].tensor, missing[i].precision),
                                        errors[i].value_or(std::nan("")));
                computeErrors();
            };
        },
        tr("Layer map: quantization error"));
    updateMessage();
}

// A job cancelled from the jobs panel delivers nothing: the map says so rather than wait.
void LayerMap::onJobsChanged() {
    if (!m_errorJob)
        return;
    const QList<JobRunner::JobInfo> jobs = m_jobs->jobs();
    if (std::none_of(jobs.begin(), jobs.end(),
                     [this](const JobRunner::JobInfo& j) { return j.id == m_errorJob; })) {
        m_errorJob = 0;
        updateMessage();
        m_status->setText(tr("The error computation was cancelled; choose the mode again to "
                             "compute it."));
        emit updated();
        return;
    }
    updateMessage();
}

QString LayerMap::message() const {
    return m_stack->currentWidget() == m_placeholder ? m_placeholder->text() : QString();
}

void LayerMap::updateMessage() {
    const LayerMapModel::Mode mode = m_model->mode();
    QString placeholder;
    if (m_model->rowCount() == 0)
        placeholder = tr("Open a model to see its layers.");
    else if (mode == LayerMapModel::Mode::Sensitivity && !m_model->hasSensitivity())
        placeholder = tr("Run sensitivity first: it measures how much each matrix alone hurts "
                         "the model when quantized, and its results colour this map.");
    m_placeholder->setText(placeholder);
    m_stack->setCurrentWidget(placeholder.isEmpty() ? static_cast<QWidget*>(m_view)
                                                    : m_placeholder);
    m_legend->setVisible(placeholder.isEmpty());
    m_legend->update();

    QString status;
    if (!placeholder.isEmpty())
        status.clear();
    else if (mode == LayerMapModel::Mode::QuantError && isComputing())
        status = tr("Computing the quantization error of the changed matrices…");
    else if (mode == LayerMapModel::Mode::QuantError)
        status = tr("Relative weight error ‖W − Q(W)‖ / ‖W‖ of each matrix in its precision.");
    else if (mode == LayerMapModel::Mode::Sensitivity)
        status = tr("Sensitivity: how much the model suffers when this matrix alone is "
                    "quantized.");
    else
        status = tr("The precision the plan gives each matrix. Click a cell to select it.");
    m_status->setText(status);
}
