// SPDX-License-Identifier: GPL-3.0-or-later
#include "reproduction.h"

#include "calibration.h"
#include "evaluation.h"
#include "fingerprint.h"
#include "metricinfo.h"
#include "model.h"
#include "planevaluation.h"
#include "runrecorder.h"
#include "textfile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace cwb {
namespace {

QString shortHash(const QString& h) {
    return h.left(16) + QStringLiteral("…");
}

Result<EvalOptions> evalOptionsOf(const QJsonObject& settings, int threads) {
    EvalOptions o;
    const QString split = settings.value(QStringLiteral("split")).toString();
    if (split == QLatin1String("documents"))
        o.split = SplitMode::Documents;
    else if (split != QLatin1String("chunks"))
        return Error{QStringLiteral("the report's settings name no split mode it can redo ('%1')")
                         .arg(split)};
    if (const QString s = settings.value(QStringLiteral("separator")).toString(); !s.isEmpty())
        o.separator = s.toUtf8();
    o.ctx = settings.value(QStringLiteral("ctx")).toInt(512);
    o.maxChunks = settings.value(QStringLiteral("chunks")).toInt(0);
    o.maxTokens = settings.value(QStringLiteral("max_tokens")).toInteger(0);
    o.threads = threads;
    if (o.ctx < 2)
        return Error{QStringLiteral("the report's context length %1 is not usable").arg(o.ctx)};
    return o;
}

// Checks a text's hash against the report's; a mismatch is named in `out`.
bool checkHash(const QString& what, const QString& path, const QString& actual,
               const QString& stated, ReproductionOutcome& out) {
    if (actual == stated) {
        out.checks << QStringLiteral("%1 %2: sha256 %3 matches").arg(what, path, shortHash(actual));
        return true;
    }
    out.mismatches << QStringLiteral("%1 %2 has changed: its sha256 is %3, the report says %4")
                          .arg(what, path, shortHash(actual), shortHash(stated));
    return false;
}

std::optional<double> optionalDouble(const QJsonValue& v) {
    return v.isDouble() ? std::optional(v.toDouble()) : std::nullopt;
}

} // namespace

