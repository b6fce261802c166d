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
    , m_thread(QThread::create([this] { work(); })) {
    m_thread->setParent(this);
    m_thread->setObjectName(QStringLiteral("cwb-compute"));
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
    {
        const std::lock_guard lock(m_mutex);
        m_inbox.emplace_back(ticket, std::move(job));
    }
    m_wake.notify_one();
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
    // The running job stops at its next check; those queued behind it are dropped unrun.
    std::deque<std::pair<std::shared_ptr<Ticket>, Job>> unrun;
    std::deque<std::function<void()>> undelivered;
    {
        std::unique_lock lock(m_mutex);
        m_stopping = true;
        m_wake.notify_all();
        m_wake.wait(lock, [this] { return m_stopped; });
        unrun.swap(m_inbox);
        undelivered.swap(m_outbox); // nothing more is delivered
    }
    m_thread->wait();
}

// On the worker thread, until shutdown().
void JobRunner::work() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_stopping || !m_inbox.empty(); });
        if (m_stopping)
            break;
        auto [ticket, job] = std::move(m_inbox.front());
        m_inbox.pop_front();
        lock.unlock();
        run(std::move(ticket), std::move(job));
        lock.lock();
    }
    m_stopped = true;
    m_wake.notify_all();
}

void JobRunner::post(std::function<void()> call) {
    bool wake = false;
    {
        const std::lock_guard lock(m_mutex);
        wake = m_outbox.empty(); // else a wake-up is already on its way
        m_outbox.push_back(std::move(call));
    }
    // By name, with no arguments: the queued call carries no data of ours.
    if (wake)
        QMetaObject::invokeMethod(this, "runPosted", Qt::QueuedConnection);
}

// One call at a time: a delivery that opens a nested event loop leaves the rest in order.
void JobRunner::runPosted() {
    for (;;) {
        std::function<void()> call;
        {
            const std::lock_guard lock(m_mutex);
            if (m_outbox.empty())
                return;
            call = std::move(m_outbox.front());
            m_outbox.pop_front();
        }
        call();
    }
}

// On the worker thread. The ticket and the job are handed back to the GUI thread to be released
// there: the ticket holds a QPointer, whose count QObject's destructor also keeps, inside Qt.
void JobRunner::run(std::shared_ptr<Ticket> ticket, Job job) {
    if (ticket->cancel.load()) {
        post([ticket = std::move(ticket), job = std::move(job)] {});
        return;
    }
    post([this, ticket] { markRunning(ticket); });
    QElapsedTimer sinceReport;
    cwb::Progress progress;
    progress.cancel = &ticket->cancel;
    progress.report = [&](double fraction, const QString& stage) {
        if (sinceReport.isValid() && sinceReport.elapsed() < kProgressIntervalMs && fraction < 1.0)
            return;
        sinceReport.start();
        post([this, ticket, fraction, stage] { report(ticket, fraction, stage); });
    };
    Delivery delivery = job(progress);
    // The runner outlives this call (shutdown() waits for it) and drops what is still posted.
    post([this, ticket = std::move(ticket), job = std::move(job), delivery = std::move(delivery)] {
        deliver(ticket, delivery);
    });
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
