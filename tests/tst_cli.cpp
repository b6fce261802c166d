// SPDX-License-Identifier: GPL-3.0-or-later
// The command-line contract: exit codes 0/1/2, one JSON object on stdout with --json, progress
// and one-line reasons on stderr, Ctrl-C stops cleanly.
#include "golden.h"
#include "testassets.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run cwb(const QStringList& args) {
    QProcess p;
    p.start(cwbtest::cliPath(), args);
    if (!p.waitForFinished(300000))
        qFatal("cwb %s did not finish", qPrintable(args.join(QLatin1Char(' '))));
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

QJsonObject onlyJsonObject(const QByteArray& out) {
    QJsonParseError error;
    const auto doc = QJsonDocument::fromJson(out, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qFatal("stdout is not one JSON object: %s", out.constData());
    return doc.object();
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

private slots:
    void infoJson() {
        const Run r =
            cwb({QStringLiteral("info"), cwbtest::stories260KBin(), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject o = onlyJsonObject(r.out);
        QCOMPARE(o[QStringLiteral("parameters")].toInteger(), 260032);
        QCOMPARE(o[QStringLiteral("tensors")].toArray().size(),
                 47); // tied classifier: no output.weight
        QCOMPARE(o[QStringLiteral("config")].toObject()[QStringLiteral("layers")].toInt(), 5);
        const QJsonObject first = o[QStringLiteral("tensors")].toArray().first().toObject();
        QCOMPARE(first[QStringLiteral("name")].toString(), QStringLiteral("token_embd.weight"));
        QCOMPARE(first[QStringLiteral("shape")].toArray(), (QJsonArray{512, 64}));
        QCOMPARE(first[QStringLiteral("bytes")].toInteger(), 512 * 64 * 4);
    }

    void infoText() {
        const Run r = cwb({QStringLiteral("info"), cwbtest::stories260KGguf()});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("GGUF v3"));
        QVERIFY(r.out.contains("blk.4.ffn_down.weight"));
    }

    void evalJsonMatchesReferenceAndRepeats() {
        const double expected = cwbtest::readGolden().pplAfterTokens.at(10000);
        const QStringList args{QStringLiteral("eval"),         cwbtest::stories260KBin(),
                               QStringLiteral("--text"),       cwbtest::validationText(),
                               QStringLiteral("--split"),      QStringLiteral("documents"),
                               QStringLiteral("--max-tokens"), QStringLiteral("10000"),
                               QStringLiteral("--threads"),    QStringLiteral("2"),
                               QStringLiteral("--json")};
        const Run a = cwb(args);
        QCOMPARE(a.exitCode, 0);
        QVERIFY2(a.err.contains("eval:"), "progress goes to stderr");
        const QJsonObject o = onlyJsonObject(a.out);
        QCOMPARE(o[QStringLiteral("tokens_scored")].toInteger(), 10000);
        QVERIFY(std::abs(o[QStringLiteral("ppl")].toDouble() / expected - 1) < 1e-5);
        QVERIFY(o[QStringLiteral("ppl_stderr")].toDouble() > 0);
        QCOMPARE(o[QStringLiteral("threads")].toInt(), 2);
        QCOMPARE(
            o[QStringLiteral("text")].toObject()[QStringLiteral("sha256")].toString(),
            QStringLiteral("c86f734a3a07fffb8a52f4a7970ac7dbeaf4eaf6a031dc8742a8de92fbbb9446"));
        const Run b = cwb(args);
        const QJsonObject o2 = onlyJsonObject(b.out);
        QCOMPARE(o2[QStringLiteral("ppl")].toDouble(), o[QStringLiteral("ppl")].toDouble());
        QCOMPARE(o2[QStringLiteral("ppl_stderr")].toDouble(),
                 o[QStringLiteral("ppl_stderr")].toDouble());
    }

    void evalHumanReadable() {
        const Run r =
            cwb({QStringLiteral("eval"), cwbtest::stories260KGguf(), QStringLiteral("--text"),
                 cwbtest::validationText(), QStringLiteral("--ctx"), QStringLiteral("128"),
                 QStringLiteral("--chunks"), QStringLiteral("4")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("PPL"));
        QVERIFY(r.out.contains("252 scored")); // 4 chunks × 63
    }

    void badUsageExitsTwo_data() {
        QTest::addColumn<QStringList>("args");
        const QString m = cwbtest::stories260KBin();
        const QString t = cwbtest::validationText();
        QTest::newRow("no command") << QStringList{};
        QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")};
        QTest::newRow("missing --text") << QStringList{QStringLiteral("eval"), m};
        QTest::newRow("unknown option") << QStringList{
            QStringLiteral("eval"), m, QStringLiteral("--text"), t, QStringLiteral("--bogus")};
        QTest::newRow("bad number") << QStringList{QStringLiteral("eval"),   m,
                                                   QStringLiteral("--text"), t,
                                                   QStringLiteral("--ctx"),  QStringLiteral("abc")};
        QTest::newRow("bad split") << QStringList{
            QStringLiteral("eval"), m, QStringLiteral("--text"), t, QStringLiteral("--split"),
            QStringLiteral("words")};
        QTest::newRow("missing value")
            << QStringList{QStringLiteral("eval"), m, QStringLiteral("--text")};
        QTest::newRow("missing model") << QStringList{QStringLiteral("info")};
        QTest::newRow("extra argument") << QStringList{QStringLiteral("info"), m, m};
    }
    void badUsageExitsTwo() {
        QFETCH(QStringList, args);
        const Run r = cwb(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.startsWith("cwb: "), r.err.constData());
    }

    void failuresExitOneWithOneLine_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("reason");
        QTemporaryDir dir;
        const QString t = cwbtest::validationText();
        QTest::newRow("no such model")
            << QStringList{QStringLiteral("info"), QStringLiteral("/nonexistent/model.gguf")}
            << QByteArray("no such file");
        QTest::newRow("not a model")
            << QStringList{QStringLiteral("eval"), t, QStringLiteral("--text"), t}
            << QByteArray("llama2.c");
        QTest::newRow("no such text")
            << QStringList{QStringLiteral("eval"), cwbtest::stories260KBin(),
                           QStringLiteral("--text"), QStringLiteral("/nonexistent.txt")}
            << QByteArray("no such file");
    }
    void failuresExitOneWithOneLine() {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, reason);
        const Run r = cwb(args);
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.contains(reason), r.err.constData());
        QCOMPARE(r.err.count('\n'), 1);
    }

    void helpAndVersion() {
        QCOMPARE(cwb({QStringLiteral("--version")}).exitCode, 0);
        const Run help = cwb({QStringLiteral("help"), QStringLiteral("eval")});
        QCOMPARE(help.exitCode, 0);
        for (const char* option : {"--text", "--split", "--separator", "--ctx", "--chunks",
                                   "--max-tokens", "--threads", "--json", "--tokenizer"})
            QVERIFY2(help.out.contains(option), option);
        QCOMPARE(cwb({QStringLiteral("eval"), QStringLiteral("--help")}).exitCode, 0);
    }

    // A run on a model file that a recorded run wrote is that run's child; --parent overrides;
    // a --parent that is not in the store is a failure, one that is not a number bad usage.
    void lineageFollowsTheModelFile() {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("runs.sqlite"));
        const QString pruned = dir.filePath(QStringLiteral("p.gguf"));
        const QString plan = dir.filePath(QStringLiteral("int8.json"));
        QFile planFile(plan);
        QVERIFY(planFile.open(QIODevice::WriteOnly));
        planFile.write(R"({"name": "int8", "default": "int8_g32"})");
        planFile.close();
        const auto json = [&](QStringList args) {
            args << QStringLiteral("--db") << db << QStringLiteral("--json");
            const Run r = cwb(args);
            if (r.exitCode != 0)
                qWarning("%s", r.err.constData());
            return r.exitCode == 0 ? onlyJsonObject(r.out) : QJsonObject();
        };
        const QJsonObject prune = json({QStringLiteral("prune"), cwbtest::stories260KBin(),
                                        QStringLiteral("--keep-blocks"), QStringLiteral("0,2,4"),
                                        QStringLiteral("--out"), pruned});
        const qint64 pruneRun = prune.value(QStringLiteral("run_id")).toInteger();
        QVERIFY(pruneRun > 0);
        const QStringList evalArgs = {QStringLiteral("eval"),         pruned,
                                      QStringLiteral("--text"),       cwbtest::validationText(),
                                      QStringLiteral("--max-tokens"), QStringLiteral("200")};
        const QJsonObject inferred = json(evalArgs);
        QCOMPARE(inferred.value(QStringLiteral("parent_run_id")).toInteger(), pruneRun);

        const QJsonObject quantized =
            json({QStringLiteral("quantize"), pruned, QStringLiteral("--plan"), plan,
                  QStringLiteral("--fallback"), QStringLiteral("nearest"), QStringLiteral("--out"),
                  dir.filePath(QStringLiteral("p8.gguf"))});
        QCOMPARE(quantized.value(QStringLiteral("parent_run_id")).toInteger(), pruneRun);
        const qint64 quantizeRun = quantized.value(QStringLiteral("run_id")).toInteger();
        const QJsonObject onQuantized =
            json({QStringLiteral("eval"), dir.filePath(QStringLiteral("p8.gguf")),
                  QStringLiteral("--text"), cwbtest::validationText(),
                  QStringLiteral("--max-tokens"), QStringLiteral("200")});
        QCOMPARE(onQuantized.value(QStringLiteral("parent_run_id")).toInteger(), quantizeRun);

        const QJsonObject overridden =
            json(evalArgs + QStringList{QStringLiteral("--parent"), QString::number(quantizeRun)});
        QCOMPARE(overridden.value(QStringLiteral("parent_run_id")).toInteger(), quantizeRun);
        // The teacher itself was written by no run: no parent.
        const QJsonObject teacher = json({QStringLiteral("eval"), cwbtest::stories260KBin(),
                                          QStringLiteral("--text"), cwbtest::validationText(),
                                          QStringLiteral("--max-tokens"), QStringLiteral("200")});
        QVERIFY(teacher.contains(QStringLiteral("run_id")));
        QVERIFY(!teacher.contains(QStringLiteral("parent_run_id")));

        const Run missing =
            cwb(evalArgs + QStringList{QStringLiteral("--parent"), QStringLiteral("999"),
                                       QStringLiteral("--db"), db});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains("--parent 999"), missing.err.constData());
        const Run bad = cwb(evalArgs + QStringList{QStringLiteral("--parent"), QStringLiteral("x"),
                                                   QStringLiteral("--db"), db});
        QCOMPARE(bad.exitCode, 2);
    }

    void interruptStopsCleanly() {
        QProcess p;
        p.start(cwbtest::cliPath(), {QStringLiteral("eval"), cwbtest::stories260KBin(),
                                     QStringLiteral("--text"), cwbtest::validationText(),
                                     QStringLiteral("--split"), QStringLiteral("documents")});
        QVERIFY(p.waitForStarted());
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += p.readAllStandardError()).contains("eval:"), 60000);
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        err += p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 1);
        QVERIFY2(err.contains("cwb: cancelled"), err.constData());
        QVERIFY(p.readAllStandardOutput().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
