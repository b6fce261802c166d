// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plan.h"

#include <QList>
#include <QString>

// A starting point for a whole plan, offered in Plan ▸ Presets. Each is an ordinary plan, so
// applying one is resolving it, and what it does can be saved and run from the command line.
struct PlanPreset {
    QString id;      // stable, for object names and settings: "all-int8"
    QString text;    // the menu entry
    QString toolTip; // what it gives which tensors, and why
    cwb::Plan plan;
};

QList<PlanPreset> planPresets();
