// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QPair>
#include <QScrollArea>
#include <QStringList>

class QFormLayout;

// The architecture summary: the (label, value) rows that describeModel() gives, and any warnings
// the loader had about the file.
class ModelSummaryView : public QScrollArea {
    Q_OBJECT
public:
    using Rows = QList<QPair<QString, QString>>;

    explicit ModelSummaryView(QWidget* parent = nullptr);

    void setSummary(const Rows& rows, const QStringList& warnings);
    const Rows& rows() const { return m_rows; }
    // The shown value of a row, or a null string if there is no such row.
    QString value(const QString& label) const;

private:
    void addRow(const QString& label, const QString& value, bool warning = false);

    QFormLayout* m_form;
    Rows m_rows;
};
