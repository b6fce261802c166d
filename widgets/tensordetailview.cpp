// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensordetailview.h"

#include "activationsite.h"
#include "channelplot.h"
#include "histogramplot.h"
#include "model.h"
#include "precisionplanmodel.h"
#include "precisionstyle.h"

#include <QLabel>
#include <QRegularExpression>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace {

QString precisionName(cwb::PrecisionId id) {
    return QLatin1String(cwb::precisionInfo(id).name);
}

// "blk.0.attn_k" of "blk.0.attn_k.weight": enough to name a neighbour.
QString shortName(const QString& tensor) {
    QString name = tensor;
    return name.remove(QRegularExpression(QStringLiteral("\\.weight$")));
}

} // namespace

TensorDetailView::TensorDetailView(QWidget* parent)
    : QWidget(parent)
    , m_header(new QLabel(this))
    , m_channels(new ChannelPlot(this))
    , m_outliers(new QLabel(this))
    , m_weights(new HistogramPlot(tr("Weights, with the precision's grid"), tr("weight"), this))
    , m_weightNote(new QLabel(this))
    , m_activations(
          new HistogramPlot(tr("Input activations, with w8a8's grid"), tr("activation"), this))
    , m_activationNote(new QLabel(this)) {
    setObjectName(QStringLiteral("tensorDetailView"));
    m_header->setObjectName(QStringLiteral("tensorDetailHeader"));
    m_header->setWordWrap(true);
    m_header->setTextFormat(Qt::RichText);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_outliers->setObjectName(QStringLiteral("outlierChannels"));
    m_outliers->setWordWrap(true);
    m_outliers->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_outliers->setToolTip(tr("Channels whose absmax exceeds 6 × the median channel's: they "
                              "stretch a per-token activation grid for all the others, which is "
                              "what SmoothQuant moves into the weights"));
    m_channels->setObjectName(QStringLiteral("channelPlot"));
    m_weights->setObjectName(QStringLiteral("weightPlot"));
    m_activations->setObjectName(QStringLiteral("activationPlot"));
    for (QLabel* note : {m_weightNote, m_activationNote}) {
        note->setWordWrap(true);
        note->setTextFormat(Qt::RichText);
        note->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    m_weightNote->setObjectName(QStringLiteral("weightNote"));
    m_weightNote->setToolTip(tr("The grid round to nearest gives that group. SmoothQuant and AWQ "
                                "rescale the weights first and GPTQ updates them as it goes, so "
                                "their grids differ somewhat"));
    m_activationNote->setObjectName(QStringLiteral("activationNote"));
    m_activationNote->setToolTip(tr("w8a8 quantizes each token's activations at run time onto "
                                    "its own int8 grid, absmax / 127 apart; the other precisions "
                                    "keep the activations in float"));

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_header);
    layout->addWidget(m_channels, 1);
    layout->addWidget(m_outliers);
    layout->addWidget(m_weights, 1);
    layout->addWidget(m_weightNote);
    layout->addWidget(m_activations, 1);
    layout->addWidget(m_activationNote);

    connect(&m_weightsJob, &QFutureWatcherBase::finished, this, [this] {
        // A superseded job may still report; only the watched future's result is current.
        if (m_weightsJob.future().isFinished() && m_weightsJob.future().resultCount() > 0)
            showWeights(m_weightsJob.result());
    });
    refresh();
}

TensorDetailView::~TensorDetailView() {
    // The job holds the model; let it end before the watcher goes.
    m_weightsJob.waitForFinished();
}

void TensorDetailView::setModel(std::shared_ptr<const cwb::Model> model) {
    m_model = std::move(model);
    m_name.clear();
    refresh();
}

void TensorDetailView::setPlanModel(const PrecisionPlanModel* plan) {
    m_plan = plan;
    connect(plan, &PrecisionPlanModel::choicesChanged, this, [this] {
        if (m_name.isEmpty())
            return;
        // The header names the method; the grids are the precision's.
        const int precision = int(m_plan->precision(m_plan->rowOf(m_name)));
        if (precision != m_shownPrecision)
            refresh();
        else
            m_header->setText(headerText());
    });
}

