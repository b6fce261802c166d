// SPDX-License-Identifier: GPL-3.0-or-later
#include "runlibrary.h"

#include "runrecording.h"

RunLibrary::RunLibrary(QObject* parent)
    : QObject(parent) {}

RunLibrary::~RunLibrary() = default;

bool RunLibrary::open(const QString& path) {
    m_store.reset();
    m_path = path;
    m_problem.clear();
    auto opened = cwb::RunStore::open(path);
    if (opened) {
        m_store = std::move(opened.value());
        if (m_store->readOnly())
            m_problem = tr("New runs are not kept: %1").arg(m_store->readOnlyReason());
    } else {
        m_problem = tr("Runs are not kept: %1").arg(opened.error().message.simplified());
    }
    emit databaseChanged(path);
    emit runsChanged();
    emit hardwareChanged();
    return isOpen();
}

bool RunLibrary::canRecord() const {
    return m_store && !m_store->readOnly();
}

RunRecording RunLibrary::recording() {
    return canRecord() ? RunRecording(m_path, this) : RunRecording();
}

cwb::Error RunLibrary::closedError() const {
    return cwb::Error{m_problem.isEmpty() ? tr("no run database is open") : m_problem};
}

cwb::Result<std::vector<cwb::RunRecord>> RunLibrary::runs(const cwb::RunFilter& filter) const {
    if (!m_store)
        return closedError();
    return m_store->list(filter);
}

cwb::Result<cwb::RunRecord> RunLibrary::run(qint64 id) const {
    if (!m_store)
        return closedError();
    return m_store->get(id);
}

cwb::Result<void> RunLibrary::removeRun(qint64 id) {
    if (!m_store)
        return closedError();
    auto removed = m_store->remove(id);
    if (removed)
        emit runsChanged();
    return removed;
}

cwb::Result<std::vector<cwb::HardwareProfile>> RunLibrary::hardwareProfiles() const {
    if (!m_store)
        return closedError();
    return m_store->hardwareProfiles();
}

cwb::Result<void> RunLibrary::addHardware(const cwb::HardwareProfile& profile) {
    if (!m_store)
        return closedError();
    auto added = m_store->addHardware(profile);
    if (!added)
        return added.error();
    emit hardwareChanged();
    return {};
}

cwb::Result<void> RunLibrary::updateHardware(const cwb::HardwareProfile& profile) {
    if (!m_store)
        return closedError();
    auto updated = m_store->updateHardware(profile);
    if (updated)
        emit hardwareChanged();
    return updated;
}

cwb::Result<void> RunLibrary::removeHardware(const QString& name) {
    if (!m_store)
        return closedError();
    auto removed = m_store->removeHardware(name);
    if (removed)
        emit hardwareChanged();
    return removed;
}

void RunLibrary::noteRun(qint64 id, bool ended) {
    emit runsChanged();
    if (ended)
        emit runRecorded(id);
}

void RunLibrary::notifyRunsChanged() {
    emit runsChanged();
}
