// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobrunner.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QThread>

#include <algorithm>
#include <atomic>

namespace {
// Progress faster than this would only flood the GUI thread's event queue.
constexpr qint64 kProgressIntervalMs = 100;
} // namespace

struct JobRunner::Ticket {
    quint64 id = 0;
    std::atomic<bool> cancel{false};
    QPointer<QObject> receiver;
    // Read and written on the GUI thread only.
    JobInfo info;
};

JobRunner::JobRunner(QObject* parent)
    : QObject(parent)
    , m_thread(new QThread(this))
    , m_workerContext(new QObject) {
    m_thread->setObjectName(QStringLiteral("cwb-compute"));
    m_workerContext->moveToThread(m_thread);
    // Destroyed on its own thread as that thread ends, with any job still queued to it.
    connect(m_thread, &QThread::finished, m_workerContext, &QObject::deleteLater);
    m_thread->start();
}

JobRunner::~JobRunner() {
    shutdown();
}

const QThread* JobRunner::workerThread() const {
    return m_thread;
}

quint64 JobRunner::start(QObject* receiver, Job job, const QString& name) {
    if (m_shutDown)
        return 0;
    if (m_current)
        drop(m_current);
    return add(receiver, std::move(job), name, true);
}

quint64 JobRunner::enqueue(QObject* receiver, Job job, const QString& name) {
    if (m_shutDown)
        return 0;
    return add(receiver, std::move(job), name, false);
}

quint64 JobRunner::add(QObject* receiver, Job job, const QString& name, bool exclusive) {
    auto ticket = std::make_shared<Ticket>();
    ticket->id = ++m_lastId;
    ticket->receiver = receiver;
    ticket->info.id = ticket->id;
    ticket->info.name =
        !name.isEmpty() ? name : m_names.value(receiver, tr("Job %1").arg(ticket->id));
    ticket->info.queuedAt = QDateTime::currentDateTime();
    if (exclusive)
        m_current = ticket;
    m_live.push_back(ticket);
    QMetaObject::invokeMethod(
        m_workerContext, [this, ticket, job = std::move(job)] { run(ticket, job); },
        Qt::QueuedConnection);
    emit jobsChanged();
    return ticket->id;
}

void JobRunner::nameJobsOf(const QObject* receiver, const QString& name,
                           std::function<void()> cancel) {
    if (!m_names.contains(receiver))
        connect(receiver, &QObject::destroyed, this, [this, receiver] {
            m_names.remove(receiver);
            m_cancellers.remove(receiver);
        });
    m_names.insert(receiver, name);
    if (cancel)
        m_cancellers.insert(receiver, std::move(cancel));
    else
        m_cancellers.remove(receiver);
}

void JobRunner::requestCancel(quint64 job) {
    const auto it = std::find_if(m_live.begin(), m_live.end(),
                                 [job](const auto& ticket) { return ticket->id == job; });
    if (it == m_live.end())
        return;
    const std::shared_ptr<Ticket> ticket = *it;
    const auto canceller = m_cancellers.constFind(ticket->receiver.data());
    if (canceller != m_cancellers.cend())
        (*canceller)();
    // Whatever the canceller did, the job ends here.
    if (isLive(ticket))
        drop(ticket);
}

void JobRunner::requestCancelAll() {
    while (!m_live.empty())
        requestCancel(m_live.back()->id);
}

QList<JobRunner::JobInfo> JobRunner::jobs() const {
    QList<JobInfo> out;
    for (const auto& ticket : m_live)
        out << ticket->info;
    return out;
}

void JobRunner::cancel(quint64 job) {
    const auto it = std::find_if(m_live.begin(), m_live.end(),
                                 [job](const auto& ticket) { return ticket->id == job; });
    if (it != m_live.end())
        drop(*it);
}

void JobRunner::cancelAll() {
    while (!m_live.empty())
        drop(m_live.back());
}

// Cancels a live job: the worker sees its flag at the next check (or skips it if it has not
// started), and whatever it returns is dropped.
void JobRunner::drop(const std::shared_ptr<Ticket>& ticket) {
    const std::shared_ptr<Ticket> keep = ticket; // the reference may point into m_live
    keep->cancel.store(true);
    if (m_current == keep)
        m_current.reset();
    std::erase(m_live, keep);
    emit jobsChanged();
}

bool JobRunner::isLive(const std::shared_ptr<Ticket>& ticket) const {
    return !ticket->cancel.load() &&
           std::find(m_live.begin(), m_live.end(), ticket) != m_live.end();
}

void JobRunner::shutdown() {
    if (m_shutDown)
        return;
    m_shutDown = true;
    cancelAll();
    // Jobs still queued behind the current one were cancelled, so they return at once.
    m_thread->quit();
    m_thread->wait();
    m_workerContext = nullptr;
}

// On the worker thread.
void JobRunner::run(const std::shared_ptr<Ticket>& ticket, const Job& job) {
    if (ticket->cancel.load())
        return;
    QMetaObject::invokeMethod(
        this, [this, ticket] { markRunning(ticket); }, Qt::QueuedConnection);
    QElapsedTimer sinceReport;
    cwb::Progress progress;
    progress.cancel = &ticket->cancel;
    progress.report = [&](double fraction, const QString& stage) {
        if (sinceReport.isValid() && sinceReport.elapsed() < kProgressIntervalMs && fraction < 1.0)
            return;
        sinceReport.start();
        QMetaObject::invokeMethod(
            this, [this, ticket, fraction, stage] { report(ticket, fraction, stage); },
            Qt::QueuedConnection);
    };
    Delivery delivery = job(progress);
    // The runner outlives this call (shutdown() waits for it); if it is destroyed before the
    // queued call runs, Qt discards the call with it.
    QMetaObject::invokeMethod(
        this, [this, ticket, delivery = std::move(delivery)] { deliver(ticket, delivery); },
        Qt::QueuedConnection);
}

void JobRunner::markRunning(const std::shared_ptr<Ticket>& ticket) {
    if (!isLive(ticket))
        return;
    ticket->info.state = State::Running;
    ticket->info.startedAt = QDateTime::currentDateTime();
    emit jobsChanged();
}

void JobRunner::report(const std::shared_ptr<Ticket>& ticket, double fraction,
                       const QString& stage) {
    if (!isLive(ticket))
        return;
    ticket->info.fraction = fraction;
    ticket->info.stage = stage;
    emit progress(ticket->id, fraction, stage);
}

void JobRunner::deliver(const std::shared_ptr<Ticket>& ticket, const Delivery& delivery) {
    if (!isLive(ticket))
        return;
    if (m_current == ticket)
        m_current.reset();
    std::erase(m_live, ticket);
    if (ticket->receiver && delivery)
        delivery();
    emit finished(ticket->id);
    emit jobsChanged();
}