Result<ReproductionOutcome> reproduceReport(const QJsonObject& report, const Progress& progress) {
    ReproductionOutcome out;
    const QString kind = report.value(QStringLiteral("kind")).toString();
    if (kind != QLatin1String("evaluation"))
        return Error{QStringLiteral("reproducing a run of kind '%1' is not supported; "
                                    "evaluation runs are")
                         .arg(kind)};
    const QJsonObject modelJson = report.value(QStringLiteral("model")).toObject();
    const QJsonObject method = report.value(QStringLiteral("method")).toObject();
    const QJsonObject data = report.value(QStringLiteral("data")).toObject();
    const QJsonObject settings = method.value(QStringLiteral("settings")).toObject();
    const int threads = report.value(QStringLiteral("environment"))
                            .toObject()
                            .value(QStringLiteral("threads"))
                            .toInt(0);

    // Every file first: nothing is computed from a file that is not the one the report names.
    const QString modelPath = modelJson.value(QStringLiteral("path")).toString();
    auto model = loadModel(modelPath);
    if (!model)
        return model.error();
    if (!checkHash(QStringLiteral("model"), modelPath, modelFingerprint(**model),
                   modelJson.value(QStringLiteral("sha256")).toString(), out))
        return out;
    const QJsonObject evalJson = data.value(QStringLiteral("evaluation")).toObject();
    const QString evalPath = evalJson.value(QStringLiteral("path")).toString();
    auto text = readTextFile(evalPath);
    if (!text)
        return text.error();
    if (!checkHash(QStringLiteral("evaluation text"), evalPath, sha256Hex(*text),
                   evalJson.value(QStringLiteral("sha256")).toString(), out))
        return out;
    std::optional<CalibrationText> calibText;
    if (const QJsonValue c = data.value(QStringLiteral("calibration")); c.isObject()) {
        const QString path = c.toObject().value(QStringLiteral("path")).toString();
        auto loaded = readCalibrationText(path);
        if (!loaded)
            return loaded.error();
        if (!checkHash(QStringLiteral("calibration text"), path, loaded->sha256,
                       c.toObject().value(QStringLiteral("sha256")).toString(), out))
            return out;
        calibText = std::move(loaded.value());
    }

    auto options = evalOptionsOf(settings, threads);
    if (!options)
        return options.error();
    std::map<QString, MetricValue> now;
    const QJsonArray reported = report.value(QStringLiteral("results"))
                                    .toObject()
                                    .value(QStringLiteral("metrics"))
                                    .toArray();
    bool planRun = false;
    for (const QJsonValue& v : reported)
        planRun |=
            v.toObject().value(QStringLiteral("name")).toString() == QLatin1String("kld_mean");
    if (!planRun) {
        auto result = evaluatePerplexity(**model, *text, *options, progress);
        if (!result)
            return result.error();
        now = metricsOf(*result);
    } else {
        auto plan =
            parsePlan(QJsonDocument(method.value(QStringLiteral("plan")).toObject()).toJson());
        if (!plan)
            return Error{QStringLiteral("the report's plan: %1").arg(plan.error().message)};
        std::optional<CalibrationStats> stats;
        if (calibText) {
            const QJsonObject c = method.value(QStringLiteral("calibration")).toObject();
            CalibrationOptions co;
            co.sequences = c.value(QStringLiteral("sequences")).toInt(co.sequences);
            co.sequenceLength = c.value(QStringLiteral("sequence_length")).toInt(co.sequenceLength);
            co.hessians = c.value(QStringLiteral("hessians")).toBool(co.hessians);
            co.threads = threads;
            auto collected = calibrate(**model, *calibText, co,
                                       progress.slice(0.0, 0.3, QStringLiteral("calibrating")));
            if (!collected)
                return collected.error();
            stats = std::move(collected.value());
        }
        PlanEvaluationOptions po;
        po.eval = *options;
        po.stats = stats ? &*stats : nullptr;
        auto result =
            evaluatePlan(**model, *text, *plan, po,
                         progress.slice(calibText ? 0.3 : 0.0, 1.0, QStringLiteral("evaluating")));
        if (!result)
            return result.error();
        now = metricsOf(*result);
    }

    // Every deterministic metric either side has, compared bit for bit.
    std::map<QString, MetricComparison> compared;
    QSet<QString> inReport;
    for (const QJsonValue& v : reported) {
        const QJsonObject m = v.toObject();
        const QString name = m.value(QStringLiteral("name")).toString();
        inReport.insert(name);
        const MetricInfo* info = metricInfo(name);
        if (info && !info->deterministic)
            continue;
        const auto it = now.find(name);
        if (it == now.end()) {
            out.mismatches
                << QStringLiteral("metric %1 is in the report but was not computed now").arg(name);
            continue;
        }
        MetricComparison c;
        c.reported = m.value(QStringLiteral("value")).toDouble();
        c.reportedUncertainty = optionalDouble(m.value(QStringLiteral("uncertainty")));
        c.now = it->second.value;
        c.nowUncertainty = it->second.uncertainty;
        if (!c.identical())
            out.mismatches << QStringLiteral("metric %1 differs: the report says %2, now %3")
                                  .arg(name)
                                  .arg(c.reported, 0, 'g', 17)
                                  .arg(c.now, 0, 'g', 17);
        compared[name] = c;
    }
    for (const auto& [name, value] : now) {
        const MetricInfo* info = metricInfo(name);
        if ((!info || info->deterministic) && !inReport.contains(name))
            out.mismatches
                << QStringLiteral("metric %1 was computed now but is not in the report").arg(name);
    }
    out.metrics = std::move(compared);
    return out;
}

} // namespace cwb
