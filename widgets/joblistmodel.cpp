// SPDX-License-Identifier: GPL-3.0-or-later
#include "joblistmodel.h"

#include "tooltip.h"

#include <QTimer>

JobListModel::JobListModel(JobRunner* runner, QObject* parent)
    : QAbstractTableModel(parent)
    , m_runner(runner)
    , m_ticker(new QTimer(this)) {
    m_ticker->setInterval(500);
    connect(m_ticker, &QTimer::timeout, this, &JobListModel::tick);
    connect(runner, &JobRunner::jobsChanged, this, &JobListModel::reload);
    connect(runner, &JobRunner::progress, this, &JobListModel::onProgress);
    reload();
}

QString JobListModel::formatElapsed(qint64 ms) {
    const qint64 s = ms / 1000;
    const QChar zero(QLatin1Char('0'));
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(s / 3600)
            .arg(s / 60 % 60, 2, 10, zero)
            .arg(s % 60, 2, 10, zero);
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, zero);
}

// Few jobs, rarely changing: the list is read anew rather than patched.
void JobListModel::reload() {
    beginResetModel();
    m_jobs = m_runner->jobs();
    endResetModel();
    const bool running = std::any_of(m_jobs.begin(), m_jobs.end(), [](const auto& j) {
        return j.state == JobRunner::State::Running;
    });
    if (running && !m_ticker->isActive())
        m_ticker->start();
    else if (!running)
        m_ticker->stop();
}

int JobListModel::rowOf(quint64 job) const {
    for (int r = 0; r < m_jobs.size(); ++r)
        if (m_jobs[r].id == job)
            return r;
    return -1;
}

quint64 JobListModel::jobId(int row) const {
    return row >= 0 && row < m_jobs.size() ? m_jobs[row].id : 0;
}

void JobListModel::onProgress(quint64 job, double fraction, const QString& stage) {
    const int row = rowOf(job);
    if (row < 0)
        return;
    m_jobs[row].fraction = fraction;
    m_jobs[row].stage = stage;
    emit dataChanged(index(row, Stage), index(row, Progress));
}

void JobListModel::tick() {
    for (int r = 0; r < m_jobs.size(); ++r)
        if (m_jobs[r].state == JobRunner::State::Running)
            emit dataChanged(index(r, Elapsed), index(r, Elapsed), {Qt::DisplayRole});
}

int JobListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_jobs.size());
}

int JobListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant JobListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const JobRunner::JobInfo& job = m_jobs.at(index.row());
    const bool running = job.state == JobRunner::State::Running;
    if (role == IdRole)
        return job.id;
    if (role == FractionRole)
        return running ? job.fraction : -1.0;
    if (role == Qt::ToolTipRole && index.column() == Elapsed)
        return wrappedToolTip(
            running ? tr("Started at %1").arg(job.startedAt.toString(QStringLiteral("HH:mm:ss")))
                    : tr("Waiting since %1 for the jobs before it")
                          .arg(job.queuedAt.toString(QStringLiteral("HH:mm:ss"))));
    if (role == Qt::ToolTipRole && index.column() == Cancel)
        return tr("Cancel %1: it stops at its next check and nothing of it is kept").arg(job.name);
    if (role == Qt::TextAlignmentRole && (index.column() == Progress || index.column() == Elapsed))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name:
        return job.name;
    case Stage:
        if (!running)
            return tr("Queued");
        return job.stage.isEmpty() ? tr("Starting") : job.stage;
    case Progress:
        return running ? QStringLiteral("%1%").arg(int(job.fraction * 100)) : QString();
    case Elapsed:
        return running ? formatElapsed(job.startedAt.msecsTo(QDateTime::currentDateTime()))
                       : QStringLiteral("–");
    }
    return {};
}

QVariant JobListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name:
        return tr("Job");
    case Stage:
        return tr("Stage");
    case Progress:
        return tr("Progress");
    case Elapsed:
        return tr("Elapsed");
    case Cancel:
        return QString();
    }
    return {};
}
