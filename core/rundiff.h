// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/runstore.h"

#include <QStringList>

#include <optional>
#include <vector>

namespace cwb {

struct MetricDelta {
    QString name;
    std::optional<MetricValue> a, b;
    std::optional<double> delta;       // b − a
    std::optional<double> uncertainty; // √(σa² + σb²): the runs are taken as independent
};

struct TensorDifference {
    QString tensor;
    QString precisionA, precisionB;
    QString methodA, methodB;
    std::uint64_t bytesA = 0, bytesB = 0;
};

// What differs between two runs: every metric either has, and every tensor whose precision or
// method differs, with notes when the runs are not comparable (other model, text or settings).
struct RunDiff {
    std::int64_t a = 0, b = 0;
    std::vector<MetricDelta> metrics;
    std::vector<TensorDifference> tensors;
    QStringList notes;
};

RunDiff diffRuns(const RunRecord& a, const RunRecord& b);

} // namespace cwb