void TensorDetailView::setStatistics(std::shared_ptr<const cwb::CalibrationStats> stats) {
    m_stats = std::move(stats);
    showChannels();
    showActivations();
}

void TensorDetailView::showTensor(const QString& name) {
    if (name == m_name)
        return;
    m_name = name;
    refresh();
}

QString TensorDetailView::headerText() const {
    const cwb::Tensor* t = m_model && !m_name.isEmpty() ? m_model->find(m_name) : nullptr;
    if (!t)
        return tr("Select a tensor in the table to see its weights and its input statistics.");
    const int row = m_plan ? m_plan->rowOf(m_name) : -1;
    QString text = QStringLiteral("<b>%1</b> — %2").arg(m_name.toHtmlEscaped(), t->shapeText());
    if (row >= 0 && m_plan->isQuantizable(row))
        text +=
            QStringLiteral(", %1, %2")
                .arg(precisionName(m_plan->precision(row)), cwb::methodName(m_plan->method(row)));
    else
        text += tr(", stays f32");
    const auto site =
        t->isMatrix() ? cwb::siteOfTensor(m_name, m_model->config.tiedOutput) : std::nullopt;
    if (site) {
        QStringList shared;
        for (const cwb::Tensor& other : m_model->tensors)
            if (other.name != m_name &&
                cwb::siteOfTensor(other.name, m_model->config.tiedOutput) == site)
                shared << shortName(other.name);
        text += QStringLiteral("<br>") + tr("Input: %1").arg(site->name());
        if (!shared.isEmpty())
            text += tr(", shared with %1").arg(shared.join(QStringLiteral(", ")));
    }
    return text;
}

QString TensorDetailView::outlierText() const {
    return m_outliers->text();
}

void TensorDetailView::setNote(QLabel* label, QString* text, const QString& note,
                               const QColor& swatch) {
    *text = note;
    QString html = note.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    if (swatch.isValid())
        html =
            QStringLiteral("<span style=\"color:%1\">&#9646;</span> %2").arg(swatch.name(), html);
    label->setText(html);
    label->setVisible(!note.isEmpty());
}

void TensorDetailView::refresh() {
    m_header->setText(headerText());
    showChannels();
    showActivations();
    startWeights();
}

// The statistics of the input the tensor multiplies, or null with the reason.
const cwb::ChannelStats* TensorDetailView::channelStats(QString* why) const {
    const cwb::Tensor* t = m_model && !m_name.isEmpty() ? m_model->find(m_name) : nullptr;
    if (!t) {
        *why = m_model ? tr("Select a tensor") : QString();
        return nullptr;
    }
    if (!t->isMatrix()) {
        *why = tr("A 1-D tensor: it scales, it multiplies no input");
        return nullptr;
    }
    const auto site = cwb::siteOfTensor(m_name, m_model->config.tiedOutput);
    if (!site) {
        *why = tr("An embedding lookup: its rows are read, no input multiplies it");
        return nullptr;
    }
    if (!m_stats) {
        *why = tr("Calibrate to see activation statistics");
        return nullptr;
    }
    const cwb::ChannelStats* s = m_stats->site(*site);
    if (!s || s->absMax.empty())
        *why = tr("The statistics hold nothing for %1").arg(site->name());
    return s && !s->absMax.empty() ? s : nullptr;
}

void TensorDetailView::showChannels() {
    QString why;
    const cwb::ChannelStats* s = channelStats(&why);
    if (!s) {
        m_channels->showMessage(why);
        m_outliers->clear();
        m_outliers->setVisible(false);
        return;
    }
    const std::vector<int> outliers = s->outlierChannels();
    m_channels->setChannels(*s, outliers);
    QStringList list;
    for (int j : outliers)
        list << QString::number(j);
    m_outliers->setText(outliers.empty()
                            ? tr("No outlier channels: no absmax exceeds 6 × the median's.")
                            : tr("%n outlier channel(s), absmax > 6 × the median's: %1", nullptr,
                                 int(outliers.size()))
                                  .arg(list.join(QStringLiteral(", "))));
    m_outliers->setVisible(true);
}

