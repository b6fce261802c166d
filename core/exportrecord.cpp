// SPDX-License-Identifier: GPL-3.0-or-later
#include "exportrecord.h"

#include "runrecorder.h"

#include <QFileInfo>

namespace cwb {

RunRecord quantizeRecord(const Model& model, const Plan& plan, const QString& planName,
                         const QString& outPath, ExportFallback fallback,
                         const CalibrationStats* stats, int threads, const QString& command) {
    RunRecord record = newRunRecord(QStringLiteral("quantize"), &model, command);
    record.name = planName;
    record.plan = plan.toJson();
    record.threads = threads;
    record.settings = QJsonObject{{QStringLiteral("out"), QFileInfo(outPath).absoluteFilePath()},
                                  {QStringLiteral("fallback"), fallbackName(fallback)}};
    if (stats)
        record.calibText = {stats->textPath, stats->textSha256, stats->tokens};
    return record;
}

RunOutcome quantizeOutcome(const Model& model, const ResolvedPlan& plan, const ExportResult& result,
                           const QJsonObject& output, const CalibrationStats* stats) {
    std::vector<TensorResult> tensors;
    for (const ExportedTensor& t : result.layout.tensors) {
        TensorResult r;
        r.tensor = t.name;
        r.precision = QLatin1String(precisionInfo(t.precision).name);
        const TensorChoice* c = plan.find(t.name);
        r.method = methodName(c ? c->method : QuantMethod::Rtn);
        r.bytes = t.bytes;
        tensors.push_back(r);
    }
    QJsonObject settings = output;
    if (stats)
        settings.insert(QStringLiteral("calibration"), stats->provenance());
    settings.insert(QStringLiteral("fallbacks"), fallbacksJson(result.layout.fallbacks));
    return {{{QStringLiteral("size_bytes"), {double(result.fileBytes), {}}},
             {QStringLiteral("bpw"), {exportedBitsPerWeight(model, result.layout), {}}}},
            tensors,
            0,
            settings};
}

double exportedBitsPerWeight(const Model& model, const ExportLayout& layout) {
    std::uint64_t bytes = 0;
    std::int64_t parameters = 0;
    for (std::size_t i = 0; i < model.tensors.size(); ++i)
        if (model.tensors[i].isMatrix()) {
            bytes += layout.tensors[i].bytes;
            parameters += model.tensors[i].elements();
        }
    return parameters ? 8.0 * double(bytes) / double(parameters) : 0.0;
}

QJsonArray fallbacksJson(const std::vector<ExportFallbackItem>& fallbacks) {
    QJsonArray out;
    for (const ExportFallbackItem& f : fallbacks)
        out.append(QJsonObject{
            {QStringLiteral("tensor"), f.tensor},
            {QStringLiteral("precision"), QLatin1String(precisionInfo(f.precision).name)},
            {QStringLiteral("reason"), f.reason},
            {QStringLiteral("nearest"), QLatin1String(traitsOf(f.nearest).name)},
            {QStringLiteral("note"), f.note}});
    return out;
}

} // namespace cwb
