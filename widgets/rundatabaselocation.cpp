// SPDX-License-Identifier: GPL-3.0-or-later
#include "rundatabaselocation.h"

#include "store/runstore.h"

#include <QFileInfo>
#include <QSettings>

namespace {
const QString kKey = QStringLiteral("runs/database");
} // namespace

namespace RunDatabaseLocation {

bool isFromEnvironment() {
    return !qgetenv("CWB_DB").isEmpty();
}

QString chosenPath() {
    return QSettings().value(kKey).toString();
}

void setChosenPath(const QString& path) {
    QSettings settings;
    if (path.isEmpty())
        settings.remove(kKey);
    else
        settings.setValue(kKey, QFileInfo(path).absoluteFilePath());
}

QString defaultPath() {
    return cwb::RunStore::defaultPath();
}

QString path() {
    // RunStore::defaultPath() reads $CWB_DB first, as `cwb --db` does when no file is given.
    if (isFromEnvironment())
        return defaultPath();
    const QString chosen = chosenPath();
    return chosen.isEmpty() ? defaultPath() : chosen;
}

} // namespace RunDatabaseLocation
