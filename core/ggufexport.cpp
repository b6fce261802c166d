// SPDX-License-Identifier: GPL-3.0-or-later
#include "ggufexport.h"

#include "bytelevel.h"
#include "fingerprint.h"
#include "tensorvalues.h"
#include "version.h"

#include <QFileInfo>
#include <QJsonDocument>

#include <cctype>
#include <cstring>
#include <map>

namespace cwb {
namespace {

// Metadata of a GGUF source that the export writes anew rather than copies.
bool rewrittenKey(const QString& key) {
    return key == QLatin1String("general.alignment") || key == QLatin1String("general.file_type") ||
           key == QLatin1String("general.quantization_version") ||
           key.startsWith(QLatin1String("cwb."));
}

// llama.cpp's llama_ftype for a file whose matrices are mostly of one type.
std::uint32_t fileTypeOf(StoredType type) {
    switch (type) {
    case StoredType::F32:
        return 0;
    case StoredType::F16:
        return 1;
    case StoredType::Q4_0:
        return 2;
    case StoredType::Q4_1:
        return 3;
    case StoredType::Q8_0:
        return 7;
    case StoredType::BF16:
        return 32;
    }
    return 0;
}

std::uint64_t storedBytes(const Tensor& t, StoredType type) {
    return rowBytes(traitsOf(type), std::uint64_t(t.elements()));
}

std::string sentencePieceSpaces(const std::string& piece) {
    std::string out;
    for (char c : piece) {
        if (c == ' ')
            out += "\xe2\x96\x81";
        else
            out.push_back(c);
    }
    return out;
}

bool isBytePiece(const std::string& piece) {
    return piece.size() == 6 && piece.compare(0, 3, "<0x") == 0 && piece[5] == '>' &&
           std::isxdigit(static_cast<unsigned char>(piece[3])) &&
           std::isxdigit(static_cast<unsigned char>(piece[4]));
}

// GGUF's "llama" vocabulary: SentencePiece pieces with U+2581 for a space, and their scores.
void addSentencePieceVocabulary(GgufWriter& w, const Tokenizer& tok) {
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<std::int32_t> types;
    for (std::int32_t id = 0; id < tok.vocabSize(); ++id) {
        tokens.push_back(sentencePieceSpaces(tok.piece(id)));
        scores.push_back(tok.score(id));
        TokenKind kind = tok.kind(id);
        if (kind == TokenKind::Normal && isBytePiece(tok.piece(id)))
            kind = TokenKind::Byte; // llama.cpp decodes <0xXX> to its byte only if so marked
        types.push_back(std::int32_t(kind));
    }
    w.addString(QStringLiteral("tokenizer.ggml.model"), "llama");
    w.addStringArray(QStringLiteral("tokenizer.ggml.tokens"), tokens);
    w.addF32Array(QStringLiteral("tokenizer.ggml.scores"), scores);
    w.addI32Array(QStringLiteral("tokenizer.ggml.token_type"), types);
}

// The tokenizer.ggml.pre name whose split is this tokenizer's, or empty.
std::string preTokenizerName(const Tokenizer::Vocabulary& v) {
    for (const char* name : {"gpt2", "llama-bpe", "qwen2", "smollm"})
        if (byteLevelPatterns(name) == v.splitPatterns &&
            v.wholeWordsFirst == (std::string_view(name) == "llama-bpe"))
            return name;
    return {};
}

// GGUF's "gpt2" vocabulary: byte-level pieces in GPT-2's printable form (added tokens verbatim),
// and the merges in priority order.
void addByteLevelVocabulary(GgufWriter& w, const Tokenizer& tok, QStringList& warnings) {
    const Tokenizer::Vocabulary& v = tok.vocabulary();
    std::vector<std::string> tokens;
    std::vector<std::int32_t> types;
    for (std::int32_t id = 0; id < tok.vocabSize(); ++id) {
        const TokenKind kind = tok.kind(id);
        const bool verbatim = kind == TokenKind::UserDefined || kind == TokenKind::Control;
        tokens.push_back(verbatim ? tok.piece(id) : byteLevelFromBytes(tok.piece(id)));
        types.push_back(std::int32_t(kind));
    }
    std::vector<std::string> merges;
    merges.reserve(v.merges.size());
    for (const auto& [left, right] : v.merges)
        merges.push_back(byteLevelFromBytes(left) + ' ' + byteLevelFromBytes(right));
    std::string pre = preTokenizerName(v);
    if (pre.empty()) {
        pre = "default";
        warnings << QStringLiteral("the tokenizer's pre-tokenizer split has no tokenizer.ggml.pre "
                                   "name; written as GPT-2's, which may split text differently");
    }
    if (v.nfc)
        warnings << QStringLiteral("the tokenizer's NFC normalization is not kept: GGUF has no "
                                   "field for it (llama.cpp does not apply it either)");
    w.addString(QStringLiteral("tokenizer.ggml.model"), "gpt2");
    w.addString(QStringLiteral("tokenizer.ggml.pre"), pre);
    w.addStringArray(QStringLiteral("tokenizer.ggml.tokens"), tokens);
    w.addI32Array(QStringLiteral("tokenizer.ggml.token_type"), types);
    w.addStringArray(QStringLiteral("tokenizer.ggml.merges"), merges);
}

// Architecture and tokenizer metadata for a model that was not read from a GGUF file.
void addGeneratedMetadata(GgufWriter& w, const Model& model, QStringList& warnings) {
    const LlamaConfig& c = model.config;
    w.addString(QStringLiteral("general.architecture"), "llama");
    w.addString(QStringLiteral("general.name"),
                QFileInfo(model.path).completeBaseName().toStdString());
    w.addU32(QStringLiteral("llama.context_length"), std::uint32_t(c.contextLength));
    w.addU32(QStringLiteral("llama.embedding_length"), std::uint32_t(c.dim));
    w.addU32(QStringLiteral("llama.feed_forward_length"), std::uint32_t(c.hiddenDim));
    w.addU32(QStringLiteral("llama.block_count"), std::uint32_t(c.layers));
    w.addU32(QStringLiteral("llama.attention.head_count"), std::uint32_t(c.heads));
    w.addU32(QStringLiteral("llama.attention.head_count_kv"), std::uint32_t(c.kvHeads));
    w.addU32(QStringLiteral("llama.rope.dimension_count"), std::uint32_t(c.ropeDim));
    // Heads removed by pruning leave heads × head width short of the embedding: say the width.
    if (c.heads * c.headDim != c.dim) {
        w.addU32(QStringLiteral("llama.attention.key_length"), std::uint32_t(c.headDim));
        w.addU32(QStringLiteral("llama.attention.value_length"), std::uint32_t(c.headDim));
    }
    w.addF32(QStringLiteral("llama.attention.layer_norm_rms_epsilon"), c.normEps);
    w.addF32(QStringLiteral("llama.rope.freq_base"), c.ropeTheta);

    const Tokenizer& tok = model.tokenizer;
    if (tok.model() == TokenizerModel::ByteLevel)
        addByteLevelVocabulary(w, tok, warnings);
    else
        addSentencePieceVocabulary(w, tok);
    if (tok.bos() >= 0)
        w.addU32(QStringLiteral("tokenizer.ggml.bos_token_id"), std::uint32_t(tok.bos()));
    if (tok.eos() >= 0)
        w.addU32(QStringLiteral("tokenizer.ggml.eos_token_id"), std::uint32_t(tok.eos()));
    if (tok.unk() >= 0)
        w.addU32(QStringLiteral("tokenizer.ggml.unknown_token_id"), std::uint32_t(tok.unk()));
    w.addBool(QStringLiteral("tokenizer.ggml.add_bos_token"), tok.addsBos());
}

// int4_g128 rows as Q4_0: every 128-group's scale repeated in its four blocks of 32, the nibbles
// moved to Q4_0's order. The values decode to the same floats.
std::vector<std::uint8_t> int4g128AsQ4_0(const QuantizedMatrix& q) {
    const auto blocksPerRow = std::size_t(q.rowLength / 32);
    std::vector<std::uint8_t> out(std::size_t(q.rows) * blocksPerRow * sizeof(BlockQ4_0));
    for (std::int64_t r = 0; r < q.rows; ++r) {
        const auto row = q.row(r);
        for (std::size_t b = 0; b < blocksPerRow; ++b) {
            BlockInt4G128 group;
            std::memcpy(&group, row.data() + (b / 4) * sizeof group, sizeof group);
            auto nibble = [&](std::size_t e) {
                return e < 64 ? std::uint8_t(group.qs[e] & 0x0f)
                              : std::uint8_t(group.qs[e - 64] >> 4);
            };
            BlockQ4_0 block;
            block.d = group.d;
            const std::size_t first = (b % 4) * 32;
            for (std::size_t j = 0; j < 16; ++j)
                block.qs[j] = std::uint8_t(nibble(first + j) | (nibble(first + j + 16) << 4));
            std::memcpy(out.data() + (std::size_t(r) * blocksPerRow + b) * sizeof block, &block,
                        sizeof block);
        }
    }
    return out;
}

bool holds(std::span<const std::uint8_t> memory, const std::uint8_t* p) {
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    const auto begin = reinterpret_cast<std::uintptr_t>(memory.data());
    return at >= begin && at < begin + memory.size();
}

std::shared_ptr<const void> ownerOf(const Model& model, const Tensor& t) {
    for (const auto& buffer : model.buffers)
        if (holds(*buffer, t.data.data()))
            return buffer;
    for (const auto& file : model.files)
        if (holds(file->bytes(), t.data.data()))
            return file;
    return model.files.empty() ? nullptr : model.files.front();
}

std::vector<std::uint8_t> floatBytes(std::span<const float> values) {
    std::vector<std::uint8_t> out(values.size_bytes());
    std::memcpy(out.data(), values.data(), out.size());
    return out;
}

std::string compactJson(const QJsonObject& o) {
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

} // namespace

QString fallbackName(ExportFallback fallback) {
    return fallback == ExportFallback::Nearest ? QStringLiteral("nearest") : QStringLiteral("stop");
}

std::optional<ExportFallback> fallbackByName(const QString& name) {
    if (name == QLatin1String("nearest"))
        return ExportFallback::Nearest;
    if (name == QLatin1String("stop"))
        return ExportFallback::Stop;
    return std::nullopt;
}

QString ExportFallbackItem::text() const {
    QString line =
        QStringLiteral("%1: %2 → %3").arg(tensor, reason, QLatin1String(traitsOf(nearest).name));
    if (!note.isEmpty())
        line += QStringLiteral(" (%1)").arg(note);
    return line;
}

std::uint64_t ExportLayout::tensorBytes() const {
    std::uint64_t total = 0;
    for (const ExportedTensor& t : tensors)
        total += t.bytes;
    return total;
}

ExportLayout planExport(const Model& model, const ResolvedPlan& plan) {
    ExportLayout layout;
    for (const Tensor& t : model.tensors) {
        ExportedTensor e;
        e.name = t.name;
        e.type = t.type; // left alone: written as stored, which holds its values exactly
        if (!t.isMatrix())
            e.type = StoredType::F32; // norms and biases: llama.cpp's converters keep them f32
        const TensorChoice* choice = plan.find(t.name);
        if (choice && choice->quantizable && choice->precision != PrecisionId::Fp32) {
            const PrecisionInfo& p = precisionInfo(choice->precision);
            e.precision = choice->precision;
            const std::int64_t row = t.rowLength();
            if (p.ggufType && row % traitsOf(*p.ggufType).blockElements == 0) {
                e.type = *p.ggufType;
            } else {
                ExportFallbackItem f;
                f.tensor = t.name;
                f.precision = choice->precision;
                if (p.ggufType)
                    f.reason = QStringLiteral("%1, rows of %2 are not whole %3 blocks of %4")
                                   .arg(QLatin1String(p.name))
                                   .arg(row)
                                   .arg(QLatin1String(traitsOf(*p.ggufType).name))
                                   .arg(traitsOf(*p.ggufType).blockElements);
                else
                    f.reason = QStringLiteral("%1 has no GGUF type").arg(QLatin1String(p.name));
                f.nearest = choice->precision == PrecisionId::Int4G128 && row % 32 == 0
                                ? StoredType::Q4_0
                                : StoredType::F32;
                if (p.quantizesActivations)
                    f.note = QStringLiteral("GGUF runtimes do not quantize its activations");
                e.type = f.nearest;
                e.fallback = true;
                layout.fallbacks.push_back(f);
            }
        }
        e.bytes = storedBytes(t, e.type);
        layout.tensors.push_back(e);
    }
    return layout;
}

Result<ExportBuild> buildExport(const Model& model, const Plan& plan, const ExportOptions& options,
                                const Progress& progress) {
    const ResolvedPlan resolved = resolvePlan(plan, model);
    ExportBuild build;
    build.layout = planExport(model, resolved);
    build.warnings = resolved.warnings;
    const auto& fallbacks = build.layout.fallbacks;
    if (!fallbacks.empty() && options.fallback == ExportFallback::Stop) {
        QStringList names;
        for (const ExportFallbackItem& f : fallbacks)
            names << f.tensor;
        return Error{QStringLiteral("%1 tensor(s) have no GGUF type that holds their precision "
                                    "(%2); nothing was written (allow the nearest exact type "
                                    "with --fallback nearest)")
                         .arg(fallbacks.size())
                         .arg(names.join(QStringLiteral(", ")))};
    }

    auto methods = applyMethods(model, resolved, options.stats, progress.slice(0.0, 0.9));
    if (!methods)
        return methods.error();
    build.methodReports = methods->reports;
    build.warnings += methods->warnings;

    GgufWriter& w = build.writer;
    const bool fromGguf = model.format == ModelFormat::Gguf && !model.metadata.entries.empty();
    if (fromGguf) {
        for (const auto& [key, value] : model.metadata.entries)
            if (!rewrittenKey(key) && !w.addValue(key, value))
                build.warnings
                    << QStringLiteral("metadata %1 (nested arrays) was not copied").arg(key);
    } else {
        addGeneratedMetadata(w, model, build.warnings);
    }

    std::map<StoredType, std::int64_t> matrixElements;
    for (std::size_t i = 0; i < model.tensors.size(); ++i) {
        if (progress.cancelled())
            return cancelledError();
        const Tensor& t = model.tensors[i];
        ExportedTensor& e = build.layout.tensors[i];
        if (auto q = methods->quantized.find(t.name); q != methods->quantized.end()) {
            QuantizedMatrix& m = q->second;
            if (!e.fallback)
                w.addTensor(t.name, t.shape, e.type, std::move(m.data));
            else if (e.type == StoredType::Q4_0)
                w.addTensor(t.name, t.shape, e.type, int4g128AsQ4_0(m));
            else
                w.addTensor(t.name, t.shape, e.type, floatBytes(dequantizeMatrix(m)));
        } else if (auto f = methods->f32.find(t.name); f != methods->f32.end()) {
            e.type = StoredType::F32; // scaled by SmoothQuant or AWQ
            w.addTensor(t.name, t.shape, e.type, floatBytes(f->second));
        } else if (e.type != t.type) { // a 1-D tensor stored in f16 or bf16
            std::vector<float> scratch;
            w.addTensor(t.name, t.shape, e.type, floatBytes(decodedValues(t, scratch)));
        } else {
            // The model's own bytes: the mapped file or load-time buffer that holds them stays
            // alive as long as the writer.
            w.addTensor(t.name, t.shape, t.type, t.data, ownerOf(model, t));
        }
        e.bytes = storedBytes(t, e.type);
        if (t.isMatrix())
            matrixElements[e.type] += t.elements();
    }

    StoredType mostly = StoredType::F32;
    for (const auto& [type, elements] : matrixElements)
        if (elements > matrixElements[mostly])
            mostly = type;
    w.addU32(QStringLiteral("general.file_type"), fileTypeOf(mostly));
    w.addU32(QStringLiteral("general.quantization_version"), 2);

    // Provenance: enough to find the run and to reproduce the weights.
    const ExportProvenance& p = options.provenance;
    w.addString(QStringLiteral("cwb.tool_version"),
                QStringLiteral("%1 (%2)")
                    .arg(QLatin1String(CWB_VERSION), QLatin1String(CWB_GIT_COMMIT))
                    .toStdString());
    w.addString(QStringLiteral("cwb.plan"), compactJson(plan.toJson()));
    w.addString(QStringLiteral("cwb.source.name"), QFileInfo(model.path).fileName().toStdString());
    w.addString(
        QStringLiteral("cwb.source.sha256"),
        (p.sourceSha256.isEmpty() ? modelFingerprint(model) : p.sourceSha256).toStdString());
    QString calibrationName = p.calibrationName, calibrationSha = p.calibrationSha256;
    if (options.stats) {
        if (calibrationName.isEmpty())
            calibrationName = QFileInfo(options.stats->textPath).fileName();
        if (calibrationSha.isEmpty())
            calibrationSha = options.stats->textSha256;
    }
    if (!calibrationName.isEmpty() || !calibrationSha.isEmpty()) {
        w.addString(QStringLiteral("cwb.calibration.name"), calibrationName.toStdString());
        w.addString(QStringLiteral("cwb.calibration.sha256"), calibrationSha.toStdString());
    }
    if (p.runId >= 0)
        w.addI64(QStringLiteral("cwb.run_id"), p.runId);
    if (!fallbacks.empty()) {
        std::vector<std::string> lines;
        for (const ExportFallbackItem& f : fallbacks)
            lines.push_back(f.text().toStdString());
        w.addStringArray(QStringLiteral("cwb.fallbacks"), lines);
    }
    return build;
}

Result<ExportResult> exportGguf(const Model& model, const Plan& plan, const QString& path,
                                const ExportOptions& options, const Progress& progress) {
    auto build = buildExport(model, plan, options, progress.slice(0.0, 0.6));
    if (!build)
        return build.error();
    if (auto saved = build->writer.save(path, progress.slice(0.6, 1.0)); !saved)
        return saved.error();
    ExportResult result;
    result.path = path;
    result.fileBytes = build->writer.fileSize();
    result.layout = std::move(build->layout);
    result.methodReports = std::move(build->methodReports);
    result.warnings = std::move(build->warnings);
    return result;
}

} // namespace cwb
