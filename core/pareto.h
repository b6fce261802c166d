// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace cwb {

// Which way a metric improves.
enum class Better { Lower, Higher };

struct ParetoPoint {
    double x = 0;
    double y = 0;
};

// Whether `a` dominates `b`: at least as good on both axes and strictly better on one.
bool dominates(const ParetoPoint& a, const ParetoPoint& b, Better x, Better y);

// The indices of the points no other point dominates, ordered by x then y (ascending). Points
// with a NaN coordinate are never on the front. Equal points are all on it or all off it.
// O(n log n): one sweep in order of x.
std::vector<std::size_t> paretoFront(std::span<const ParetoPoint> points, Better x, Better y);

} // namespace cwb
