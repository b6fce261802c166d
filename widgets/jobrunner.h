// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "progress.h"

#include <QObject>

#include <functional>
#include <memory>

class QThread;

// Runs long core calls on one worker thread that lives as long as the runner: oneDNN and OpenMP
// keep per-thread state, so every compute job must see the same thread.
//
// One job is current at a time. Starting another supersedes it: its cancel flag is set and
// whatever it returns is dropped, as is the result of a job cancelled by the user. Only the
// current job's progress and result reach the GUI thread.
class JobRunner : public QObject {
    Q_OBJECT
public:
    // What to do with a job's result, run later on the GUI thread.
    using Delivery = std::function<void()>;
    // The part that runs on the worker thread. It must capture by value everything it reads
    // (the model's shared_ptr included) and touch no widget.
    using Job = std::function<Delivery(const cwb::Progress& progress)>;

    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;

    // Queues `job` behind the running one and returns its id. The delivery is skipped if
    // `receiver` has been destroyed by the time the job ends.
    quint64 start(QObject* receiver, Job job);
    // Cancels `job` if it is the current one; nothing of it is delivered.
    void cancel(quint64 job);
    // Cancels and waits for the worker to stop; later starts are ignored. Safe to call twice.
    void shutdown();

    bool isBusy() const { return m_current != nullptr; }
    const QThread* workerThread() const;

signals:
    void progress(quint64 job, double fraction, const QString& stage);
    // After the current job's delivery ran.
    void finished(quint64 job);

private:
    struct Ticket;
    void cancelCurrent();
    void run(const std::shared_ptr<Ticket>& ticket, const Job& job);
    void report(const std::shared_ptr<Ticket>& ticket, double fraction, const QString& stage);
    void deliver(const std::shared_ptr<Ticket>& ticket, const Delivery& delivery);

    QThread* m_thread;
    QObject* m_workerContext; // lives in m_thread; queued calls to it run there
    std::shared_ptr<Ticket> m_current;
    quint64 m_lastId = 0;
    bool m_shutDown = false;
};
