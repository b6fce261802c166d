// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "jobrunner.h"

#include <QAbstractTableModel>

class QTimer;

// The runner's live jobs, one row each in the order they were given to the worker: name, state
// or stage, progress, and the time it has run. The elapsed column ticks while a job runs.
class JobListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    // Cancel holds no data: the panel puts a button there.
    enum Column { Name, Stage, Progress, Elapsed, Cancel, ColumnCount };
    static constexpr int IdRole = Qt::UserRole + 1;       // quint64
    static constexpr int FractionRole = Qt::UserRole + 2; // double in [0, 1]; -1 while queued

    explicit JobListModel(JobRunner* runner, QObject* parent = nullptr);

    quint64 jobId(int row) const;
    const QList<JobRunner::JobInfo>& jobs() const { return m_jobs; }
    // "0:07", "1:02:03"
    static QString formatElapsed(qint64 ms);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    void reload();
    void onProgress(quint64 job, double fraction, const QString& stage);
    void tick();
    int rowOf(quint64 job) const;

    JobRunner* m_runner;
    QList<JobRunner::JobInfo> m_jobs;
    QTimer* m_ticker;
};
