// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "progress.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

class QThread;

// Runs long core calls on one worker thread that lives as long as the runner: oneDNN and OpenMP
// keep per-thread state, so every compute job must see the same thread.
//
// Jobs go to the worker, and what they report comes back, through queues under one std::mutex,
// not through Qt's event queue: Qt is built without ThreadSanitizer, so the hand-off would be
// invisible to it, and every job's data would look raced. The GUI thread is only woken by a
// queued call that carries nothing.
//
// Jobs started with start() are exclusive: one is current at a time, and starting another
// supersedes it: its cancel flag is set and whatever it returns is dropped, as is the result of a
// job cancelled by the user. Jobs added with enqueue() wait their turn behind everything already
// given to the worker and are not superseded; they end by finishing or by cancel(). Only live
// jobs (neither superseded, cancelled nor delivered) report progress and results to the GUI
// thread, and jobs() lists them, queued or running, for the jobs panel.
class JobRunner : public QObject {
    Q_OBJECT
public:
    // What to do with a job's result, run later on the GUI thread.
    using Delivery = std::function<void()>;
    // The part that runs on the worker thread. It must capture by value everything it reads
    // (the model's shared_ptr included) and touch no widget.
    using Job = std::function<Delivery(const cwb::Progress& progress)>;

    enum class State { Queued, Running };
    // A live job as the GUI thread last heard of it.
    struct JobInfo {
        quint64 id = 0;
        QString name;
        State state = State::Queued;
        double fraction = 0;
        QString stage;
        QDateTime queuedAt;
        QDateTime startedAt; // invalid while queued
    };

    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;

    // Queues `job` behind the running one, superseding the current exclusive job, and returns its
    // id. The delivery is skipped if `receiver` has been destroyed by the time the job ends.
    // Without a name the job is named as nameJobsOf() named the receiver's, or "Job N".
    quint64 start(QObject* receiver, Job job, const QString& name = {});
    // Queues `job` without superseding anything.
    quint64 enqueue(QObject* receiver, Job job, const QString& name);
    // Cancels `job` if it is live; nothing of it is delivered.
    void cancel(quint64 job);
    // Cancels every live job.
    void cancelAll();
    // requestCancel() for every live job.
    void requestCancelAll();
    // Cancels and waits for the worker to stop; later starts are ignored. Safe to call twice.
    void shutdown();
    // The name of every job started for `receiver` without a name of its own ("Evaluation"), and
    // how the jobs panel cancels one: through `cancel`, which must end in cancel(id), so that the
    // receiver knows its job is gone; without it, cancel(id) directly.
    void nameJobsOf(const QObject* receiver, const QString& name,
                    std::function<void()> cancel = {});
    // Cancels `job` as a user would from the jobs panel: through its receiver's canceller.
    void requestCancel(quint64 job);

    // Whether an exclusive job is current.
    bool isBusy() const { return m_current != nullptr; }
    // Whether any job is live, queued or running.
    bool hasJobs() const { return !m_live.empty(); }
    QList<JobInfo> jobs() const;
    const QThread* workerThread() const;

signals:
    void progress(quint64 job, double fraction, const QString& stage);
    // After a live job's delivery ran.
    void finished(quint64 job);
    // The list of live jobs changed: one was added, started running, ended or was cancelled.
    void jobsChanged();

private:
    struct Ticket;
    quint64 add(QObject* receiver, Job job, const QString& name, bool exclusive);
    void drop(const std::shared_ptr<Ticket>& ticket);
    // The worker thread's loop, and one job on it.
    void work();
    void run(std::shared_ptr<Ticket> ticket, Job job);
    // From the worker: `call` runs on the GUI thread, after the calls posted before it.
    void post(std::function<void()> call);
    Q_INVOKABLE void runPosted();
    void markRunning(const std::shared_ptr<Ticket>& ticket);
    void report(const std::shared_ptr<Ticket>& ticket, double fraction, const QString& stage);
    void deliver(const std::shared_ptr<Ticket>& ticket, const Delivery& delivery);
    bool isLive(const std::shared_ptr<Ticket>& ticket) const;

    QThread* m_thread;
    // Under m_mutex: the jobs for the worker in order, the calls for the GUI thread, and whether
    // the worker is to stop (and has).
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::pair<std::shared_ptr<Ticket>, Job>> m_inbox;
    std::deque<std::function<void()>> m_outbox;
    bool m_stopping = false;
    bool m_stopped = false;
    std::shared_ptr<Ticket> m_current;           // the exclusive job, if live
    std::vector<std::shared_ptr<Ticket>> m_live; // in the order given to the worker
    QHash<const QObject*, QString> m_names;
    QHash<const QObject*, std::function<void()>> m_cancellers;
    quint64 m_lastId = 0;
    bool m_shutDown = false;
};
