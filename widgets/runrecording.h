// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "runrecorder.h"
#include "store/runstore.h"

#include <QString>

#include <memory>
#include <optional>

class RunLibrary;

// Where a worker job records its run: the window's run database, and the library to tell when
// it did. A default-constructed one records nothing. Copied into the job by value.
class RunRecording {
public:
    RunRecording() = default;
    RunRecording(QString path, RunLibrary* library)
        : m_path(std::move(path))
        , m_library(library) {}

    bool isEnabled() const { return !m_path.isEmpty(); }
    const QString& path() const { return m_path; }

private:
    friend class RecordedRun;
    QString m_path;
    // Only posted to from the worker: the library outlives the jobs (the window shuts the
    // JobRunner down before destroying its children).
    RunLibrary* m_library = nullptr;
};

// A run a job records on the worker thread, as `cwb` records its own: begun before the work,
// then finished, failed or cancelled. Recording is best effort: a store that refuses the run
// never fails the job (the window already says why runs are not kept).
class RecordedRun {
public:
    // Begins `record` in its own connection to the database (one RunStore per thread). Null when
    // `where` records nothing or the store refused the run.
    static std::unique_ptr<RecordedRun> begin(const RunRecording& where, cwb::RunRecord record);
    // A run neither finished nor failed is recorded as failed, as RunRecorder does.
    ~RecordedRun();
    RecordedRun(const RecordedRun&) = delete;
    RecordedRun& operator=(const RecordedRun&) = delete;

    std::int64_t id() const { return m_id; }
    void finish(const cwb::RunOutcome& outcome);
    // A cancelled job is recorded as cancelled, any other failure as failed with its reason.
    void fail(const cwb::Error& error);

private:
    RecordedRun(std::unique_ptr<cwb::RunStore> store, RunLibrary* library);
    void notify(bool ended) const;

    std::unique_ptr<cwb::RunStore> m_store; // declared before the recorder, which points to it
    std::optional<cwb::RunRecorder> m_recorder;
    RunLibrary* m_library;
    std::int64_t m_id = 0;
};
