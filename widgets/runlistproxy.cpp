// SPDX-License-Identifier: GPL-3.0-or-later
#include "runlistproxy.h"

#include "runlistmodel.h"

RunListProxy::RunListProxy(QObject* parent)
    : QSortFilterProxyModel(parent) {
    setSortRole(RunListModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void RunListProxy::setFilterText(const QString& text) {
    if (text == m_text)
        return;
    m_text = text;
    invalidateRowsFilter();
}

void RunListProxy::setModelIdentity(const QString& path, const QString& sha256) {
    if (path == m_modelPath && sha256 == m_modelSha)
        return;
    m_modelPath = path;
    m_modelSha = sha256;
    invalidateRowsFilter();
}

void RunListProxy::setThisModelOnly(bool only) {
    if (only == m_thisModelOnly)
        return;
    m_thisModelOnly = only;
    invalidateRowsFilter();
}

bool RunListProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    const auto* model = qobject_cast<const RunListModel*>(sourceModel());
    if (!model || sourceParent.isValid())
        return false;
    const cwb::RunRecord* run = model->runAt(sourceRow);
    if (!run)
        return false;
    if (m_thisModelOnly) {
        if (!run->model)
            return false;
        // By content once the fingerprint is known; by path until then.
        const bool same = m_modelSha.isEmpty()
                              ? !m_modelPath.isEmpty() && run->model->path == m_modelPath
                              : run->model->sha256 == m_modelSha;
        if (!same)
            return false;
    }
    const QString text = m_text.trimmed();
    if (text.isEmpty())
        return true;
    for (int c : {RunListModel::Id, RunListModel::Kind, RunListModel::Model, RunListModel::Name,
                  RunListModel::Status})
        if (model->index(sourceRow, c).data().toString().contains(text, Qt::CaseInsensitive))
            return true;
    return false;
}

bool RunListProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    const QVariant l = left.data(sortRole());
    const QVariant r = right.data(sortRole());
    // Unmeasured last in both orders: the view reverses lessThan for a descending sort.
    const bool ascending = sortOrder() == Qt::AscendingOrder;
    if (!l.isValid() || !r.isValid()) {
        if (l.isValid() == r.isValid())
            return left.row() < right.row();
        return l.isValid() == ascending;
    }
    return QSortFilterProxyModel::lessThan(left, right);
}
