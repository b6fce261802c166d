// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "terminal.h"

#include "report.h"
#include "reproduction.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace cwb::cli {

namespace {

int runReproduce(const Arguments& a) {
    installInterruptHandler();
    auto report = readReportFile(a.positional[0]);
    if (!report) {
        printError(report.error().message);
        return 1;
    }
    Progress progress = terminalProgress(QStringLiteral("reproduce"));
    auto outcome = reproduceReport(*report, progress);
    finishProgressLine();
    if (!outcome) {
        printError(outcome.error().message);
        return 1;
    }
    const int code = outcome->identical() ? 0 : 1;
    if (a.flag(QStringLiteral("json"))) {
        QJsonObject metrics;
        for (const auto& [name, c] : outcome->metrics)
            metrics.insert(name, QJsonObject{{QStringLiteral("reported"), c.reported},
                                             {QStringLiteral("now"), c.now},
                                             {QStringLiteral("identical"), c.identical()}});
        printOut(QString::fromUtf8(
                     QJsonDocument(QJsonObject{{QStringLiteral("identical"), outcome->identical()},
                                               {QStringLiteral("checks"),
                                                QJsonArray::fromStringList(outcome->checks)},
                                               {QStringLiteral("mismatches"),
                                                QJsonArray::fromStringList(outcome->mismatches)},
                                               {QStringLiteral("metrics"), metrics}})
                         .toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return code;
    }
    QString text;
    for (const QString& c : outcome->checks)
        text += QStringLiteral("ok        %1\n").arg(c);
    for (const auto& [name, c] : outcome->metrics)
        text += QStringLiteral("%1 %2 %3\n")
                    .arg(c.identical() ? QStringLiteral("identical") : QStringLiteral("DIFFERENT"))
                    .arg(name, -26)
                    .arg(c.now, 0, 'g', 10);
    for (const QString& m : outcome->mismatches)
        text += QStringLiteral("MISMATCH  %1\n").arg(m);
    text +=
        outcome->identical()
            ? QStringLiteral("\nidentical: every metric of run %1 was reproduced bit for bit\n")
                  .arg(report->value(QStringLiteral("run_id")).toInteger())
            : QStringLiteral("\nnot reproduced: %1 mismatch(es)\n").arg(outcome->mismatches.size());
    printOut(text);
    return code;
}

} // namespace

Command reproduceCommand() {
    return Command{
        QStringLiteral("reproduce"),
        QStringLiteral("REPORT.json [--json]"),
        QStringLiteral("Recompute the run a JSON report describes, after checking its digest and "
                       "its files' hashes, and say whether every metric is identical."),
        {QStringLiteral("REPORT.json")},
        {{QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")}},
        runReproduce,
    };
}

} // namespace cwb::cli
