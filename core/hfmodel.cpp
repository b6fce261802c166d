// SPDX-License-Identifier: GPL-3.0-or-later
#include "hfmodel.h"

#include "hfconfig.h"
#include "hftokenizer.h"
#include "safetensors.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>
#include <cstring>
#include <map>

namespace cwb {
namespace {

constexpr qint64 kLimitJsonBytes = 100ll << 20;

// Hugging Face's name inside a block, its GGUF kind, in the order GGUF files list them.
struct BlockName {
    const char* hf;
    const char* kind;
};
constexpr BlockName kBlockNames[] = {
    {"input_layernorm", "attn_norm"},    {"self_attn.q_proj", "attn_q"},
    {"self_attn.k_proj", "attn_k"},      {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"}, {"post_attention_layernorm", "ffn_norm"},
    {"mlp.gate_proj", "ffn_gate"},       {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},
};

Result<QByteArray> readJson(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2")
                         .arg(QFileInfo(path).fileName(), file.errorString())};
    if (file.size() > kLimitJsonBytes)
        return Error{QStringLiteral("%1 is larger than %2 bytes")
                         .arg(QFileInfo(path).fileName())
                         .arg(kLimitJsonBytes)};
    return file.readAll();
}

// GGUF's order: the embedding, each block in turn, then the final norm and the classifier.
int tensorRank(const QString& name) {
    if (name == QLatin1String("token_embd.weight"))
        return 0;
    if (name.startsWith(QLatin1String("blk."))) {
        const QString kind = name.section(QLatin1Char('.'), 2, 2);
        int k = 0;
        for (const auto& b : kBlockNames) {
            if (kind == QLatin1String(b.kind))
                break;
            ++k;
        }
        const bool bias = name.endsWith(QLatin1String(".bias")); // after its weight
        return 1 + name.section(QLatin1Char('.'), 1, 1).toInt() * 32 + k * 2 + int(bias);
    }
    return name == QLatin1String("output_norm.weight") ? 1 << 30 : (1 << 30) + 1;
}

// The folder a path names as a Hugging Face checkpoint: the folder itself, or the folder of its
// config.json or safetensors file.
QString folderOf(const QString& path) {
    const QFileInfo info(path);
    if (info.isDir())
        return info.absoluteFilePath();
    const QString name = info.fileName();
    if (info.isFile() &&
        (name == QLatin1String("config.json") || name.endsWith(QLatin1String(".safetensors")) ||
         name == QLatin1String("model.safetensors.index.json")))
        return info.absolutePath();
    return {};
}

} // namespace

bool isHfFolder(const QString& path) {
    const QString folder = folderOf(path);
    if (folder.isEmpty())
        return false;
    const QDir dir(folder);
    return QFileInfo(dir.filePath(QStringLiteral("config.json"))).isFile() &&
           (QFileInfo(dir.filePath(QStringLiteral("model.safetensors"))).isFile() ||
            QFileInfo(dir.filePath(QStringLiteral("model.safetensors.index.json"))).isFile());
}

QString canonicalTensorName(const QString& hfName) {
    if (hfName == QLatin1String("model.embed_tokens.weight"))
        return QStringLiteral("token_embd.weight");
    if (hfName == QLatin1String("model.norm.weight"))
        return QStringLiteral("output_norm.weight");
    if (hfName == QLatin1String("lm_head.weight"))
        return QStringLiteral("output.weight");
    static const QRegularExpression block(
        QStringLiteral("^model\\.layers\\.(\\d{1,6})\\.(.+)\\.(weight|bias)$"));
    const auto m = block.match(hfName);
    if (!m.hasMatch())
        return {};
    const int layer = m.captured(1).toInt();
    const bool bias = m.captured(3) == QLatin1String("bias");
    for (const auto& b : kBlockNames) {
        if (m.captured(2) != QLatin1String(b.hf))
            continue;
        if (!bias)
            return blockTensorName(layer, b.kind);
        const QLatin1String kind(b.kind); // only Qwen2's Q, K and V biases are run
        if (kind == QLatin1String("attn_q") || kind == QLatin1String("attn_k") ||
            kind == QLatin1String("attn_v"))
            return blockBiasName(layer, b.kind);
    }
    return {};
}

void interleaveRotaryRows(std::span<const std::uint8_t> in, std::span<std::uint8_t> out, int heads,
                          int headDim, std::size_t rowBytes) {
    const int half = headDim / 2;
    for (int h = 0; h < heads; ++h)
        for (int i = 0; i < half; ++i)
            for (int p = 0; p < 2; ++p) {
                const std::size_t to = std::size_t(h * headDim + 2 * i + p);
                const std::size_t from = std::size_t(h * headDim + p * half + i);
                std::memcpy(out.data() + to * rowBytes, in.data() + from * rowBytes, rowBytes);
            }
}

Result<std::shared_ptr<const Model>> loadHfModel(const QString& path) {
    const QString folder = folderOf(path);
    if (folder.isEmpty())
        return Error{QStringLiteral("%1: not a Hugging Face model folder").arg(path)};
    const QDir dir(folder);
    const QString label = dir.dirName();
    auto withName = [&](const Error& e) { return Error{label + QStringLiteral(": ") + e.message}; };

    if (!QFileInfo(dir.filePath(QStringLiteral("config.json"))).isFile())
        return withName(Error{QStringLiteral(
            "no such file config.json: the folder is not a Hugging Face model folder")});
    auto configJson = readJson(dir.filePath(QStringLiteral("config.json")));
    if (!configJson)
        return withName(configJson.error());
    auto hf = parseHfConfig(*configJson);
    if (!hf)
        return withName(hf.error());
    LlamaConfig& c = hf->llama;
    c.qkvBias = hf->qkvBias;

    auto weights = openSafetensorsFolder(folder);
    if (!weights)
        return withName(weights.error());

    auto model = std::make_shared<Model>();
    model->path = folder;
    model->format = ModelFormat::HuggingFace;
    model->formatName =
        weights->files.size() > 1
            ? QStringLiteral("Hugging Face safetensors, %1 shards").arg(weights->files.size())
            : QStringLiteral("Hugging Face safetensors");
    model->config = c;
    model->warnings = hf->warnings;
    model->files = weights->files;

    std::map<QString, QString> hfNameOf; // canonical → Hugging Face, for messages
    for (const SafetensorsEntry& e : weights->tensors) {
        if (e.name.endsWith(QLatin1String("rotary_emb.inv_freq")))
            continue; // older checkpoints store the rotary frequencies; they are recomputed
        const QString name = canonicalTensorName(e.name);
        if (name.isEmpty())
            return withName(Error{QStringLiteral("tensor %1 is not part of a %2 model")
                                      .arg(e.name, hf->architecture)});
        if (name.startsWith(QLatin1String("blk.")) &&
            name.section(QLatin1Char('.'), 1, 1).toInt() >= c.layers)
            return withName(Error{QStringLiteral("tensor %1 belongs to a block beyond the %2 that "
                                                 "config.json's num_hidden_layers gives")
                                      .arg(e.name)
                                      .arg(c.layers)});
        if (name == QLatin1String("output.weight") && c.tiedOutput)
            continue; // tied: transformers uses the embedding, whatever else is stored
        if (e.shape.empty() || e.shape.size() > 2)
            return withName(Error{QStringLiteral("tensor %1 has %2 dimensions; 1 or 2 are expected")
                                      .arg(e.name)
                                      .arg(e.shape.size())});
        if (hfNameOf.count(name))
            return withName(Error{QStringLiteral("tensor %1 appears twice").arg(e.name)});
        hfNameOf[name] = e.name;
        model->tensors.push_back(Tensor{
            name, std::vector<std::int64_t>(e.shape.rbegin(), e.shape.rend()), e.type, e.data});
    }
    std::stable_sort(
        model->tensors.begin(), model->tensors.end(),
        [](const Tensor& a, const Tensor& b) { return tensorRank(a.name) < tensorRank(b.name); });
    if (!c.tiedOutput && !model->find(QStringLiteral("output.weight")))
        return withName(Error{QStringLiteral("lm_head.weight is missing and config.json's "
                                             "tie_word_embeddings is false")});
    if (auto valid = validateLlamaTensors(*model); !valid) {
        QString message = valid.error().message;
        for (const auto& [canonical, original] : hfNameOf)
            if (message.contains(canonical + QLatin1Char(' ')))
                message.replace(canonical, QStringLiteral("%1 (%2)").arg(original, canonical));
        return withName(
            Error{QStringLiteral("config.json and the weights disagree: %1").arg(message)});
    }

    // Q and K rows from rotate-half into interleaved order, in a copy: the files stay read-only.
    // A Q or K bias is one value per row, and moves with its row.
    for (Tensor& t : model->tensors) {
        const QString kind = t.name.section(QLatin1Char('.'), 2);
        const bool q =
            kind == QLatin1String("attn_q.weight") || kind == QLatin1String("attn_q.bias");
        if (!q && kind != QLatin1String("attn_k.weight") && kind != QLatin1String("attn_k.bias"))
            continue;
        const std::size_t rows = t.isMatrix() ? std::size_t(t.rows()) : std::size_t(t.elements());
        auto buffer = std::make_shared<std::vector<std::uint8_t>>(t.data.size());
        interleaveRotaryRows(t.data, *buffer, q ? c.heads : c.kvHeads, c.headDim,
                             t.data.size() / rows);
        t.data = *buffer;
        model->buffers.push_back(std::move(buffer));
    }

    const QString tokenizerPath = dir.filePath(QStringLiteral("tokenizer.json"));
    if (!QFileInfo(tokenizerPath).isFile())
        return withName(Error{QStringLiteral("the folder has no tokenizer.json (a "
                                             "tokenizer.model alone is not supported)")});
    auto tokenizerJson = readJson(tokenizerPath);
    if (!tokenizerJson)
        return withName(tokenizerJson.error());
    QByteArray tokenizerConfig;
    const QString tokenizerConfigPath = dir.filePath(QStringLiteral("tokenizer_config.json"));
    if (QFileInfo(tokenizerConfigPath).isFile()) {
        auto read = readJson(tokenizerConfigPath);
        if (!read)
            return withName(read.error());
        tokenizerConfig = *read;
    }
    auto tokenizer = parseHfTokenizer(*tokenizerJson, tokenizerConfig,
                                      HfTokenIds{hf->bosTokenId, hf->eosTokenId});
    if (!tokenizer)
        return withName(tokenizer.error());
    if (tokenizer->tokenizer.vocabSize() > c.vocabSize)
        return withName(Error{QStringLiteral("tokenizer.json has %1 tokens but config.json's "
                                             "vocab_size is %2")
                                  .arg(tokenizer->tokenizer.vocabSize())
                                  .arg(c.vocabSize)});
    model->tokenizer = std::move(tokenizer->tokenizer);
    model->tokenizerPath = tokenizerPath;
    model->warnings << tokenizer->warnings;
    if (!model->tokenizer.addsBos())
        model->warnings << QStringLiteral("the tokenizer adds no BOS token");

    // config.json decides how the weights compute: it belongs to the model's identity.
    auto configFile = MappedFile::open(dir.filePath(QStringLiteral("config.json")));
    if (!configFile)
        return withName(configFile.error());
    model->files.push_back(configFile.value());
    return std::shared_ptr<const Model>(std::move(model));
}

} // namespace cwb
