// SPDX-License-Identifier: GPL-3.0-or-later
#include "model.h"

#include "ggufmodel.h"
#include "hfmodel.h"
#include "llama2c.h"

#include <QFile>
#include <QFileInfo>

namespace cwb {

QString Tensor::shapeText() const {
    QStringList parts;
    for (auto it = shape.rbegin(); it != shape.rend(); ++it)
        parts << QString::number(*it);
    return parts.join(QStringLiteral(" × "));
}

QString blockTensorName(int layer, const char* kind) {
    return QStringLiteral("blk.%1.%2.weight").arg(layer).arg(QLatin1String(kind));
}

QString blockBiasName(int layer, const char* kind) {
    return QStringLiteral("blk.%1.%2.bias").arg(layer).arg(QLatin1String(kind));
}

const Tensor* Model::find(const QString& name) const {
    for (const auto& t : tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

std::int64_t Model::parameterCount() const {
    std::int64_t n = 0;
    for (const auto& t : tensors)
        n += t.elements();
    return n;
}

std::uint64_t Model::storedBytes() const {
    std::uint64_t n = 0;
    for (const auto& t : tensors)
        n += t.data.size();
    return n;
}

std::uint64_t Model::fileBytes() const {
    std::uint64_t n = 0;
    for (const auto& f : files)
        n += f->size();
    return n;
}

Result<void> validateLlamaTensors(const Model& model) {
    const LlamaConfig& c = model.config;
    auto expect = [&](const QString& name, std::vector<std::int64_t> shape) -> Result<void> {
        const Tensor* t = model.find(name);
        if (!t)
            return Error{QStringLiteral("tensor %1 is missing").arg(name)};
        if (t->shape != shape) {
            Tensor wanted{name, shape, StoredType::F32, {}};
            return Error{QStringLiteral("tensor %1 has shape %2; the configuration implies %3")
                             .arg(name, t->shapeText(), wanted.shapeText())};
        }
        return {};
    };
    const std::int64_t D = c.dim, F = c.hiddenDim, Q = c.qDim(), KV = c.kvDim(), V = c.vocabSize;
    std::vector<std::pair<QString, std::vector<std::int64_t>>> wanted = {
        {QStringLiteral("token_embd.weight"), {D, V}},
        {QStringLiteral("output_norm.weight"), {D}},
    };
    if (!c.tiedOutput)
        wanted.push_back({QStringLiteral("output.weight"), {D, V}});
    for (int l = 0; l < c.layers; ++l) {
        wanted.push_back({blockTensorName(l, "attn_norm"), {D}});
        wanted.push_back({blockTensorName(l, "attn_q"), {D, Q}});
        wanted.push_back({blockTensorName(l, "attn_k"), {D, KV}});
        wanted.push_back({blockTensorName(l, "attn_v"), {D, KV}});
        wanted.push_back({blockTensorName(l, "attn_output"), {Q, D}});
        wanted.push_back({blockTensorName(l, "ffn_norm"), {D}});
        wanted.push_back({blockTensorName(l, "ffn_gate"), {D, F}});
        wanted.push_back({blockTensorName(l, "ffn_up"), {D, F}});
        wanted.push_back({blockTensorName(l, "ffn_down"), {F, D}});
        if (c.qkvBias) {
            wanted.push_back({blockBiasName(l, "attn_q"), {Q}});
            wanted.push_back({blockBiasName(l, "attn_k"), {KV}});
            wanted.push_back({blockBiasName(l, "attn_v"), {KV}});
        }
    }
    for (const auto& [name, shape] : wanted)
        if (auto r = expect(name, shape); !r)
            return r;
    // A bias the forward pass would skip would give a silently wrong model.
    for (const Tensor& t : model.tensors) {
        if (!t.name.endsWith(QLatin1String(".bias")))
            continue;
        const bool qkv = t.name.endsWith(QLatin1String(".attn_q.bias")) ||
                         t.name.endsWith(QLatin1String(".attn_k.bias")) ||
                         t.name.endsWith(QLatin1String(".attn_v.bias"));
        if (!qkv)
            return Error{QStringLiteral("tensor %1 is a bias the engine does not run (only the Q, "
                                        "K and V projections may have biases)")
                             .arg(t.name)};
        if (!c.qkvBias)
            return Error{
                QStringLiteral("tensor %1 is a bias the model's configuration does not have")
                    .arg(t.name)};
    }
    return {};
}

Result<std::shared_ptr<const Model>> loadModel(const QString& path, const LoadOptions& options) {
    QFile file(path);
    if (QFileInfo(path).isDir() || isHfFolder(path))
        return loadHfModel(path);
    if (!QFileInfo(path).isFile())
        return Error{QStringLiteral("%1: no such file").arg(path)};
    if (!file.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(path, file.errorString())};
    const QByteArray magic = file.read(4);
    file.close();
    if (magic == "GGUF")
        return loadGgufModel(path);
    if (magic.size() < 4)
        return Error{
            QStringLiteral("%1: too short to be a model file").arg(QFileInfo(path).fileName())};
    return loadLlama2c(path, options);
}

} // namespace cwb
