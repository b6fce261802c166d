// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

// Where the window keeps its runs: $CWB_DB if set (as for `cwb`), else the file chosen in
// File ▸ Run Database… (kept in QSettings), else the CLI's default in the user's data folder.
// The same file for both programs unless the user chooses otherwise.
namespace RunDatabaseLocation {

QString path();
// Whether $CWB_DB decides, so that a chosen file is not used.
bool isFromEnvironment();
// The file chosen in the settings; empty when none is.
QString chosenPath();
// Remembers `path` as the chosen file; an empty path goes back to the default.
void setChosenPath(const QString& path);
// The CLI's default, where the window keeps its runs when nothing else is chosen.
QString defaultPath();

} // namespace RunDatabaseLocation
