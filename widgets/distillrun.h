// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "distill.h"
#include "model.h"
#include "progress.h"
#include "result.h"
#include "runrecording.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>

// A distillation to run on the worker: everything it reads, by value.
struct DistillRequest {
    std::shared_ptr<const cwb::Model> teacher;
    QString studentSpec; // as `cwb distill --student-spec` takes it
    QByteArray text;     // the training text
    QString textPath;    // where it was read from, for the record
    cwb::DistillOptions options;
    int sequenceLength = 128;
    QString outputPath; // the student's GGUF file
    RunRecording recording;
};

// What it made: the student, where it was written, the runs that record it.
struct DistillRun {
    cwb::DistillResult result;
    QString path;
    std::int64_t pruneRunId = 0; // the student's making, the distillation's parent (0: none)
    std::int64_t runId = 0;      // the distillation (0: not recorded)
};

// As `cwb distill` does it: the teacher pruned as the spec says (recorded as a prune run), the
// student trained (recorded as a distillation run, the prune run its parent) and written as GGUF
// with its sha256 in the run, so runs on the student's file continue the lineage. `onStep` sees
// every step. Runs on the worker thread.
cwb::Result<DistillRun>
runDistillation(const DistillRequest& request, const cwb::Progress& progress,
                const std::function<void(const cwb::TrainingPoint&)>& onStep);
