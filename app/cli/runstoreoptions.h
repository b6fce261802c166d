// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "commandline.h"

#include "store/runstore.h"

#include <cstdint>
#include <memory>
#include <optional>

namespace cwb::cli {

// --db FILE, which every command that records or reads runs takes.
Option dbOption();
Result<std::unique_ptr<RunStore>> openRunStore(const Arguments& a);
// --parent RUN_ID: the run this one continues. Without it a run on a model file that a recorded
// run wrote gets that run as its parent (RunRecorder::start).
Option parentOption();
// The --parent run, checked to be in `store`; nothing when not given.
Result<std::optional<std::int64_t>> parentRun(const Arguments& a, RunStore& store);
// The command as typed, shell-quoted where needed, for the run record and reports.
QString invokedCommand();

} // namespace cwb::cli
