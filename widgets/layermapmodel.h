// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "precision.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QStringList>

#include <memory>
#include <optional>

namespace cwb {
struct Model;
}

// The weight matrices of a model's blocks as a grid, one row per layer and one column per kind
// (q, k, v, o, gate, up, down), coloured by the chosen precision, the relative weight error that
// precision costs, or the tensor's sensitivity. Errors and sensitivities are coloured on a log
// scale between the smallest and largest positive value shown.
class LayerMapModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum class Mode { Precision, QuantError, Sensitivity };
    static constexpr int NameRole = Qt::UserRole + 1;  // the tensor's canonical name
    static constexpr int ValueRole = Qt::UserRole + 2; // the error or sensitivity, if known

    explicit LayerMapModel(QObject* parent = nullptr);

    // The kinds in column order: GGUF's names ("attn_q") and the short labels ("q").
    static const QStringList& kinds();
    static const QStringList& kindLabels();

    void setModel(const std::shared_ptr<const cwb::Model>& model);
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }
    void setPrecisions(const QHash<QString, cwb::PrecisionId>& precisions);
    void setErrors(const QHash<QString, double>& errors);
    void setSensitivity(const QHash<QString, double>& sensitivity);
    bool hasSensitivity() const { return !m_sensitivity.isEmpty(); }

    // The tensor a cell shows, or an empty string where the model has no such tensor.
    QString tensorAt(const QModelIndex& index) const;
    QModelIndex indexOf(const QString& tensor) const;
    // The least and largest positive value of the current mode's colour scale.
    std::optional<std::pair<double, double>> valueRange() const { return m_range; }
    // The colour of `value` on the scale (t = 0 at the least, 1 at the largest).
    static QColor scaleColor(double t);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    std::optional<double> value(const QString& tensor) const;
    QColor background(const QString& tensor) const;
    QString toolTip(const QString& tensor) const;
    std::optional<std::pair<double, double>> computeRange() const;
    void refreshAll();

    QList<QStringList> m_names; // [layer][kind], empty where the model lacks the tensor
    Mode m_mode = Mode::Precision;
    QHash<QString, cwb::PrecisionId> m_precisions;
    QHash<QString, double> m_errors;
    QHash<QString, double> m_sensitivity;
    std::optional<std::pair<double, double>> m_range; // of the current mode's values
};
