// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include "report.h"
#include "reportpdf.h"

#include <QJsonDocument>

namespace cwb::cli {

namespace {

std::optional<double> optionalReal(const Arguments& a, const QString& name) {
    return a.has(name) ? std::optional(realOption(a, name, 0, 0)) : std::nullopt;
}

std::int64_t runIdArgument(const QString& text, const QString& what) {
    bool ok = false;
    const qint64 id = text.toLongLong(&ok);
    if (!ok || id <= 0)
        throw UsageError{QStringLiteral("'%1' is not a %2").arg(text, what)};
    return id;
}

int runReport(const Arguments& a) {
    const std::int64_t id = runIdArgument(a.positional[0], QStringLiteral("run id"));
    const QString out = a.value(QStringLiteral("out"));
    if (out.isEmpty())
        throw UsageError{QStringLiteral("'report' needs --out FILE.pdf|.html|.json")};
    if (!isReportFormat(out))
        throw UsageError{QStringLiteral("--out must end in .pdf, .html or .json")};
    ReportOptions options;
    if (a.has(QStringLiteral("baseline")))
        options.baselineRunId =
            runIdArgument(a.value(QStringLiteral("baseline")), QStringLiteral("baseline run id"));
    options.maxKld = optionalReal(a, QStringLiteral("max-kld"));
    options.maxPplIncreasePercent = optionalReal(a, QStringLiteral("max-ppl-increase"));
    options.signOff = {a.value(QStringLiteral("reviewer")), a.value(QStringLiteral("role")),
                       a.value(QStringLiteral("date")), a.value(QStringLiteral("decision"))};

    auto store = openRunStore(a);
    if (!store) {
        printError(store.error().message);
        return 1;
    }
    auto report = buildReport(**store, id, options);
    if (!report) {
        printError(report.error().message);
        return 1;
    }
    if (auto written = writeReport(*report, out); !written) {
        printError(written.error().message);
        return 1;
    }
    const QString digest = report->value(QStringLiteral("digest"))
                               .toObject()
                               .value(QStringLiteral("value"))
                               .toString();
    if (a.flag(QStringLiteral("json"))) {
        printOut(QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("run_id"), qint64(id)},
                                                             {QStringLiteral("out"), out},
                                                             {QStringLiteral("digest"), digest}})
                                       .toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    printOut(QStringLiteral("report of run %1 written to %2 (digest sha256 %3)\n")
                 .arg(id)
                 .arg(out, digest));
    return 0;
}

} // namespace

Command reportCommand() {
    return Command{
        QStringLiteral("report"),
        QStringLiteral("RUN_ID --out FILE.pdf|.html|.json [options]"),
        QStringLiteral("Export a run's compression report for review: PDF, self-contained HTML "
                       "or JSON (which 'cwb reproduce' checks)."),
        {QStringLiteral("RUN_ID")},
        {
            {QStringLiteral("out"), QStringLiteral("FILE"),
             QStringLiteral("where to write; the suffix chooses the format")},
            {QStringLiteral("baseline"), QStringLiteral("RUN_ID"),
             QStringLiteral("compare with this run (default: the run's own FP32 figures)")},
            {QStringLiteral("max-kld"), QStringLiteral("K"),
             QStringLiteral("warn if the mean KLD is above K")},
            {QStringLiteral("max-ppl-increase"), QStringLiteral("PERCENT"),
             QStringLiteral("warn if perplexity rose more than PERCENT")},
            {QStringLiteral("reviewer"), QStringLiteral("NAME"),
             QStringLiteral("fill in the sign-off block")},
            {QStringLiteral("role"), QStringLiteral("ROLE"), QStringLiteral("the reviewer's role")},
            {QStringLiteral("date"), QStringLiteral("DATE"), QStringLiteral("the review's date")},
            {QStringLiteral("decision"), QStringLiteral("TEXT"),
             QStringLiteral("approve, reject, or conditions")},
            dbOption(),
            {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
        },
        runReport,
    };
}

} // namespace cwb::cli
