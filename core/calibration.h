// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "model.h"
#include "progress.h"
#include "result.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace cwb {

struct CalibrationOptions {
    int sequences = 128;
    int sequenceLength = 256;
    bool hessians = true; // Σ x xᵀ per matmul input, for GPTQ: grows with the square of the width
    int sampleRows = 256; // rows kept per input for the SmoothQuant and AWQ α searches
    int threads = 0;
};

// A calibration text: plain text, or JSON Lines whose objects carry a "text" string (a file named
// *.jsonl or *.ndjson). Errors name the line.
struct CalibrationText {
    QString path;
    QString sha256;
    QList<QByteArray> documents;
};
Result<CalibrationText> readCalibrationText(const QString& path);
Result<CalibrationText> parseCalibrationText(const QString& name, const QByteArray& bytes,
                                             bool jsonLines);

// The text cut into sequences as llama.cpp's imatrix cuts it: every document tokenized from BOS,
// one stream, chunks of sequenceLength tokens each starting with BOS (if the tokenizer adds one),
// the first `sequences` of them. Fails if the text cannot fill them, saying how many it can.
struct CalibrationSet {
    std::vector<std::vector<std::int32_t>> sequences;
    std::int64_t tokens = 0;
};
Result<CalibrationSet> cutCalibrationText(const Model& model, const CalibrationText& text,
                                          const CalibrationOptions& options);

// Runs the FP32 model over the sequences and accumulates the statistics of every matmul input.
// Deterministic: the same model, text and options give the same bytes.
Result<CalibrationStats> calibrate(const Model& model, const CalibrationText& text,
                                   const CalibrationOptions& options,
                                   const Progress& progress = {});

} // namespace cwb
