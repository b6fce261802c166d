// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plan.h"

#include <QString>

class QComboBox;

// What each quantization method does, in a sentence, for tooltips and combo boxes.
QString methodSummary(cwb::QuantMethod method);
// "gptq — GPTQ: …", for tooltips.
QString methodToolTip(cwb::QuantMethod method);
// Every method, in the order of cwb::QuantMethod, each with its summary as tooltip; the item
// data is int(cwb::QuantMethod). With `defaultEntry`, a first entry (data -1) for "the plan's
// default", named after `defaultMethod`.
void fillMethodCombo(QComboBox* combo, bool defaultEntry = false,
                     cwb::QuantMethod defaultMethod = cwb::QuantMethod::Rtn);
