// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSortFilterProxyModel>

// The run list as a view shows it: sorted by the raw values (a run without the metric last,
// whichever the order), filtered by a text that any of id, kind, model, plan or status holds,
// and, when asked, to the runs of one model.
class RunListProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit RunListProxy(QObject* parent = nullptr);

    void setFilterText(const QString& text);
    QString filterText() const { return m_text; }
    // The open model: its path as runs record it, and its sha256 once known (empty before).
    void setModelIdentity(const QString& path, const QString& sha256);
    // Only the runs of the open model (of none if no model is open).
    void setThisModelOnly(bool only);
    bool thisModelOnly() const { return m_thisModelOnly; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    QString m_text;
    QString m_modelPath;
    QString m_modelSha;
    bool m_thisModelOnly = false;
};
