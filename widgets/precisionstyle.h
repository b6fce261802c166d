// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "precision.h"

#include <QColor>
#include <QIcon>

// One colour per number of weight bits, the same in the table, the combo boxes and the legend, so
// a glance down the Precision column shows where the bits went: grey for untouched floats, blue
// for 16-bit, green for 8-bit, amber for 4-bit and red for the 2-bit accuracy cliff.
QColor precisionColor(cwb::PrecisionId id);
// A round swatch of precisionColor(), for item views and menus.
QIcon precisionIcon(cwb::PrecisionId id);
// "int4_g32 — 4-bit symmetric, groups of 32…", for tooltips.
QString precisionToolTip(cwb::PrecisionId id);
