// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <cstdint>

namespace cwb {

QString cpuModelName();               // from /proc/cpuinfo
std::uint64_t peakResidentBytes();    // the process's high-water mark (VmHWM)
std::uint64_t currentResidentBytes(); // VmRSS
std::uint64_t physicalMemoryBytes();
QString oneDnnVersion(); // "2.6.3"

} // namespace cwb
