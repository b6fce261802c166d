// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "terminal.h"

#include "evaluation.h"
#include "model.h"
#include "modelsummary.h"
#include "textfile.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace cwb::cli {

namespace {

EvalOptions evalOptions(const Arguments& a) {
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

int runEval(const Arguments& a) {
    if (!a.has(QStringLiteral("text")))
        throw UsageError{QStringLiteral("'eval' needs --text FILE")};
    const EvalOptions options = evalOptions(a);
    installInterruptHandler();

    auto model = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!model) {
        printError(model.error().message);
        return 1;
    }
    const QString textPath = a.value(QStringLiteral("text"));
    auto text = readTextFile(textPath);
    if (!text) {
        printError(text.error().message);
        return 1;
    }
    auto result =
        evaluatePerplexity(**model, *text, options, terminalProgress(QStringLiteral("eval")));
    finishProgressLine();
    if (!result) {
        printError(result.error().message);
        return 1;
    }
    const PerplexityResult& r = *result;
    for (const QString& w : r.warnings)
        printWarning(w);

    if (a.flag(QStringLiteral("json"))) {
        const QJsonObject json{
            {QStringLiteral("model"), (*model)->path},
            {QStringLiteral("text"), QJsonObject{{QStringLiteral("path"), textPath},
                                                 {QStringLiteral("bytes"), qint64(text->size())},
                                                 {QStringLiteral("sha256"), sha256Hex(*text)}}},
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
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    printOut(QStringLiteral("model      %1\n"
                            "text       %2 (%3)\n"
                            "method     %4, context %5, %6 %7\n"
                            "PPL        %8 ± %9\n"
                            "tokens     %10 scored, %11 run through the model\n"
                            "speed      %12 tokens/s on %13 threads (%14 s in all)\n")
                 .arg(QFileInfo((*model)->path).fileName(), QFileInfo(textPath).fileName(),
                      formatBytes(std::uint64_t(text->size())), splitModeName(r.split))
                 .arg(r.ctx)
                 .arg(r.sequences)
                 .arg(r.split == SplitMode::Chunks ? QStringLiteral("chunks")
                                                   : QStringLiteral("documents"))
                 .arg(r.ppl, 0, 'f', 6)
                 .arg(r.pplStderr, 0, 'f', 6)
                 .arg(formatCount(r.tokensScored), formatCount(r.tokensProcessed))
                 .arg(r.tokensPerSecond, 0, 'f', 0)
                 .arg(r.threads)
                 .arg(r.seconds, 0, 'f', 2));
    return 0;
}

} // namespace

Command evalCommand() {
    return Command{
        QStringLiteral("eval"),
        QStringLiteral("MODEL --text FILE [options]"),
        QStringLiteral("Measure perplexity on a text (llama.cpp's method with --split chunks)."),
        {QStringLiteral("MODEL")},
        {
            {QStringLiteral("text"), QStringLiteral("FILE"),
             QStringLiteral("UTF-8 text to evaluate on")},
            {QStringLiteral("tokenizer"), QStringLiteral("FILE"),
             QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)")},
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
            {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
        },
        runEval,
    };
}

} // namespace cwb::cli
