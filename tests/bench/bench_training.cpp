// SPDX-License-Identifier: GPL-3.0-or-later
// bench_training: distillation throughput (teacher forward + student forward and backward +
// AdamW), in tokens per second, on the demo model stories260K distilling into its blocks 0, 2, 4.
// Usage: bench_training [MODEL.bin] [--steps N] [--batch N] [--seq N] [--threads N]
#include "distill.h"
#include "model.h"
#include "prune.h"
#include "textfile.h"

#include <QCoreApplication>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace cwb;

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QString modelPath =
        QStringLiteral(CWB_SOURCE_DIR "/resources/models/stories260K/stories260K.bin");
    const QString textPath =
        QStringLiteral(CWB_SOURCE_DIR "/resources/texts/tinystories-train-512k.txt");
    DistillOptions o;
    o.steps = 20;
    int seq = 128;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool hasValue = i + 1 < argc;
        if (a == "--steps" && hasValue)
            o.steps = std::atoi(argv[++i]);
        else if (a == "--batch" && hasValue)
            o.batch = std::atoi(argv[++i]);
        else if (a == "--seq" && hasValue)
            seq = std::atoi(argv[++i]);
        else if (a == "--threads" && hasValue)
            o.threads = std::atoi(argv[++i]);
        else if (a == "--help") {
            std::printf("bench_training [MODEL.bin] [--steps N] [--batch N] [--seq N] "
                        "[--threads N]\n");
            return 0;
        } else
            modelPath = QString::fromStdString(a);
    }
    auto teacher = loadModel(modelPath);
    if (!teacher) {
        std::fprintf(stderr, "%s\n", qPrintable(teacher.error().message));
        return 1;
    }
    PrunePlan plan;
    plan.keepBlocks = {0, 2, 4};
    auto student = pruneModel(**teacher, plan, nullptr);
    auto text = readTextFile(textPath);
    if (!student || !text)
        return 1;
    auto data = tokenizeTrainingText(**teacher, *text, seq);
    if (!data)
        return 1;
    for (const bool withTeacher : {true, false}) {
        DistillOptions run = o;
        run.alpha = 0.5f; // both terms, as the heaviest step trains
        if (!withTeacher) {
            run.klWeight = 0;
            run.alpha = 1;
        }
        auto r = distill(**teacher, *student->model, *data, run);
        if (!r) {
            std::fprintf(stderr, "%s\n", qPrintable(r.error().message));
            return 1;
        }
        std::printf("%-28s %d steps × %d × %d tokens, %d thread(s): %8.0f tokens/s "
                    "(%.2f s, final loss %.3f)\n",
                    withTeacher ? "distillation (KL + CE)" : "CE only (no teacher forward)",
                    run.steps, run.batch, seq, run.threads > 0 ? run.threads : 1,
                    r->tokensPerSecond, r->seconds, r->curve.back().loss);
    }
    return 0;
}
