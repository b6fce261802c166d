// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "activationstats.h"
#include "ggufwriter.h"
#include "model.h"
#include "plan.h"
#include "precision.h"
#include "progress.h"
#include "quantmethods.h"
#include "result.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace cwb {

// What to do with a tensor whose precision has no GGUF type, or whose rows are not whole blocks
// of its type: stop before writing anything, or write it in the nearest type that holds exactly
// the values the workbench evaluates (see ExportFallbackItem::nearest).
enum class ExportFallback { Stop, Nearest };
QString fallbackName(ExportFallback fallback);
std::optional<ExportFallback> fallbackByName(const QString& name);

// One tensor that cannot be written in its precision's own GGUF layout.
struct ExportFallbackItem {
    QString tensor;
    PrecisionId precision = PrecisionId::Fp32;
    QString reason; // "int8 has no GGUF type", "rows of 172 are not whole Q4_0 blocks of 32"
    // The smallest type that reproduces its dequantized values bit for bit: Q4_0 for int4_g128
    // when the rows are whole blocks of 32 (each group's scale repeated in its four blocks),
    // F32 otherwise.
    StoredType nearest = StoredType::F32;
    QString note; // what no GGUF type keeps at all (w8a8's activation quantization), or empty
    QString text() const; // one line: "tensor: reason → TYPE"
};

// One tensor as the export writes it.
struct ExportedTensor {
    QString name;
    PrecisionId precision = PrecisionId::Fp32; // what the plan gives it (fp32 if left alone)
    StoredType type = StoredType::F32;
    std::uint64_t bytes = 0;
    bool fallback = false;
};

// The tensors' types and the fallbacks, decided from the plan before anything is quantized.
struct ExportLayout {
    std::vector<ExportedTensor> tensors; // in the model's order
    std::vector<ExportFallbackItem> fallbacks;
    std::uint64_t tensorBytes() const;
};
ExportLayout planExport(const Model& model, const ResolvedPlan& plan);

// Where the weights came from, written into the file as cwb.* metadata.
struct ExportProvenance {
    QString calibrationName;   // default: the statistics' text file name
    QString calibrationSha256; // default: the statistics' text sha256
    std::int64_t runId = -1;   // the run that exported it; none if negative
    QString sourceSha256;      // the model's fingerprint; computed if empty
};

struct ExportOptions {
    ExportFallback fallback = ExportFallback::Stop;
    const CalibrationStats* stats = nullptr; // for plans whose methods need calibration
    ExportProvenance provenance;
};

// A file ready to be written: the writer holds the metadata and the packed tensors.
struct ExportBuild {
    GgufWriter writer;
    ExportLayout layout;
    std::vector<MethodReport> methodReports;
    QStringList warnings;
};

// Applies the plan's methods to the model (the same weights `cwb eval --plan` evaluates) and
// lays them out as a GGUF v3 file with the architecture, the tokenizer and the provenance. With
// ExportFallback::Stop and any fallback needed, fails before quantizing, naming every tensor.
Result<ExportBuild> buildExport(const Model& model, const Plan& plan, const ExportOptions& options,
                                const Progress& progress = {});

struct ExportResult {
    QString path;
    std::uint64_t fileBytes = 0;
    ExportLayout layout;
    std::vector<MethodReport> methodReports;
    QStringList warnings;
};

// buildExport, then the file written through a temporary file renamed into place: on any failure
// no file is left at `path` (nor a temporary one beside it).
Result<ExportResult> exportGguf(const Model& model, const Plan& plan, const QString& path,
                                const ExportOptions& options, const Progress& progress = {});

} // namespace cwb
