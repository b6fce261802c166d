// SPDX-License-Identifier: GPL-3.0-or-later
#include "runcost.h"

#include "runlibrary.h"

#include <QCoreApplication>

cwb::Result<cwb::CostProjection> projectRunCost(RunLibrary& library, const cwb::RunRecord& run,
                                                const cwb::Workload& workload) {
    cwb::RunStore* store = library.store();
    if (!store)
        return cwb::Error{library.problem()};
    const auto model = cwb::modelCostOf(run);
    if (!model)
        return cwb::Error{QCoreApplication::translate(
                              "RunCost", "run %1 has no size to price: evaluate a plan, or "
                                         "benchmark one, to price it")
                              .arg(run.id)};
    auto profiles = store->hardwareProfiles();
    if (!profiles)
        return profiles.error();
    auto efficiency = cwb::efficiencyFromStore(*store, run);
    if (!efficiency)
        return efficiency.error();
    return cwb::projectCost(*model, *profiles, workload, *efficiency);
}
