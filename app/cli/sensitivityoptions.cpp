// SPDX-License-Identifier: GPL-3.0-or-later
#include "sensitivityoptions.h"

#include "calibrationoptions.h"
#include "commoninputs.h"

#include "calibration.h"
#include "textfile.h"

namespace cwb::cli {

namespace {

std::vector<PrecisionId> precisionsOf(const Arguments& a) {
    if (!a.has(QStringLiteral("precisions")))
        return defaultSensitivityPrecisions();
    std::vector<PrecisionId> out;
    for (const QString& name :
         a.value(QStringLiteral("precisions")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const auto id = precisionByName(name.trimmed());
        if (!id)
            throw UsageError{QStringLiteral("unknown precision '%1' (known: %2)")
                                 .arg(name, precisionNames().join(QStringLiteral(", ")))};
        if (*id == PrecisionId::Fp32)
            throw UsageError{QStringLiteral(
                "fp32 is every tensor's reference (loss 0); list only compressed precisions")};
        if (std::find(out.begin(), out.end(), *id) == out.end())
            out.push_back(*id);
    }
    if (out.empty())
        throw UsageError{QStringLiteral("--precisions lists no precision")};
    return out;
}

} // namespace

std::vector<Option> sensitivityOptionTable() {
    std::vector<Option> options = {
        {QStringLiteral("text"), QStringLiteral("FILE"),
         QStringLiteral("UTF-8 text to measure KLD against FP32 on")},
        {QStringLiteral("precisions"), QStringLiteral("A,B,…"),
         QStringLiteral("candidate precisions (default: int8_g32,int4_g32_asym,int4_g32,"
                        "int4_g128,int2_g16)")},
        {QStringLiteral("method"), QStringLiteral("NAME"),
         QStringLiteral("rtn, smoothquant, awq or gptq (default: rtn; others need calibration)")},
    };
    for (const Option& o : statisticsOptionTable())
        options.push_back(o);
    options.push_back({QStringLiteral("tokenizer"), QStringLiteral("FILE"),
                       QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)")});
    for (const Option& o : evalOptionTable())
        options.push_back(o);
    for (const Option& o : std::vector<Option>{
             {QStringLiteral("no-cache"),
              {},
              QStringLiteral("measure again even if the same measurement is cached")},
         })
        options.push_back(o);
    return options;
}

Result<std::unique_ptr<SensitivityInputs>> loadSensitivityInputs(const Arguments& a,
                                                                 const Progress& progress) {
    if (!a.has(QStringLiteral("text")))
        throw UsageError{QStringLiteral("needs --text FILE")};
    if (a.has(QStringLiteral("calib")) && a.has(QStringLiteral("stats")))
        throw UsageError{QStringLiteral("give --calib FILE or --stats FILE, not both")};
    auto in = std::make_unique<SensitivityInputs>();
    SensitivityOptions& o = in->options;
    o.eval = evalOptionsFrom(a);
    o.precisions = precisionsOf(a);
    o.reuseCached = !a.flag(QStringLiteral("no-cache"));
    const QString method = a.value(QStringLiteral("method"), QStringLiteral("rtn"));
    if (!methodByName(method))
        throw UsageError{
            QStringLiteral("--method must be rtn, smoothquant, awq or gptq, not '%1'").arg(method)};
    if (method != QLatin1String("rtn")) {
        if (!a.has(QStringLiteral("calib")) && !a.has(QStringLiteral("stats")))
            throw UsageError{
                QStringLiteral("--method %1 needs --calib FILE or --stats FILE").arg(method)};
        o.calibration.insert(QStringLiteral("method"), method);
    }

    auto model = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!model)
        return model.error();
    in->model = model.value();
    in->textPath = a.value(QStringLiteral("text"));
    auto text = readTextFile(in->textPath);
    if (!text)
        return text.error();
    in->text = std::move(text.value());
    auto stats = statisticsFrom(a, *in->model, progress);
    if (!stats)
        return stats.error();
    in->stats = std::move(stats.value());
    o.stats = in->stats ? &*in->stats : nullptr;
    return in;
}

} // namespace cwb::cli