void TensorDetailView::showActivations() {
    QString why;
    const cwb::ChannelStats* s = channelStats(&why);
    if (!s) {
        m_activations->showMessage(why);
        setNote(m_activationNote, &m_activationNoteText, {});
        return;
    }
    m_activations->setHistogram(s->histogram);
    const int row = m_plan ? m_plan->rowOf(m_name) : -1;
    const cwb::PrecisionId precision = row >= 0 ? m_plan->precision(row) : cwb::PrecisionId::Fp32;
    if (!cwb::precisionInfo(precision).quantizesActivations) {
        setNote(m_activationNote, &m_activationNoteText,
                tr("%1 quantizes the weights only: the activations stay float, no grid")
                    .arg(precisionName(precision)));
        return;
    }
    const auto token = typicalTokenGrid(*s);
    if (!token) {
        setNote(m_activationNote, &m_activationNoteText,
                tr("%1: no sampled tokens in the statistics to draw a per-token grid from")
                    .arg(precisionName(precision)));
        return;
    }
    m_activations->setGrid(gridValues(token->grid), precisionColor(precision));
    setNote(m_activationNote, &m_activationNoteText,
            tr("%1: the int8 grid of a typical token (the median absmax of %2 sampled tokens, "
               "%3): 255 levels, step %4. Each token gets its own.")
                .arg(precisionName(precision))
                .arg(token->sampledTokens)
                .arg(double(token->grid.scale) * 127, 0, 'g', 4)
                .arg(double(token->grid.scale), 0, 'g', 3),
            precisionColor(precision));
}

void TensorDetailView::startWeights() {
    const cwb::Tensor* t = m_model && !m_name.isEmpty() ? m_model->find(m_name) : nullptr;
    if (!t) {
        m_shownPrecision = -1;
        m_weightsJob.setFuture(QFuture<WeightDetail>()); // what is still running is not wanted
        m_weights->showMessage(m_model ? tr("Select a tensor") : QString());
        setNote(m_weightNote, &m_weightNoteText, {});
        return;
    }
    const int row = m_plan ? m_plan->rowOf(m_name) : -1;
    const cwb::PrecisionId precision = row >= 0 ? m_plan->precision(row) : cwb::PrecisionId::Fp32;
    m_shownPrecision = int(precision);
    m_weights->showMessage(tr("Reading the weights…"));
    setNote(m_weightNote, &m_weightNoteText, {});
    // Off the GUI thread: a large model's matrix is hundreds of megabytes to decode.
    m_weightsJob.setFuture(
        QtConcurrent::run([model = m_model, t, precision] { return weightDetail(*t, precision); }));
}

void TensorDetailView::showWeights(const WeightDetail& d) {
    const cwb::Tensor* t = m_model && !m_name.isEmpty() ? m_model->find(m_name) : nullptr;
    if (!t)
        return;
    m_weights->setHistogram(d.histogram);
    const auto precision = cwb::PrecisionId(m_shownPrecision);
    const cwb::PrecisionInfo& info = cwb::precisionInfo(precision);
    if (!d.grid) {
        setNote(m_weightNote, &m_weightNoteText,
                tr("%1: float, no grid").arg(QLatin1String(info.name)));
        return;
    }
    const QList<double> values = gridValues(*d.grid);
    const QString where = d.columns == t->rowLength() ? tr("row %1").arg(d.row)
                                                      : tr("row %1, columns %2–%3")
                                                            .arg(d.row)
                                                            .arg(d.firstColumn)
                                                            .arg(d.firstColumn + d.columns - 1);
    m_weights->setGrid(values, precisionColor(precision));
    setNote(m_weightNote, &m_weightNoteText,
            tr("%1 grid of %2, the group with the largest weight (%3): %4 levels, step %5")
                .arg(QLatin1String(info.name), where)
                .arg(double(d.largest), 0, 'g', 4)
                .arg(values.size())
                .arg(std::abs(double(d.grid->scale)), 0, 'g', 3),
            precisionColor(precision));
}
