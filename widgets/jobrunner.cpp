// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobrunner.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QThread>

#include <atomic>

namespace {
// Progress faster than this would only flood the GUI thread's event queue.
constexpr qint64 kProgressIntervalMs = 100;
} // namespace

struct JobRunner::Ticket {
    quint64 id = 0;
    std::atomic<bool> cancel{false};
    QPointer<QObject> receiver;
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

quint64 JobRunner::start(QObject* receiver, Job job) {
    if (m_shutDown)
        return 0;
    cancelCurrent();
    auto ticket = std::make_shared<Ticket>();
    ticket->id = ++m_lastId;
    ticket->receiver = receiver;
    m_current = ticket;
    QMetaObject::invokeMethod(
        m_workerContext, [this, ticket, job = std::move(job)] { run(ticket, job); },
        Qt::QueuedConnection);
    return ticket->id;
}

void JobRunner::cancel(quint64 job) {
    if (m_current && m_current->id == job)
        cancelCurrent();
}

void JobRunner::cancelCurrent() {
    if (m_current)
        m_current->cancel.store(true);
    m_current.reset();
}

void JobRunner::shutdown() {
    if (m_shutDown)
        return;
    m_shutDown = true;
    cancelCurrent();
    // Jobs still queued behind the current one were superseded, so they return at once.
    m_thread->quit();
    m_thread->wait();
    m_workerContext = nullptr;
}

// On the worker thread.
void JobRunner::run(const std::shared_ptr<Ticket>& ticket, const Job& job) {
    if (ticket->cancel.load())
        return;
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

void JobRunner::report(const std::shared_ptr<Ticket>& ticket, double fraction,
                       const QString& stage) {
    if (ticket == m_current)
        emit progress(ticket->id, fraction, stage);
}

void JobRunner::deliver(const std::shared_ptr<Ticket>& ticket, const Delivery& delivery) {
    if (ticket != m_current || ticket->cancel.load())
        return;
    m_current.reset();
    if (ticket->receiver && delivery)
        delivery();
    emit finished(ticket->id);
}
