// SPDX-License-Identifier: GPL-3.0-or-later
// Compression reports of a real run on the demo model, in all three formats, and `cwb reproduce`:
// identical on a fresh report, the changed file named when the model changes, the digest
// mismatch named when the report is edited.
#include "model.h"
#include "report.h"
#include "testassets.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run run(const QString& program, const QStringList& args) {
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(900000))
        qFatal("%s did not finish", qPrintable(program));
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

QByteArray readAll(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

void writeAll(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

} // namespace

class TestReport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_db;
    QString m_model;
    qint64 m_runId = 0;
    QJsonObject m_report;

    QString path(const QString& name) const { return m_dir.filePath(name); }

    Run cwb(QStringList args) const {
        args << QStringLiteral("--db") << m_db;
        return run(cwbtest::cliPath(), args);
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_db = path(QStringLiteral("runs.sqlite"));
        // A copy of the demo model, so that one test may change a byte of it.
        m_model = path(QStringLiteral("stories260K.bin"));
        QVERIFY(QFile::copy(cwbtest::source(QStringLiteral("resources/models/stories260K/"
                                                           "stories260K.bin")),
                            m_model));
        QVERIFY(
            QFile::copy(cwbtest::source(QStringLiteral("resources/models/stories260K/tok512.bin")),
                        path(QStringLiteral("tok512.bin"))));
        // Calibrated methods, a tensor below 4 bits, and a rule of each kind.
        writeAll(path(QStringLiteral("plan.json")),
                 R"({"name": "mixed", "default": "int4_g32",
                     "calibration": {"method": "awq"},
                     "rules": [{"match": "token_embd.weight", "precision": "int8"},
                               {"match": "blk\\.0\\.ffn_.*", "precision": "int2_g16",
                                "method": "rtn"},
                               {"match": "blk\\.4\\.attn_.*", "precision": "w8a8",
                                "method": "smoothquant"}]})");
        const Run eval =
            run(cwbtest::cliPath(),
                {QStringLiteral("eval"),
                 m_model,
                 QStringLiteral("--text"),
                 cwbtest::source(QStringLiteral("resources/texts/tinystories-valid-200.txt")),
                 QStringLiteral("--plan"),
                 path(QStringLiteral("plan.json")),
                 QStringLiteral("--calib"),
                 cwbtest::source(QStringLiteral("resources/texts/tinystories-train-512k.txt")),
                 QStringLiteral("--sequences"),
                 QStringLiteral("4"),
                 QStringLiteral("--length"),
                 QStringLiteral("64"),
                 QStringLiteral("--ctx"),
                 QStringLiteral("64"),
                 QStringLiteral("--max-tokens"),
                 QStringLiteral("600"),
                 QStringLiteral("--threads"),
                 QStringLiteral("2"),
                 QStringLiteral("--db"),
                 m_db,
                 QStringLiteral("--json")});
        QVERIFY2(eval.exitCode == 0, eval.err.constData());
        m_runId =
            QJsonDocument::fromJson(eval.out).object().value(QStringLiteral("run_id")).toInteger();
        QVERIFY(m_runId > 0);

        const Run json = cwb({QStringLiteral("report"), QString::number(m_runId),
                              QStringLiteral("--out"), path(QStringLiteral("report.json")),
                              QStringLiteral("--max-kld"), QStringLiteral("0.001")});
        QVERIFY2(json.exitCode == 0, json.err.constData());
        m_report = QJsonDocument::fromJson(readAll(path(QStringLiteral("report.json")))).object();
        QVERIFY(!m_report.isEmpty());
    }

    void jsonFollowsTheSchema() {
        // Validated by an independent implementation of JSON Schema (python3-jsonschema).
        const Run v = run(QStringLiteral("python3"),
                          {QStringLiteral("-c"),
                           QStringLiteral("import json, sys, jsonschema\n"
                                          "schema = json.load(open(sys.argv[1]))\n"
                                          "jsonschema.Draft202012Validator.check_schema(schema)\n"
                                          "jsonschema.Draft202012Validator(schema).validate("
                                          "json.load(open(sys.argv[2])))\n"),
                           cwbtest::source(QStringLiteral("resources/report/report.schema.json")),
                           path(QStringLiteral("report.json"))});
        QVERIFY2(v.exitCode == 0, v.err.constData());

        // The schema is not vacuous: a report missing a section fails it.
        QJsonObject broken = m_report;
        broken.remove(QStringLiteral("signoff"));
        writeAll(path(QStringLiteral("broken.json")), QJsonDocument(broken).toJson());
        const Run w =
            run(QStringLiteral("python3"),
                {QStringLiteral("-c"),
                 QStringLiteral(
                     "import json, sys, jsonschema\n"
                     "jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate("
                     "json.load(open(sys.argv[2])))\n"),
                 cwbtest::source(QStringLiteral("resources/report/report.schema.json")),
                 path(QStringLiteral("broken.json"))});
        QVERIFY(w.exitCode != 0);
        QVERIFY(w.err.contains("signoff"));
    }

    void jsonHoldsTheRun() {
        QCOMPARE(m_report.value(QStringLiteral("run_id")).toInteger(), m_runId);
        QVERIFY(cwb::checkReportDigest(m_report));
        const QJsonObject model = m_report.value(QStringLiteral("model")).toObject();
        QCOMPARE(model.value(QStringLiteral("sha256")).toString().size(), 64);
        const QJsonArray tensors = m_report.value(QStringLiteral("method"))
                                       .toObject()
                                       .value(QStringLiteral("tensors"))
                                       .toArray();
        auto loaded = cwb::loadModel(m_model);
        QVERIFY(loaded);
        QCOMPARE(tensors.size(), qsizetype((*loaded)->tensors.size()));
        int matrices = 0;
        for (const cwb::Tensor& t : (*loaded)->tensors)
            matrices += t.isMatrix();
        int below4 = 0, withError = 0;
        for (const QJsonValue& v : tensors) {
            const QJsonObject t = v.toObject();
            below4 += t.value(QStringLiteral("precision")).toString() == QLatin1String("int2_g16");
            withError += t.value(QStringLiteral("quant_error")).isDouble();
        }
        QCOMPARE(below4, 3);           // blk.0's gate, up and down
        QCOMPARE(withError, matrices); // every matrix (all are quantized), none of the norms
        const QJsonArray warnings = m_report.value(QStringLiteral("warnings")).toArray();
        QStringList text;
        for (const QJsonValue& w : warnings)
            text << w.toString();
        QVERIFY(text.join(QLatin1Char('\n')).contains(QStringLiteral("3 tensor(s) below 4 bits")));
        QVERIFY(text.join(QLatin1Char('\n')).contains(QStringLiteral("limit of 0.001")));
        const QJsonObject data = m_report.value(QStringLiteral("data")).toObject();
        QVERIFY(data.value(QStringLiteral("calibration")).isObject());
        QVERIFY(data.value(QStringLiteral("mismatch"))
                    .toObject()
                    .contains(QStringLiteral("threshold_bits")));
    }

    // Teacher → pruned student → distilled → quantized to 8 bits → evaluated: the report of the
    // last run lists every step, each the child of the one before, in JSON (schema-valid) and
    // HTML. A run made on the original model has a lineage of itself alone.
    void lineageOfAHybridStudent() {
        const QJsonArray own = m_report.value(QStringLiteral("lineage")).toArray();
        QCOMPARE(own.size(), 1);
        QCOMPARE(own.first().toObject().value(QStringLiteral("run_id")).toInteger(), m_runId);

        writeAll(path(QStringLiteral("int8.json")), R"({"name": "int8", "default": "int8_g32"})");
        const QString train =
            cwbtest::source(QStringLiteral("resources/texts/tinystories-train-512k.txt"));
        const auto step = [&](const QStringList& args) {
            const Run r = cwb(args + QStringList{QStringLiteral("--json")});
            if (r.exitCode != 0)
                qWarning("%s", r.err.constData());
            return QJsonDocument::fromJson(r.out)
                .object()
                .value(QStringLiteral("run_id"))
                .toInteger();
        };
        const qint64 distilled =
            step({QStringLiteral("distill"), m_model, QStringLiteral("--student-spec"),
                  QStringLiteral("blocks=0,2,4"), QStringLiteral("--text"), train,
                  QStringLiteral("--steps"), QStringLiteral("2"), QStringLiteral("--batch"),
                  QStringLiteral("1"), QStringLiteral("--seq"), QStringLiteral("32"),
                  QStringLiteral("--out"), path(QStringLiteral("student.gguf"))});
        QVERIFY(distilled > 0);
        const qint64 quantized =
            step({QStringLiteral("quantize"), path(QStringLiteral("student.gguf")),
                  QStringLiteral("--plan"), path(QStringLiteral("int8.json")),
                  QStringLiteral("--fallback"), QStringLiteral("nearest"), QStringLiteral("--out"),
                  path(QStringLiteral("student-int8.gguf"))});
        QVERIFY(quantized > 0);
        const qint64 evaluated =
            step({QStringLiteral("eval"), path(QStringLiteral("student-int8.gguf")),
                  QStringLiteral("--text"),
                  cwbtest::source(QStringLiteral("resources/texts/tinystories-valid-200.txt")),
                  QStringLiteral("--max-tokens"), QStringLiteral("300")});
        QVERIFY(evaluated > 0);

        const QString json = path(QStringLiteral("hybrid.json"));
        QCOMPARE(cwb({QStringLiteral("report"), QString::number(evaluated), QStringLiteral("--out"),
                      json})
                     .exitCode,
                 0);
        const QJsonObject report = QJsonDocument::fromJson(readAll(json)).object();
        const QJsonArray lineage = report.value(QStringLiteral("lineage")).toArray();
        QStringList kinds;
        qint64 previous = 0;
        for (const QJsonValue& v : lineage) {
            const QJsonObject s = v.toObject();
            kinds << s.value(QStringLiteral("kind")).toString();
            if (previous)
                QCOMPARE(s.value(QStringLiteral("parent_run_id")).toInteger(), previous);
            previous = s.value(QStringLiteral("run_id")).toInteger();
            QVERIFY(s.value(QStringLiteral("model")).toObject().contains(QStringLiteral("sha256")));
        }
        QCOMPARE(kinds, (QStringList{QStringLiteral("prune"), QStringLiteral("distillation"),
                                     QStringLiteral("quantize"), QStringLiteral("evaluation")}));
        QCOMPARE(previous, evaluated);
        // The first step was made on the teacher; each later one says what it did and produced.
        QCOMPARE(lineage.first()
                     .toObject()
                     .value(QStringLiteral("model"))
                     .toObject()
                     .value(QStringLiteral("path"))
                     .toString(),
                 QFileInfo(m_model).absoluteFilePath());
        const QJsonObject distillStep = lineage.at(1).toObject();
        QCOMPARE(distillStep.value(QStringLiteral("run_id")).toInteger(), distilled);
        QCOMPARE(distillStep.value(QStringLiteral("settings"))
                     .toObject()
                     .value(QStringLiteral("student_spec"))
                     .toString(),
                 QStringLiteral("blocks=0,2,4"));
        QVERIFY(distillStep.value(QStringLiteral("results"))
                    .toObject()
                    .contains(QStringLiteral("size_bytes")));
        QCOMPARE(lineage.at(2).toObject().value(QStringLiteral("run_id")).toInteger(), quantized);
        QVERIFY(lineage.at(2)
                    .toObject()
                    .value(QStringLiteral("results"))
                    .toObject()
                    .contains(QStringLiteral("bpw")));

        const Run v =
            run(QStringLiteral("python3"),
                {QStringLiteral("-c"),
                 QStringLiteral("import json, sys, jsonschema\n"
                                "jsonschema.Draft202012Validator(json.load(open("
                                "sys.argv[1]))).validate(json.load(open(sys.argv[2])))\n"),
                 cwbtest::source(QStringLiteral("resources/report/report.schema.json")), json});
        QVERIFY2(v.exitCode == 0, v.err.constData());

        const QString html = path(QStringLiteral("hybrid.html"));
        QCOMPARE(cwb({QStringLiteral("report"), QString::number(evaluated), QStringLiteral("--out"),
                      html})
                     .exitCode,
                 0);
        const QString text = QString::fromUtf8(readAll(html));
        QVERIFY(text.contains(QStringLiteral("Lineage: this run is step 4")));
        for (const QString& kind : kinds)
            QVERIFY2(text.contains(QStringLiteral("<td>%1</td>").arg(kind)), qPrintable(kind));
        QVERIFY(text.contains(QStringLiteral("student_spec = blocks=0,2,4")));
    }

    void htmlIsSelfContained() {
        const Run r = cwb({QStringLiteral("report"), QString::number(m_runId),
                           QStringLiteral("--out"), path(QStringLiteral("report.html"))});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString html = QString::fromUtf8(readAll(path(QStringLiteral("report.html"))));
        // Both plots embedded, as SVG data.
        QCOMPARE(html.count(QStringLiteral("<img src=\"data:image/svg+xml;base64,")), 2);
        // Nothing fetched from elsewhere: no URL, stylesheet link or script.
        static const QRegularExpression external(
            QStringLiteral("(src|href)\\s*=\\s*\"(?!data:)|<link|<script|@import|url\\("));
        QVERIFY2(!external.match(html).hasMatch(), qPrintable(external.match(html).captured()));
        for (const char* section :
             {"1. Summary", "2. Model identity", "3. Method", "4. Data", "5. Results",
              "6. Warnings", "7. Environment", "8. Reproduction", "9. Sign-off"})
            QVERIFY2(html.contains(QLatin1String(section)), section);
        QVERIFY(html.indexOf(QLatin1String("1. Summary")) <
                html.indexOf(QLatin1String("9. Sign-off")));
    }

    void pdfHoldsHashTensorsAndMetrics() {
        const Run r = cwb({QStringLiteral("report"), QString::number(m_runId),
                           QStringLiteral("--out"), path(QStringLiteral("report.pdf")),
                           QStringLiteral("--reviewer"), QStringLiteral("A. Reviewer")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(readAll(path(QStringLiteral("report.pdf"))).startsWith("%PDF-"));
        const Run text =
            run(QStringLiteral("pdftotext"),
                {QStringLiteral("-raw"), path(QStringLiteral("report.pdf")), QStringLiteral("-")});
        QCOMPARE(text.exitCode, 0);
        // Long names and hashes may wrap in table cells: compare with whitespace removed.
        QString pdf = QString::fromUtf8(text.out);
        pdf.remove(QRegularExpression(QStringLiteral("\\s+")));
        const QString sha256 = m_report.value(QStringLiteral("model"))
                                   .toObject()
                                   .value(QStringLiteral("sha256"))
                                   .toString();
        QVERIFY2(pdf.contains(sha256), "the model's sha256");
        QVERIFY(pdf.contains(QStringLiteral("A.Reviewer")));
        for (const QJsonValue& v : m_report.value(QStringLiteral("method"))
                                       .toObject()
                                       .value(QStringLiteral("tensors"))
                                       .toArray()) {
            const QString name = v.toObject().value(QStringLiteral("tensor")).toString();
            QVERIFY2(pdf.contains(name), qPrintable(name));
        }
        for (const QJsonValue& v : m_report.value(QStringLiteral("results"))
                                       .toObject()
                                       .value(QStringLiteral("metrics"))
                                       .toArray()) {
            const QString name = v.toObject().value(QStringLiteral("name")).toString();
            QVERIFY2(pdf.contains(name), qPrintable(name));
        }
        const double kld = m_report.value(QStringLiteral("summary"))
                               .toObject()
                               .value(QStringLiteral("kld_mean"))
                               .toDouble();
        QVERIFY2(pdf.contains(QString::number(kld, 'g', 6)), "the mean KLD's value");
    }

    void reproduceSaysIdentical() {
        const Run r = run(cwbtest::cliPath(),
                          {QStringLiteral("reproduce"), path(QStringLiteral("report.json")),
                           QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, r.out + r.err);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QVERIFY(o.value(QStringLiteral("identical")).toBool());
        const QJsonObject metrics = o.value(QStringLiteral("metrics")).toObject();
        for (const char* name : {"ppl", "kld_mean", "top1_agreement", "size_bytes"})
            QVERIFY2(metrics.value(QLatin1String(name))
                         .toObject()
                         .value(QStringLiteral("identical"))
                         .toBool(),
                     name);
        QVERIFY(!metrics.contains(QStringLiteral("seconds"))); // timings are not claimed
    }

    void editedReportIsRefused() {
        QJsonObject edited = m_report;
        QJsonObject results = edited.value(QStringLiteral("results")).toObject();
        QJsonArray metrics = results.value(QStringLiteral("metrics")).toArray();
        QJsonObject first = metrics[0].toObject();
        first.insert(QStringLiteral("value"),
                     first.value(QStringLiteral("value")).toDouble() * 0.9);
        metrics[0] = first;
        results.insert(QStringLiteral("metrics"), metrics);
        edited.insert(QStringLiteral("results"), results);
        writeAll(path(QStringLiteral("edited.json")), QJsonDocument(edited).toJson());
        const Run r = run(cwbtest::cliPath(),
                          {QStringLiteral("reproduce"), path(QStringLiteral("edited.json"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("digest does not match"), r.err.constData());
    }

    void changedModelIsNamed() {
        // One byte of a weight changed, after the report was made.
        QByteArray bytes = readAll(m_model);
        bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x01);
        writeAll(m_model, bytes);
        const Run r = run(cwbtest::cliPath(),
                          {QStringLiteral("reproduce"), path(QStringLiteral("report.json")),
                           QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 1);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QVERIFY(!o.value(QStringLiteral("identical")).toBool());
        const QString mismatch = o.value(QStringLiteral("mismatches")).toArray().first().toString();
        QVERIFY2(mismatch.contains(QStringLiteral("model")) &&
                     mismatch.contains(QStringLiteral("sha256")) &&
                     mismatch.contains(QStringLiteral("stories260K.bin")),
                 qPrintable(mismatch));
    }

    void badInputIsAClearError() {
        // Not a run, a bad suffix, not a report.
        QCOMPARE(cwb({QStringLiteral("report"), QStringLiteral("999999"), QStringLiteral("--out"),
                      path(QStringLiteral("x.json"))})
                     .exitCode,
                 1);
        QVERIFY(!QFile::exists(path(QStringLiteral("x.json"))));
        QCOMPARE(cwb({QStringLiteral("report"), QString::number(m_runId), QStringLiteral("--out"),
                      path(QStringLiteral("x.docx"))})
                     .exitCode,
                 2);
        writeAll(path(QStringLiteral("notreport.json")), "[1, 2, 3]");
        const Run r = run(cwbtest::cliPath(),
                          {QStringLiteral("reproduce"), path(QStringLiteral("notreport.json"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("not a report"));
        // An unwritable destination: an error, and nothing left behind.
        const Run w = cwb({QStringLiteral("report"), QString::number(m_runId),
                           QStringLiteral("--out"), path(QStringLiteral("missing/dir/r.pdf"))});
        QCOMPARE(w.exitCode, 1);
        QVERIFY(w.err.contains("cannot write"));
    }
};

QTEST_GUILESS_MAIN(TestReport)
#include "tst_report.moc"
