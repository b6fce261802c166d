// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "terminal.h"

#include "generation.h"
#include "textfile.h"

#include <cstdio>

namespace cwb::cli {

namespace {

int runGenerate(const Arguments& a) {
    if (!a.has(QStringLiteral("tokens")))
        throw UsageError{QStringLiteral("'generate' needs --tokens N")};
    GenerationOptions o;
    o.tokens = integerOption(a, QStringLiteral("tokens"), 0, 1, 1ll << 40);
    o.maxLength = int(integerOption(a, QStringLiteral("max-length"), 0, 2, 1 << 24));
    o.seed = std::uint64_t(integerOption(a, QStringLiteral("seed"), 1234, 0, 1ll << 62));
    o.threads = int(integerOption(a, QStringLiteral("threads"), 1, 1, 1024));
    o.temperature = realOption(a, QStringLiteral("temperature"), 1.0, 0, 100);
    o.topP = realOption(a, QStringLiteral("top-p"), 1.0, 1e-6, 1);
    if (a.has(QStringLiteral("separator")))
        o.separator = a.value(QStringLiteral("separator")).toUtf8();
    installInterruptHandler();

    auto model = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!model) {
        printError(model.error().message);
        return 1;
    }
    const QString out = a.value(QStringLiteral("out"));
    Progress progress = out.isEmpty() ? Progress{} : terminalProgress(QStringLiteral("generate"));
    progress.cancel = interruptFlag();
    auto generated = generateText(**model, o, progress);
    finishProgressLine();
    if (!generated) {
        printError(generated.error().message);
        return 1;
    }
    if (out.isEmpty()) {
        std::fwrite(generated->text.constData(), 1, std::size_t(generated->text.size()), stdout);
        std::fputc('\n', stdout);
    } else if (auto written = writeFileAtomically(out, generated->text); !written) {
        printError(written.error().message);
        return 1;
    }
    std::fprintf(stderr, "generate: %lld tokens in %d documents, %.1f s (%.0f tokens/s)\n",
                 static_cast<long long>(generated->tokens), int(generated->sampled.size()),
                 generated->seconds, generated->tokensPerSecond);
    return 0;
}

} // namespace

Command generateCommand() {
    return Command{
        QStringLiteral("generate"),
        QStringLiteral("MODEL --tokens N [--out FILE] [options]"),
        QStringLiteral("Sample text from a model (a teacher's own text for distillation)."),
        {QStringLiteral("MODEL")},
        {
            {QStringLiteral("tokens"), QStringLiteral("N"),
             QStringLiteral("tokens to sample in all")},
            {QStringLiteral("out"), QStringLiteral("FILE"),
             QStringLiteral("write the documents here, atomically (default: stdout)")},
            {QStringLiteral("max-length"), QStringLiteral("N"),
             QStringLiteral("tokens per document at most (default: the model's context)")},
            {QStringLiteral("temperature"), QStringLiteral("T"),
             QStringLiteral("sampling temperature; 0 is greedy (default 1)")},
            {QStringLiteral("top-p"), QStringLiteral("P"),
             QStringLiteral("nucleus sampling threshold (default 1: the whole distribution)")},
            {QStringLiteral("seed"), QStringLiteral("N"),
             QStringLiteral("random seed (default 1234)")},
            {QStringLiteral("separator"), QStringLiteral("TEXT"),
             QStringLiteral("written between documents (default <|endoftext|>)")},
            {QStringLiteral("threads"), QStringLiteral("N"), QStringLiteral("threads (default 1)")},
            {QStringLiteral("tokenizer"), QStringLiteral("FILE"),
             QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)")},
        },
        runGenerate,
    };
}

} // namespace cwb::cli
