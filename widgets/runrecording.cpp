// SPDX-License-Identifier: GPL-3.0-or-later
#include "runrecording.h"

#include "runlibrary.h"

#include <QMetaObject>

std::unique_ptr<RecordedRun> RecordedRun::begin(const RunRecording& where, cwb::RunRecord record) {
    if (!where.isEnabled())
        return nullptr;
    auto store = cwb::RunStore::open(where.path());
    if (!store) {
        qWarning("runs are not kept: %s", qPrintable(store.error().message));
        return nullptr;
    }
    std::unique_ptr<RecordedRun> run(new RecordedRun(std::move(store.value()), where.m_library));
    auto recorder = cwb::RunRecorder::start(*run->m_store, std::move(record));
    if (!recorder) {
        qWarning("%s", qPrintable(recorder.error().message));
        return nullptr;
    }
    run->m_id = recorder->id();
    run->m_recorder.emplace(std::move(recorder.value()));
    run->notify(false);
    return run;
}

RecordedRun::RecordedRun(std::unique_ptr<cwb::RunStore> store, RunLibrary* library)
    : m_store(std::move(store))
    , m_library(library) {}

RecordedRun::~RecordedRun() {
    if (m_recorder) {
        m_recorder.reset();
        notify(true);
    }
}

void RecordedRun::finish(const cwb::RunOutcome& outcome) {
    if (!m_recorder)
        return;
    if (auto done = m_recorder->finish(outcome); !done)
        qWarning("run %lld: %s", qlonglong(m_id), qPrintable(done.error().message));
    m_recorder.reset();
    notify(true);
}

void RecordedRun::fail(const cwb::Error& error) {
    if (!m_recorder)
        return;
    if (auto done = m_recorder->fail(error); !done)
        qWarning("run %lld: %s", qlonglong(m_id), qPrintable(done.error().message));
    m_recorder.reset();
    notify(true);
}

// Queued to the library's thread, where its views read the store again. By name, so that Qt
// copies the arguments: a functor built here would be handed over by Qt's event queue, which
// ThreadSanitizer cannot see into (tests/tsan.supp).
void RecordedRun::notify(bool ended) const {
    if (!m_library)
        return;
    QMetaObject::invokeMethod(m_library, "noteRun", Qt::QueuedConnection, Q_ARG(qint64, m_id),
                              Q_ARG(bool, ended));
}
