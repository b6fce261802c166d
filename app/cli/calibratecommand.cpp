// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationoptions.h"
#include "commands.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include "calibration.h"
#include "engine.h"
#include "model.h"
#include "modelsummary.h"
#include "runrecorder.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace cwb::cli {

namespace {

int runCalibrate(const Arguments& a) {
    if (!a.has(QStringLiteral("text")) || !a.has(QStringLiteral("out")))
        throw UsageError{QStringLiteral("'calibrate' needs --text FILE and --out STATS")};
    const CalibrationOptions options = calibrationOptions(a);
    installInterruptHandler();
    auto store = openRunStore(a);
    if (!store) {
        printError(store.error().message);
        return 1;
    }
    auto model = loadModel(a.positional[0], LoadOptions{a.value(QStringLiteral("tokenizer"))});
    if (!model) {
        printError(model.error().message);
        return 1;
    }
    auto text = readCalibrationText(a.value(QStringLiteral("text")));
    if (!text) {
        printError(text.error().message);
        return 1;
    }
    const QString out = a.value(QStringLiteral("out"));
    RunRecord record = newRunRecord(QStringLiteral("calibration"), model->get(), invokedCommand());
    record.name = QFileInfo(text->path).fileName();
    record.calibText = {QFileInfo(text->path).absoluteFilePath(), text->sha256, 0};
    record.threads = options.threads > 0 ? options.threads : defaultThreadCount();
    record.settings = QJsonObject{{QStringLiteral("sequences"), options.sequences},
                                  {QStringLiteral("sequence_length"), options.sequenceLength},
                                  {QStringLiteral("hessians"), options.hessians},
                                  {QStringLiteral("out"), QFileInfo(out).absoluteFilePath()}};
    auto recorder = RunRecorder::start(**store, record);
    if (!recorder) {
        printError(recorder.error().message);
        return 1;
    }
    QElapsedTimer timer;
    timer.start();
    auto stats = calibrate(**model, *text, options, terminalProgress(QStringLiteral("calibrate")));
    finishProgressLine();
    if (!stats) {
        (void)recorder->fail(stats.error());
        printError(stats.error().message);
        return 1;
    }
    if (auto saved = stats->save(out); !saved) {
        (void)recorder->fail(saved.error());
        printError(saved.error().message);
        return 1;
    }
    (void)recorder->finish(
        {{{QStringLiteral("calib_tokens"), {double(stats->tokens), std::nullopt}},
          {QStringLiteral("sites"), {double(stats->sites.size()), std::nullopt}},
          {QStringLiteral("seconds"), {double(timer.nsecsElapsed()) / 1e9, std::nullopt}}},
         {},
         0,
         {}});
    if (a.flag(QStringLiteral("json"))) {
        QJsonObject json = stats->provenance();
        json.insert(QStringLiteral("run_id"), qint64(recorder->id()));
        json.insert(QStringLiteral("out"), out);
        json.insert(QStringLiteral("sites"), qint64(stats->sites.size()));
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) +
                 QLatin1Char('\n'));
        return 0;
    }
    QString lines;
    for (const auto& [name, s] : stats->sites) {
        const auto outliers = s.outlierChannels();
        lines += QStringLiteral("  %1 %2 channels, absmax %3, %4 outlier channel(s)\n")
                     .arg(name, -20)
                     .arg(s.channels, 5)
                     .arg(double(*std::max_element(s.absMax.begin(), s.absMax.end())), 8, 'f', 3)
                     .arg(outliers.size());
    }
    printOut(
        QStringLiteral("calibrated %1 on %2: %3 sequences of %4 tokens (%5 tokens)%6\n%7wrote %8\n")
            .arg(QFileInfo((*model)->path).fileName(), QFileInfo(text->path).fileName())
            .arg(stats->sequences)
            .arg(stats->sequenceLength)
            .arg(formatCount(stats->tokens))
            .arg(stats->hessians ? QStringLiteral(", with Hessians") : QString())
            .arg(lines, out));
    return 0;
}

} // namespace

Command calibrateCommand() {
    std::vector<Option> options = {
        {QStringLiteral("text"), QStringLiteral("FILE"),
         QStringLiteral("calibration text: plain, or JSON Lines with a \"text\" field (*.jsonl)")},
        {QStringLiteral("out"), QStringLiteral("STATS"),
         QStringLiteral("where to write the statistics")},
    };
    for (const Option& o : calibrationOptionTable())
        options.push_back(o);
    options.push_back({QStringLiteral("tokenizer"), QStringLiteral("FILE"),
                       QStringLiteral("llama2.c tokenizer.bin")});
    options.push_back({QStringLiteral("threads"), QStringLiteral("N"),
                       QStringLiteral("threads (default: every core)")});
    options.push_back(dbOption());
    options.push_back(
        {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")});
    return Command{
        QStringLiteral("calibrate"),
        QStringLiteral("MODEL --text FILE --out STATS [options]"),
        QStringLiteral("Collect activation statistics (absmax, mean square, histograms, Hessians) "
                       "for calibrated methods."),
        {QStringLiteral("MODEL")},
        options,
        runCalibrate,
    };
}

} // namespace cwb::cli
