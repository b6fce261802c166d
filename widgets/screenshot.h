// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>

class MainWindow;

// What `compression-workbench --screenshot` needs: a view brought to the front, and a wait until
// the window shows what it was asked to, so that what is grabbed is what a user would see.
namespace screenshot {

// The views --view accepts: "tradeoff", "layermap", "layermap-error", "jobs", "detail",
// "architecture", "evaluation", "calibration".
QStringList views();
// Brings `view` to the front (a dock raised and given room, a tab chosen, the layer map's mode
// set); false for a name views() does not list.
bool showView(MainWindow& window, const QString& view);
// Runs the event loop until the stored runs are read, the layer map's errors are computed and the
// plots' queued replots have run; false if that takes longer than `timeoutMs`.
bool waitUntilDrawn(MainWindow& window, int timeoutMs);
// Runs the event loop until the first job has reported progress and the window has painted it;
// false if none does within `timeoutMs`.
bool waitForProgress(MainWindow& window, int timeoutMs);

} // namespace screenshot
