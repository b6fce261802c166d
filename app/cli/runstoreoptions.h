// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "commandline.h"

#include "store/runstore.h"

#include <memory>

namespace cwb::cli {

// --db FILE, which every command that records or reads runs takes.
Option dbOption();
Result<std::unique_ptr<RunStore>> openRunStore(const Arguments& a);
// The command as typed, shell-quoted where needed, for the run record and reports.
QString invokedCommand();

} // namespace cwb::cli
