// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "commandline.h"

namespace cwb::cli {

Command infoCommand();
Command evalCommand();

} // namespace cwb::cli
