// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "testassets.h"

#include <QFile>
#include <QRegularExpression>
#include <QStringList>

#include <cstdint>
#include <map>
#include <vector>

// The reference outputs of llama2.c's run.c for stories260K, read from the shared assets.
namespace cwbtest {

struct Golden {
    std::vector<std::int32_t> promptIds;
    std::vector<std::int32_t> greedyIds;
    std::vector<std::vector<float>> logits;        // positions 0..3, 512 values each
    std::map<std::int64_t, double> pplAfterTokens; // running documents PPL; -1 = all
};

inline Golden readGolden() {
    Golden g;
    QFile f(asset(QStringLiteral("golden-stories260K/golden_once_upon_a_time.txt")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("golden file missing");
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
    auto ints = [](const QString& line) {
        std::vector<std::int32_t> v;
        for (const QString& s : line.split(QLatin1Char(' '), Qt::SkipEmptyParts))
            v.push_back(s.toInt());
        return v;
    };
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (lines[i].startsWith(QLatin1String("prompt_token_ids")))
            g.promptIds = ints(lines[i + 1]);
        if (lines[i].startsWith(QLatin1String("greedy_generated_token_ids")))
            g.greedyIds = ints(lines[i + 1]);
        if (lines[i].startsWith(QLatin1String("logits_pos"))) {
            std::vector<float> values;
            for (qsizetype j = i + 1; j < lines.size() && values.size() < 512; ++j)
                for (const QString& s : lines[j].split(QLatin1Char(' '), Qt::SkipEmptyParts))
                    values.push_back(s.toFloat());
            g.logits.push_back(values);
        }
    }
    QFile p(asset(QStringLiteral("golden-stories260K/ppl_tinystories_valid_first1000.txt")));
    if (!p.open(QIODevice::ReadOnly))
        qFatal("golden perplexity file missing");
    const QRegularExpression after(QStringLiteral("^after (\\d+) tokens.*PPL ([0-9.]+)"));
    const QRegularExpression total(QStringLiteral("^TOTAL: (\\d+) predicted.*PPL ([0-9.]+)"));
    for (const QString& line : QString::fromUtf8(p.readAll()).split(QLatin1Char('\n'))) {
        if (auto m = after.match(line); m.hasMatch())
            g.pplAfterTokens[m.captured(1).toLongLong()] = m.captured(2).toDouble();
        if (auto m = total.match(line); m.hasMatch()) {
            g.pplAfterTokens[-1] = m.captured(2).toDouble();
            g.pplAfterTokens[-2] = m.captured(1).toDouble(); // token count of the whole text
        }
    }
    return g;
}

} // namespace cwbtest
