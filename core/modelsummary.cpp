// SPDX-License-Identifier: GPL-3.0-or-later
#include "modelsummary.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QLocale>

namespace cwb {

QString formatBytes(std::uint64_t bytes) {
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        ++u;
    }
    return u == 0 ? QStringLiteral("%1 B").arg(bytes)
                  : QStringLiteral("%1 %2")
                        .arg(v, 0, 'f', v < 10 ? 2 : (v < 100 ? 1 : 0))
                        .arg(QLatin1String(units[u]));
}

QString formatCount(std::int64_t n) {
    QLocale locale = QLocale::c();
    locale.setNumberOptions(QLocale::DefaultNumberOptions); // with thousands separators
    return locale.toString(qlonglong(n));
}

QString formatParameters(std::int64_t n) {
    if (n >= 1'000'000'000)
        return QStringLiteral("%1B").arg(double(n) / 1e9, 0, 'f', 2);
    if (n >= 1'000'000)
        return QStringLiteral("%1M").arg(double(n) / 1e6, 0, 'f', 1);
    if (n >= 1'000)
        return QStringLiteral("%1K").arg(double(n) / 1e3, 0, 'f', 0);
    return QString::number(n);
}

QList<QPair<QString, QString>> describeModel(const Model& m) {
    const LlamaConfig& c = m.config;
    QList<QPair<QString, QString>> rows;
    rows << qMakePair(QStringLiteral("File"), QFileInfo(m.path).fileName());
    rows << qMakePair(QStringLiteral("Format"), m.formatName);
    if (!m.tokenizerPath.isEmpty())
        rows << qMakePair(QStringLiteral("Tokenizer file"), QFileInfo(m.tokenizerPath).fileName());
    rows << qMakePair(QStringLiteral("Architecture"), c.architecture);
    rows << qMakePair(QStringLiteral("Parameters"),
                      QStringLiteral("%1 (%2)").arg(formatCount(m.parameterCount()),
                                                    formatParameters(m.parameterCount())));
    rows << qMakePair(QStringLiteral("Weights"), formatBytes(m.storedBytes()));
    rows << qMakePair(QStringLiteral("Embedding width"), QString::number(c.dim));
    rows << qMakePair(QStringLiteral("Feed-forward width"), QString::number(c.hiddenDim));
    rows << qMakePair(QStringLiteral("Blocks"), QString::number(c.layers));
    rows << qMakePair(QStringLiteral("Attention heads"),
                      QStringLiteral("%1 (%2 key/value, head size %3%4)")
                          .arg(c.heads)
                          .arg(c.kvHeads)
                          .arg(c.headDim)
                          .arg(c.qkvBias ? QStringLiteral(", Q/K/V biases") : QString()));
    rows << qMakePair(QStringLiteral("Rotary"),
                      QStringLiteral("%1 dims, base %2").arg(c.ropeDim).arg(double(c.ropeTheta)));
    rows << qMakePair(QStringLiteral("RMSNorm epsilon"),
                      QString::number(double(c.normEps), 'g', 6));
    rows << qMakePair(QStringLiteral("Context length"), QString::number(c.contextLength));
    rows << qMakePair(QStringLiteral("Classifier"), c.tiedOutput
                                                        ? QStringLiteral("tied to the embedding")
                                                        : QStringLiteral("separate output.weight"));
    rows << qMakePair(QStringLiteral("Vocabulary"),
                      QStringLiteral("%1 tokens, %2%3")
                          .arg(c.vocabSize)
                          .arg(m.tokenizer.kindName())
                          .arg(m.tokenizer.hasByteFallback() ? QStringLiteral(" with byte fallback")
                                                             : QString()));
    return rows;
}

QJsonObject modelToJson(const Model& m) {
    const LlamaConfig& c = m.config;
    QJsonObject config{
        {QStringLiteral("architecture"), c.architecture},
        {QStringLiteral("dim"), c.dim},
        {QStringLiteral("hidden_dim"), c.hiddenDim},
        {QStringLiteral("layers"), c.layers},
        {QStringLiteral("heads"), c.heads},
        {QStringLiteral("kv_heads"), c.kvHeads},
        {QStringLiteral("head_dim"), c.headDim},
        {QStringLiteral("rope_dim"), c.ropeDim},
        {QStringLiteral("rope_theta"), double(c.ropeTheta)},
        {QStringLiteral("norm_eps"), double(c.normEps)},
        {QStringLiteral("vocab_size"), c.vocabSize},
        {QStringLiteral("context_length"), c.contextLength},
        {QStringLiteral("tied_output"), c.tiedOutput},
        {QStringLiteral("qkv_bias"), c.qkvBias},
    };
    QJsonArray tensors;
    for (const Tensor& t : m.tensors) {
        QJsonArray shape;
        for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it)
            shape.append(qint64(*it));
        tensors.append(QJsonObject{
            {QStringLiteral("name"), t.name},
            {QStringLiteral("shape"), shape},
            {QStringLiteral("type"), QLatin1String(traitsOf(t.type).name)},
            {QStringLiteral("parameters"), qint64(t.elements())},
            {QStringLiteral("bytes"), qint64(t.data.size())},
        });
    }
    QJsonObject tokenizer{
        {QStringLiteral("kind"), m.tokenizer.kindId()},
        {QStringLiteral("vocab_size"), m.tokenizer.vocabSize()},
        {QStringLiteral("bos"), m.tokenizer.bos()},
        {QStringLiteral("eos"), m.tokenizer.eos()},
        {QStringLiteral("unk"), m.tokenizer.unk()},
        {QStringLiteral("byte_fallback"), m.tokenizer.hasByteFallback()},
    };
    if (!m.tokenizerPath.isEmpty())
        tokenizer.insert(QStringLiteral("path"), m.tokenizerPath);
    return QJsonObject{
        {QStringLiteral("path"), m.path},
        {QStringLiteral("format"), m.formatName},
        {QStringLiteral("config"), config},
        {QStringLiteral("parameters"), qint64(m.parameterCount())},
        {QStringLiteral("stored_bytes"), qint64(m.storedBytes())},
        {QStringLiteral("file_bytes"), qint64(m.fileBytes())},
        {QStringLiteral("tokenizer"), tokenizer},
        {QStringLiteral("tensors"), tensors},
        {QStringLiteral("warnings"), QJsonArray::fromStringList(m.warnings)},
    };
}

} // namespace cwb
