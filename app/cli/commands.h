// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "commandline.h"

namespace cwb::cli {

Command infoCommand();
Command evalCommand();
Command benchCommand();
Command calibrateCommand();
Command runsCommand();
Command hardwareCommand();
Command costCommand();
Command quantizeCommand();
Command pruneCommand();
Command distillCommand();
Command generateCommand();
Command reportCommand();
Command reproduceCommand();
Command sensitivityCommand();
Command searchCommand();

} // namespace cwb::cli
