// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "costmodel.h"

class RunLibrary;

// What serving a run's model would cost on every hardware profile of the library, for a
// workload: the same core calls as `cwb cost RUN --workload P:O:Q` (the run's size and shape, the
// store's profiles, the efficiency of the latest benchmark on this machine). Fails with a
// one-line reason when the run has no size to price.
cwb::Result<cwb::CostProjection> projectRunCost(RunLibrary& library, const cwb::RunRecord& run,
                                                const cwb::Workload& workload);
