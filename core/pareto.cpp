// SPDX-License-Identifier: GPL-3.0-or-later
#include "pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cwb {

namespace {

// The coordinate as a cost: lower is better on both axes after this.
double cost(double v, Better b) {
    return b == Better::Lower ? v : -v;
}

} // namespace

bool dominates(const ParetoPoint& a, const ParetoPoint& b, Better x, Better y) {
    const double ax = cost(a.x, x), ay = cost(a.y, y), bx = cost(b.x, x), by = cost(b.y, y);
    return ax <= bx && ay <= by && (ax < bx || ay < by);
}

std::vector<std::size_t> paretoFront(std::span<const ParetoPoint> points, Better x, Better y) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < points.size(); ++i)
        if (!std::isnan(points[i].x) && !std::isnan(points[i].y))
            order.push_back(i);
    auto cx = [&](std::size_t i) { return cost(points[i].x, x); };
    auto cy = [&](std::size_t i) { return cost(points[i].y, y); };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return cx(a) != cx(b) ? cx(a) < cx(b) : cy(a) < cy(b);
    });
    // Sweeping in order of cost along x, a point is dominated exactly when a point of strictly
    // lower x cost has a y cost at most its own, or one of equal x cost has a lower y cost.
    std::vector<std::size_t> front;
    double bestBefore = std::numeric_limits<double>::infinity();
    for (std::size_t at = 0; at < order.size();) {
        std::size_t end = at;
        while (end < order.size() && cx(order[end]) == cx(order[at]))
            ++end;
        const double groupBest = cy(order[at]);
        if (groupBest < bestBefore)
            for (std::size_t k = at; k < end && cy(order[k]) == groupBest; ++k)
                front.push_back(order[k]);
        bestBefore = std::min(bestBefore, groupBest);
        at = end;
    }
    std::stable_sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) {
        return points[a].x != points[b].x ? points[a].x < points[b].x : points[a].y < points[b].y;
    });
    return front;
}

} // namespace cwb
