// SPDX-License-Identifier: GPL-3.0-or-later
#include "evaloutput.h"

#include "modelsummary.h"

#include <QJsonArray>

namespace cwb::cli {

QJsonObject perplexityJson(const PerplexityResult& r) {
    return QJsonObject{
        {QStringLiteral("split"), splitModeName(r.split)},
        {QStringLiteral("ctx"), r.ctx},
        {QStringLiteral("sequences"), r.sequences},
        {QStringLiteral("ppl"), r.ppl},
        {QStringLiteral("ppl_stderr"), r.pplStderr},
        {QStringLiteral("nll_mean"), r.nllMean},
        {QStringLiteral("tokens_scored"), qint64(r.tokensScored)},
        {QStringLiteral("tokens_processed"), qint64(r.tokensProcessed)},
        {QStringLiteral("tok_per_s"), r.tokensPerSecond},
        {QStringLiteral("seconds"), r.seconds},
        {QStringLiteral("threads"), r.threads},
        {QStringLiteral("warnings"), QJsonArray::fromStringList(r.warnings)},
    };
}

QString perplexityText(const PerplexityResult& r) {
    return QStringLiteral("method     %1, context %2, %3 %4\n"
                          "PPL        %5 ± %6\n"
                          "tokens     %7 scored, %8 run through the model\n"
                          "speed      %9 tokens/s on %10 threads (%11 s in all)\n")
        .arg(splitModeName(r.split))
        .arg(r.ctx)
        .arg(r.sequences)
        .arg(r.split == SplitMode::Chunks ? QStringLiteral("chunks") : QStringLiteral("documents"))
        .arg(r.ppl, 0, 'f', 6)
        .arg(r.pplStderr, 0, 'f', 6)
        .arg(formatCount(r.tokensScored), formatCount(r.tokensProcessed))
        .arg(r.tokensPerSecond, 0, 'f', 0)
        .arg(r.threads)
        .arg(r.seconds, 0, 'f', 2);
}

static QJsonObject planEvaluationFields(const PlanEvaluation& e);

QJsonObject planEvaluationJson(const PlanEvaluation& e) {
    QJsonArray methods;
    for (const MethodReport& r : e.methodReports)
        methods.append(QJsonObject{{QStringLiteral("site"), r.site},
                                   {QStringLiteral("method"), methodName(r.method)},
                                   {QStringLiteral("alpha"), r.alpha},
                                   {QStringLiteral("searched"), r.searched},
                                   {QStringLiteral("error_rtn"), r.errorRtn},
                                   {QStringLiteral("error_method"), r.errorMethod}});
    QJsonObject out = planEvaluationFields(e);
    out.insert(QStringLiteral("methods"), methods);
    if (e.mismatch)
        out.insert(QStringLiteral("calibration_mismatch"),
                   QJsonObject{{QStringLiteral("js_divergence_bits"), e.mismatch->divergenceBits},
                               {QStringLiteral("threshold_bits"), e.mismatch->thresholdBits},
                               {QStringLiteral("mismatched"), e.mismatch->mismatched}});
    return out;
}

static QJsonObject planEvaluationFields(const PlanEvaluation& e) {
    const ComparisonMetrics& m = e.metrics;
    return QJsonObject{
        {QStringLiteral("ppl"), m.ppl},
        {QStringLiteral("ppl_stderr"), m.pplStderr},
        {QStringLiteral("base_ppl"), m.basePpl},
        {QStringLiteral("base_ppl_stderr"), m.basePplStderr},
        {QStringLiteral("ppl_ratio"), m.pplRatio},
        {QStringLiteral("ppl_ratio_stderr"), m.pplRatioStderr},
        {QStringLiteral("kld_mean"), m.kldMean},
        {QStringLiteral("kld_stderr"), m.kldStderr},
        {QStringLiteral("kld_median"), m.kldMedian},
        {QStringLiteral("kld_p99"), m.kldP99},
        {QStringLiteral("kld_max"), m.kldMax},
        {QStringLiteral("top1_agreement"), m.top1Agreement},
        {QStringLiteral("top1_stderr"), m.top1Stderr},
        {QStringLiteral("delta_p_mean"), m.deltaPMean},
        {QStringLiteral("delta_p_stderr"), m.deltaPStderr},
        {QStringLiteral("size_bytes"), qint64(e.size.totalBytes)},
        {QStringLiteral("bpw"), e.size.bitsPerWeight},
        {QStringLiteral("base_size_bytes"), qint64(e.baselineSize.totalBytes)},
        {QStringLiteral("base_bpw"), e.baselineSize.bitsPerWeight},
        {QStringLiteral("saving"), e.size.savingVsFp32()},
        {QStringLiteral("tokens_scored"), qint64(m.tokens)},
        {QStringLiteral("tokens_processed"), qint64(e.tokensProcessed)},
        {QStringLiteral("sequences"), e.sequences},
        {QStringLiteral("split"), splitModeName(e.split)},
        {QStringLiteral("ctx"), e.ctx},
        {QStringLiteral("threads"), e.threads},
        {QStringLiteral("tok_per_s"), e.tokensPerSecond},
        {QStringLiteral("seconds"), e.seconds},
        {QStringLiteral("baseline_cached"), e.baselineFromCache},
        {QStringLiteral("model_sha256"), e.modelSha256},
        {QStringLiteral("text_sha256"), e.textSha256},
        {QStringLiteral("warnings"), QJsonArray::fromStringList(e.warnings)},
    };
}

QString planEvaluationText(const PlanEvaluation& e) {
    const ComparisonMetrics& m = e.metrics;
    auto pm = [](double v, double err, int decimals) {
        return QStringLiteral("%1 ± %2").arg(v, 0, 'f', decimals).arg(err, 0, 'f', decimals);
    };
    auto row = [](const QString& label, const QString& base, const QString& plan) {
        return QStringLiteral("%1%2%3\n").arg(label, -24).arg(base, -26).arg(plan);
    };
    QString out = row(QString(), QStringLiteral("FP32 baseline"), QStringLiteral("plan"));
    out += row(QStringLiteral("PPL"), pm(m.basePpl, m.basePplStderr, 4), pm(m.ppl, m.pplStderr, 4));
    out += row(QStringLiteral("PPL ratio"), QString(), pm(m.pplRatio, m.pplRatioStderr, 5));
    out += row(QStringLiteral("mean KLD"), QString(), pm(m.kldMean, m.kldStderr, 6));
    out += row(QStringLiteral("KLD median / p99 / max"), QString(),
               QStringLiteral("%1 / %2 / %3")
                   .arg(m.kldMedian, 0, 'g', 4)
                   .arg(m.kldP99, 0, 'g', 4)
                   .arg(m.kldMax, 0, 'g', 4));
    out += row(QStringLiteral("top-1 agreement"), QString(),
               QStringLiteral("%1% ± %2%")
                   .arg(100 * m.top1Agreement, 0, 'f', 2)
                   .arg(100 * m.top1Stderr, 0, 'f', 2));
    out += row(QStringLiteral("mean Δp"), QString(), pm(m.deltaPMean, m.deltaPStderr, 5));
    out += row(QStringLiteral("size"),
               QStringLiteral("%1 (%2 bpw)")
                   .arg(formatBytes(e.baselineSize.totalBytes))
                   .arg(e.baselineSize.bitsPerWeight, 0, 'f', 2),
               QStringLiteral("%1 (%2 bpw), %3% smaller")
                   .arg(formatBytes(e.size.totalBytes))
                   .arg(e.size.bitsPerWeight, 0, 'f', 2)
                   .arg(100 * e.size.savingVsFp32(), 0, 'f', 1));
    if (!e.methodReports.empty()) {
        out += QStringLiteral(
            "\nmethod      input                 alpha             output error, rtn -> method\n");
        for (const MethodReport& r : e.methodReports)
            out += QStringLiteral("%1 %2 %3%4 %5 -> %6\n")
                       .arg(methodName(r.method), -11)
                       .arg(r.site, -21)
                       .arg(r.alpha, 5, 'f', 2)
                       .arg(r.searched ? QStringLiteral(" (searched)  ")
                                       : QStringLiteral(" (given)     "))
                       .arg(r.errorRtn, 0, 'g', 3)
                       .arg(r.errorMethod, 0, 'g', 3);
    }
    if (e.mismatch)
        out += QStringLiteral("\ncalibration: %1\n").arg(e.mismatch->message());
    out += QStringLiteral(
               "\n%1 tokens scored (%2, context %3), %4 tokens/s on %5 threads; FP32 baseline %6\n")
               .arg(formatCount(m.tokens), splitModeName(e.split))
               .arg(e.ctx)
               .arg(e.tokensPerSecond, 0, 'f', 0)
               .arg(e.threads)
               .arg(e.baselineFromCache ? QStringLiteral("from the cache")
                                        : QStringLiteral("computed and cached"));
    return out;
}

} // namespace cwb::cli
