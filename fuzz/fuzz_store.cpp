// SPDX-License-Identifier: GPL-3.0-or-later
// The SQLite run store opened on a hostile file: open (integrity and schema checks,
// migrations), then every read the CLI and window make.
#include "fuzzsupport.h"

#include "store/runstore.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    const QString path = cwbfuzz::writeInput(data, size, QStringLiteral("runs.sqlite"));
    QFile::remove(path + QStringLiteral("-wal"));
    QFile::remove(path + QStringLiteral("-shm"));
    auto store = cwb::RunStore::open(path);
    if (!store)
        return 0;
    if (auto runs = (*store)->list(); runs)
        for (const cwb::RunRecord& r : *runs)
            (void)(*store)->get(r.id);
    (void)(*store)->hardwareProfiles();
    (void)(*store)->markInterrupted();
    return 0;
}
