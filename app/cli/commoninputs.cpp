// SPDX-License-Identifier: GPL-3.0-or-later
#include "commoninputs.h"

#include "calibrationoptions.h"
#include "terminal.h"

#include "calibration.h"

namespace cwb::cli {

std::vector<Option> evalOptionTable() {
    return {
        {QStringLiteral("split"), QStringLiteral("MODE"),
         QStringLiteral("chunks (llama-perplexity -c CTX) or documents (default: chunks)")},
        {QStringLiteral("separator"), QStringLiteral("STR"),
         QStringLiteral("document separator (default: <|endoftext|>)")},
        {QStringLiteral("ctx"), QStringLiteral("N"),
         QStringLiteral("context length in tokens (default: 512)")},
        {QStringLiteral("chunks"), QStringLiteral("N"),
         QStringLiteral("evaluate at most N chunks")},
        {QStringLiteral("max-tokens"), QStringLiteral("N"),
         QStringLiteral("stop after N scored tokens")},
        {QStringLiteral("threads"), QStringLiteral("N"),
         QStringLiteral("threads (default: every core)")},
    };
}

EvalOptions evalOptionsFrom(const Arguments& a) {
    EvalOptions o;
    const QString split = a.value(QStringLiteral("split"), QStringLiteral("chunks"));
    if (split == QLatin1String("chunks"))
        o.split = SplitMode::Chunks;
    else if (split == QLatin1String("documents"))
        o.split = SplitMode::Documents;
    else
        throw UsageError{
            QStringLiteral("--split must be chunks or documents, not '%1'").arg(split)};
    if (a.has(QStringLiteral("separator"))) {
        o.separator = a.value(QStringLiteral("separator")).toUtf8();
        if (o.separator.isEmpty())
            throw UsageError{QStringLiteral("--separator must not be empty")};
    }
    o.ctx = int(integerOption(a, QStringLiteral("ctx"), 512, 2, 1 << 20));
    o.maxChunks = int(integerOption(a, QStringLiteral("chunks"), 0, 1, 1 << 30));
    o.maxTokens = integerOption(a, QStringLiteral("max-tokens"), 0, 1, 1ll << 40);
    o.threads = int(integerOption(a, QStringLiteral("threads"), 0, 1, 1024));
    return o;
}

QJsonObject evalSettingsJson(const EvalOptions& o) {
    return QJsonObject{
        {QStringLiteral("split"), splitModeName(o.split)},
        {QStringLiteral("separator"), QString::fromUtf8(o.separator)},
        {QStringLiteral("ctx"), o.ctx},
        {QStringLiteral("chunks"), o.maxChunks},
        {QStringLiteral("max_tokens"), qint64(o.maxTokens)},
    };
}

std::vector<Option> statisticsOptionTable() {
    std::vector<Option> options = {
        {QStringLiteral("calib"), QStringLiteral("FILE"),
         QStringLiteral("calibrate on this text first (for smoothquant, awq, gptq)")},
        {QStringLiteral("stats"), QStringLiteral("STATS"),
         QStringLiteral("reuse statistics from 'cwb calibrate'")},
    };
    for (Option o : calibrationOptionTable()) {
        o.help = QStringLiteral("with --calib: ") + o.help;
        options.push_back(o);
    }
    return options;
}

Result<std::optional<CalibrationStats>> statisticsFrom(const Arguments& a, const Model& model,
                                                       const Progress& progress) {
    if (a.has(QStringLiteral("calib")) && a.has(QStringLiteral("stats")))
        throw UsageError{QStringLiteral("give --calib FILE or --stats FILE, not both")};
    if (a.has(QStringLiteral("stats"))) {
        auto loaded = CalibrationStats::load(a.value(QStringLiteral("stats")));
        if (!loaded)
            return loaded.error();
        return std::optional(std::move(loaded.value()));
    }
    if (!a.has(QStringLiteral("calib")))
        return std::optional<CalibrationStats>{};
    auto text = readCalibrationText(a.value(QStringLiteral("calib")));
    if (!text)
        return text.error();
    auto collected = calibrate(model, *text, calibrationOptions(a), progress);
    if (!collected)
        return collected.error();
    return std::optional(std::move(collected.value()));
}

Workload workloadFrom(const Arguments& a) {
    Workload w;
    if (!a.has(QStringLiteral("workload")))
        return w;
    const QStringList parts = a.value(QStringLiteral("workload")).split(QLatin1Char(':'));
    bool ok1 = false, ok2 = false, ok3 = false;
    if (parts.size() == 3) {
        w.promptTokens = parts[0].toInt(&ok1);
        w.outputTokens = parts[1].toInt(&ok2);
        w.queriesPerMonth = parts[2].toDouble(&ok3);
    }
    if (!ok1 || !ok2 || !ok3 || w.promptTokens < 1 || w.outputTokens < 1 ||
        !(w.queriesPerMonth > 0))
        throw UsageError{
            QStringLiteral("--workload is PROMPT:OUTPUT:QUERIES_PER_MONTH, e.g. 512:128:1e6")};
    return w;
}

int failRun(std::optional<RunRecorder>& recorder, const Error& error) {
    finishProgressLine();
    if (recorder)
        (void)recorder->fail(error);
    printError(error.message);
    return 1;
}

} // namespace cwb::cli
