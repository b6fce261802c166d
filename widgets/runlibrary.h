// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/runstore.h"

#include <QObject>

#include <memory>
#include <vector>

class RunRecording;

// The window's run database, on the GUI thread: the runs its lists, diff and cost views read,
// and the hardware profiles. Jobs record runs on the worker with a RunRecording (one RunStore per
// thread, as the store wants); whatever records or deletes a run makes this emit runsChanged().
//
// A file that cannot be opened (not SQLite, another program's database) leaves the library
// closed: the window works on, runs are not kept, and problem() says why in one line. A database
// of a newer version opens read-only: its runs are listed, new ones are not recorded.
class RunLibrary : public QObject {
    Q_OBJECT
public:
    explicit RunLibrary(QObject* parent = nullptr);
    ~RunLibrary() override;

    // Closes the current database and opens `path`; returns whether it opened (read-only
    // included). Emits databaseChanged() and runsChanged() either way.
    bool open(const QString& path);
    QString path() const { return m_path; }
    bool isOpen() const { return m_store != nullptr; }
    // Open and writable: jobs record their runs.
    bool canRecord() const;
    // Why runs are not kept, or are read-only; empty when all is well.
    QString problem() const { return m_problem; }
    // The store itself, for core calls that take one (null when closed). GUI thread only.
    cwb::RunStore* store() const { return m_store.get(); }

    // What a worker job needs to record its run here (records nothing while closed or
    // read-only).
    RunRecording recording();

    cwb::Result<std::vector<cwb::RunRecord>> runs(const cwb::RunFilter& filter = {}) const;
    cwb::Result<cwb::RunRecord> run(qint64 id) const;
    cwb::Result<void> removeRun(qint64 id);

    cwb::Result<std::vector<cwb::HardwareProfile>> hardwareProfiles() const;
    cwb::Result<void> addHardware(const cwb::HardwareProfile& profile);
    cwb::Result<void> updateHardware(const cwb::HardwareProfile& profile);
    cwb::Result<void> removeHardware(const QString& name);

public slots:
    // Tells every view to read the runs again (for a run recorded by other means).
    void notifyRunsChanged();
    // Posted by name from a job's thread (RecordedRun): run `id` began, or `ended`.
    void noteRun(qint64 id, bool ended);

signals:
    // A run was recorded, started, ended or deleted, or another database was opened.
    void runsChanged();
    // A job of this window finished recording run `id` (finished, failed or cancelled).
    void runRecorded(qint64 id);
    void hardwareChanged();
    // Another file was opened, or failed to open (problem() says why).
    void databaseChanged(const QString& path);

private:
    cwb::Error closedError() const;

    QString m_path;
    QString m_problem;
    std::unique_ptr<cwb::RunStore> m_store;
};
