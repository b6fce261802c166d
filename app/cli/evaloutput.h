// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "evaluation.h"
#include "planevaluation.h"

#include <QJsonObject>
#include <QString>

namespace cwb::cli {

// What `cwb eval` prints, as JSON (snake_case keys) or text.
QJsonObject perplexityJson(const PerplexityResult& r);
QString perplexityText(const PerplexityResult& r);
QJsonObject planEvaluationJson(const PlanEvaluation& e);
QString planEvaluationText(const PlanEvaluation& e);

} // namespace cwb::cli
