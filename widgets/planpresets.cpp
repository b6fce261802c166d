// SPDX-License-Identifier: GPL-3.0-or-later
#include "planpresets.h"

#include <QCoreApplication>

namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("PlanPreset", text);
}

cwb::Plan uniform(const QString& name, cwb::PrecisionId precision) {
    cwb::Plan plan;
    plan.name = name;
    plan.defaultPrecision = precision;
    return plan;
}

// What people mean by "keep the embeddings and the output at 8 bits": the usual 4-bit plan, with
// the two matrices that 4 bits hurt most (every token passes through both, and the output's
// errors land directly on the logits) at int8. A model that ties its output to the embedding has
// no output.weight: the embedding is then both, and its one rule covers it.
cwb::Plan eightBitEnds() {
    cwb::Plan plan =
        uniform(QStringLiteral("int4_g32, embeddings and output int8"), cwb::PrecisionId::Int4G32);
    plan.rules.push_back(
        {QStringLiteral("token_embd\\.weight"), cwb::PrecisionId::Int8, std::nullopt, {}});
    plan.rules.push_back(
        {QStringLiteral("output\\.weight"), cwb::PrecisionId::Int8, std::nullopt, {}});
    return plan;
}

} // namespace

QList<PlanPreset> planPresets() {
    return {
        {QStringLiteral("all-fp32"), tr("All fp32 (Uncompressed)"),
         tr("Every tensor back to 32-bit floats, as trained: the FP32 model itself"),
         uniform(QStringLiteral("fp32"), cwb::PrecisionId::Fp32)},
        {QStringLiteral("all-int8"), tr("All int8"),
         tr("Every weight matrix to 8 bits with one scale per output channel; activations stay "
            "float. Usually indistinguishable from FP32"),
         uniform(QStringLiteral("int8"), cwb::PrecisionId::Int8)},
        {QStringLiteral("all-int4_g32"), tr("All int4_g32"),
         tr("Every weight matrix to 4 bits in groups of 32 (GGUF Q4_0's layout): about 4.5 bits "
            "per weight"),
         uniform(QStringLiteral("int4_g32"), cwb::PrecisionId::Int4G32)},
        {QStringLiteral("all-w8a8"), tr("All w8a8"),
         tr("Every weight matrix to int8, and the activations entering it quantized to 8 bits per "
            "token at run time (SmoothQuant's target)"),
         uniform(QStringLiteral("w8a8"), cwb::PrecisionId::W8A8)},
        {QStringLiteral("int4-8bit-ends"), tr("Keep Embeddings and Output at 8 Bits"),
         tr("int4_g32 for every weight matrix except the token embedding and the output "
            "(classifier) matrix, which get int8: the two that 4 bits hurt most. When the output "
            "is tied to the embedding, that one matrix is both"),
         eightBitEnds()},
    };
}
