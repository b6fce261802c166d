// SPDX-License-Identifier: GPL-3.0-or-later
#include "llama2c.h"

#include "bytereader.h"

#include <QDir>
#include <QFileInfo>

#include <array>

namespace cwb {
namespace {

constexpr std::int32_t kLimitDim = 1 << 16;
constexpr std::int32_t kLimitLayers = 1024;
constexpr std::int32_t kLimitVocab = 1 << 20;
constexpr std::int32_t kLimitContext = 1 << 20;
constexpr std::int32_t kLimitTokenLength = 1 << 16;

Error headerError(const QString& path, const QString& what) {
    return Error{QStringLiteral("%1: not a usable llama2.c checkpoint: %2")
                     .arg(QFileInfo(path).fileName(), what)};
}

} // namespace

QString findLlama2cTokenizer(const QString& modelPath, int vocabSize) {
    const QDir dir = QFileInfo(modelPath).absoluteDir();
    for (const QString& name :
         {QStringLiteral("tokenizer.bin"), QStringLiteral("tok%1.bin").arg(vocabSize)}) {
        if (QFileInfo(dir.filePath(name)).isFile())
            return dir.filePath(name);
    }
    return {};
}

Result<Tokenizer> loadLlama2cTokenizer(std::span<const std::uint8_t> bytes, int vocabSize) {
    ByteReader in(bytes);
    std::int32_t maxLength = 0;
    if (!in.read(maxLength) || maxLength <= 0 || maxLength > kLimitTokenLength)
        return Error{QStringLiteral("not a llama2.c tokenizer (bad max_token_length)")};
    Tokenizer::Vocabulary v;
    v.pieces.reserve(std::size_t(vocabSize));
    for (int id = 0; id < vocabSize; ++id) {
        float score = 0;
        std::int32_t length = 0;
        std::span<const std::uint8_t> piece;
        if (!in.read(score) || !in.read(length))
            return Error{QStringLiteral("the tokenizer holds %1 tokens; the model needs %2")
                             .arg(id)
                             .arg(vocabSize)};
        if (length < 0 || length > maxLength)
            return Error{QStringLiteral("tokenizer token %1 has length %2 (max_token_length is %3)")
                             .arg(id)
                             .arg(length)
                             .arg(maxLength)};
        if (!in.take(std::uint64_t(length), piece))
            return Error{QStringLiteral("the tokenizer holds %1 tokens; the model needs %2")
                             .arg(id)
                             .arg(vocabSize)};
        v.pieces.emplace_back(reinterpret_cast<const char*>(piece.data()), piece.size());
        v.scores.push_back(score);
        v.kinds.push_back(TokenKind::Normal);
    }
    // llama2.c's convention: 0 <unk>, 1 BOS, 2 EOS.
    v.unk = vocabSize > 0 ? 0 : -1;
    v.bos = vocabSize > 1 ? 1 : -1;
    v.eos = vocabSize > 2 ? 2 : -1;
    if (v.unk >= 0)
        v.kinds[0] = TokenKind::Unknown;
    for (int id : {v.bos, v.eos})
        if (id >= 0)
            v.kinds[std::size_t(id)] = TokenKind::Control;
    return Tokenizer::create(std::move(v));
}

Result<std::shared_ptr<const Model>> loadLlama2c(const QString& path, const LoadOptions& options) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.error();
    const auto bytes = mapped.value()->bytes();

