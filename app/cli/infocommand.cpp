// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "terminal.h"

#include "model.h"
#include "modelsummary.h"

#include <QJsonDocument>

namespace cwb::cli {

namespace {

int runInfo(const Arguments& a) {
    auto model = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!model) {
        printError(model.error().message);
        return 1;
    }
    const Model& m = **model;
    if (a.flag(QStringLiteral("json"))) {
        printOut(QString::fromUtf8(QJsonDocument(modelToJson(m)).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    QString out;
    for (const auto& [label, value] : describeModel(m))
        out += (label + QLatin1Char(':')).leftJustified(22) + value + QLatin1Char('\n');
    out += QStringLiteral("\n%1 %2 %3 %4 %5\n")
               .arg(QStringLiteral("tensor"), -28)
               .arg(QStringLiteral("shape"), -14)
               .arg(QStringLiteral("type"), -5)
               .arg(QStringLiteral("parameters"), 12)
               .arg(QStringLiteral("bytes"), 12);
    for (const Tensor& t : m.tensors)
        out += QStringLiteral("%1 %2 %3 %4 %5\n")
                   .arg(t.name, -28)
                   .arg(t.shapeText(), -14)
                   .arg(QLatin1String(traitsOf(t.type).name), -5)
                   .arg(formatCount(t.elements()), 12)
                   .arg(formatCount(qint64(t.data.size())), 12);
    for (const QString& w : m.warnings)
        out += QStringLiteral("warning: ") + w + QLatin1Char('\n');
    printOut(out);
    return 0;
}

} // namespace

Command infoCommand() {
    return Command{
        QStringLiteral("info"),
        QStringLiteral("MODEL [--tokenizer FILE] [--json]"),
        QStringLiteral("Show a model's architecture and its tensors."),
        {QStringLiteral("MODEL")},
        {
            {QStringLiteral("tokenizer"), QStringLiteral("FILE"),
             QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)")},
            {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
        },
        runInfo,
    };
}

} // namespace cwb::cli