    ByteReader in(bytes);
    std::array<std::int32_t, 7> h{};
    for (auto& field : h)
        if (!in.read(field))
            return headerError(path, QStringLiteral("the file is shorter than its 28-byte header"));
    if (h[0] == 0x616b3432) // "ak42": llama2.c's export versions 1 and 2
        return headerError(path, QStringLiteral("llama2.c export version %1 is not supported; "
                                                "export with --version 0")
                                     .arg(h[1]));
    // Named variables, not a structured binding: lambdas below capture them.
    std::int32_t dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4],
                 vocab = h[5], seqLen = h[6];
    const bool shared = vocab > 0;
    vocab = vocab < 0 && vocab > -kLimitVocab ? -vocab : vocab; // never negate INT32_MIN
    if (dim <= 0 || dim > kLimitDim || hidden <= 0 || hidden > kLimitDim * 8 || layers <= 0 ||
        layers > kLimitLayers || heads <= 0 || heads > dim || kvHeads <= 0 || kvHeads > heads ||
        vocab <= 0 || vocab > kLimitVocab || seqLen <= 0 || seqLen > kLimitContext)
        return headerError(path, QStringLiteral("implausible header (dim %1, hidden %2, layers %3, "
                                                "heads %4, kv heads %5, vocab %6, seq_len %7)")
                                     .arg(dim)
                                     .arg(hidden)
                                     .arg(layers)
                                     .arg(heads)
                                     .arg(kvHeads)
                                     .arg(vocab)
                                     .arg(seqLen));
    if (dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0)
        return headerError(path, QStringLiteral("%1 heads do not divide dim %2 into even head "
                                                "sizes, or %3 kv heads do not divide them")
                                     .arg(heads)
                                     .arg(dim)
                                     .arg(kvHeads));

    LlamaConfig c;
    c.dim = dim;
    c.hiddenDim = hidden;
    c.layers = layers;
    c.heads = heads;
    c.kvHeads = kvHeads;
    c.headDim = dim / heads;
    c.ropeDim = c.headDim;
    c.vocabSize = vocab;
    c.contextLength = seqLen;
    c.tiedOutput = shared;

    // Every size below fits in int64: each factor is bounded by the limits above.
    const std::int64_t D = dim, F = hidden, L = layers, V = vocab, KV = c.kvDim();
    const std::int64_t ropeTable = std::int64_t(seqLen) * (c.headDim / 2);
    const std::int64_t floats = V * D + L * D * 2 + L * D * D * 2 + L * D * KV * 2 + L * D * F * 3 +
                                D + ropeTable * 2 + (shared ? 0 : V * D);
    const std::uint64_t expected = 28 + std::uint64_t(floats) * 4;
    if (bytes.size() != expected)
        return headerError(path, QStringLiteral("the header implies %1 bytes but the file has %2")
                                     .arg(expected)
                                     .arg(bytes.size()));

    auto model = std::make_shared<Model>();
    model->path = path;
    model->format = ModelFormat::Llama2c;
    model->formatName = QStringLiteral("llama2.c checkpoint");
    model->config = c;

    std::uint64_t offset = 28;
    auto take = [&](std::int64_t count) {
        const auto span = bytes.subspan(offset, std::size_t(count) * 4);
        offset += std::uint64_t(count) * 4;
        return span;
    };
    auto add = [&](QString name, std::vector<std::int64_t> shape, std::span<const std::uint8_t> d) {
        model->tensors.push_back(Tensor{std::move(name), std::move(shape), StoredType::F32, d});
    };
    // Per-layer matrices are stored layer after layer within each kind.
    auto addPerLayer = [&](const char* kind, std::int64_t inputs, std::int64_t outputs) {
        for (int l = 0; l < layers; ++l) {
            const auto span = take(inputs * outputs);
            if (outputs == 1)
                add(blockTensorName(l, kind), {inputs}, span);
            else
                add(blockTensorName(l, kind), {inputs, outputs}, span);
        }
    };
    add(QStringLiteral("token_embd.weight"), {D, V}, take(V * D));
    addPerLayer("attn_norm", D, 1);
    addPerLayer("attn_q", D, D);
    addPerLayer("attn_k", D, KV);
    addPerLayer("attn_v", D, KV);
    addPerLayer("attn_output", D, D);
    addPerLayer("ffn_norm", D, 1);
    addPerLayer("ffn_gate", D, F); // w1
    addPerLayer("ffn_down", F, D); // w2
    addPerLayer("ffn_up", D, F);   // w3
    add(QStringLiteral("output_norm.weight"), {D}, take(D));
    take(ropeTable * 2); // freq_cis_real and freq_cis_imag: recomputed, not read
    if (!shared)
        add(QStringLiteral("output.weight"), {D, V}, take(V * D));

    // Reorder to the order GGUF files list tensors in: per block, then the head.
    std::stable_sort(model->tensors.begin(), model->tensors.end(),
                     [](const Tensor& a, const Tensor& b) {
                         auto rank = [](const QString& n) {
                             if (n.startsWith(QLatin1String("blk.")))
                                 return n.section(QLatin1Char('.'), 1, 1).toInt() + 1;
                             return n == QLatin1String("token_embd.weight") ? 0 : 1 << 20;
                         };
                         return rank(a.name) < rank(b.name);
                     });

    QString tokenizerPath = options.tokenizerPath;
    if (tokenizerPath.isEmpty())
        tokenizerPath = findLlama2cTokenizer(path, vocab);
    if (tokenizerPath.isEmpty())
        return Error{
            QStringLiteral("%1: no tokenizer found beside it (tokenizer.bin or tok%2.bin); "
                           "choose one")
                .arg(QFileInfo(path).fileName())
                .arg(vocab),
            ErrorKind::TokenizerNotFound};
    auto tokFile = MappedFile::open(tokenizerPath);
    if (!tokFile)
        return tokFile.error();
    auto tokenizer = loadLlama2cTokenizer(tokFile.value()->bytes(), vocab);
    if (!tokenizer)
        return Error{QStringLiteral("%1: %2").arg(QFileInfo(tokenizerPath).fileName(),
                                                  tokenizer.error().message)};
    model->tokenizer = std::move(tokenizer.value());
    model->tokenizerPath = tokenizerPath;
    model->files = {mapped.value()};

    if (auto valid = validateLlamaTensors(*model); !valid)
        return valid.error();
    return std::shared_ptr<const Model>(std::move(model));
}

} // namespace cwb
