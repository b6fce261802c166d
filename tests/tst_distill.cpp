// SPDX-License-Identifier: GPL-3.0-or-later
#include "golden.h"
#include "testassets.h"

#include "distill.h"
#include "engine.h"
#include "fingerprint.h"
#include "generation.h"
#include "ggufexport.h"
#include "model.h"
#include "prune.h"
#include "pruneevaluation.h"
#include "tensorvalues.h"
#include "textfile.h"

#include "store/runstore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace cwb;

namespace {

std::vector<float> allValues(const Model& m) {
    std::vector<float> out;
    for (const NamedValues& t : modelValues(m))
        out.insert(out.end(), t.values.begin(), t.values.end());
    return out;
}

struct CliResult {
    int code = -1;
    QJsonObject json;
    QByteArray err;
};

CliResult runCli(const QStringList& args) {
    QProcess p;
    p.start(cwbtest::cliPath(), args);
    if (!p.waitForFinished(300000))
        qFatal("cwb did not finish");
    CliResult r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.json = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace

class TestDistill : public QObject {
    Q_OBJECT

    std::shared_ptr<const Model> m_teacher;
    std::shared_ptr<const Model> m_student; // blocks 0, 2, 4 of the teacher
    TrainingData m_data;
    QByteArray m_validation;

    DistillOptions smallRun() const {
        DistillOptions o;
        o.steps = 6;
        o.batch = 2;
        o.lr = 3e-3f;
        o.threads = 1;
        o.checkpointEvery = 2;
        return o;
    }

private slots:
    void initTestCase() {
        auto teacher = loadModel(cwbtest::stories260KBin());
        QVERIFY(teacher);
        m_teacher = *teacher;
        PrunePlan plan;
        plan.keepBlocks = {0, 2, 4};
        auto student = pruneModel(*m_teacher, plan, nullptr);
        QVERIFY(student);
        m_student = student->model;
        auto text = readTextFile(
            cwbtest::source(QStringLiteral("resources/texts/tinystories-train-512k.txt")));
        QVERIFY(text);
        auto data = tokenizeTrainingText(*m_teacher, text->left(120000), 64);
        QVERIFY(data);
        m_data = std::move(data.value());
        QVERIFY(m_data.windows() > 100);
        QCOMPARE(m_data.tokens.front(), m_teacher->tokenizer.bos());
        auto valid = readTextFile(cwbtest::validationText());
        QVERIFY(valid);
        m_validation = *valid;
    }

    void schedule() {
        DistillOptions o;
        o.steps = 100;
        o.warmupSteps = 10;
        o.lr = 1.0f;
        o.minLrFraction = 0.1f;
        QCOMPARE(o.learningRate(0), 0.1f);
        QCOMPARE(o.learningRate(9), 1.0f);
        QVERIFY(o.learningRate(10) > 0.99f);
        QVERIFY(o.learningRate(55) < 0.6f && o.learningRate(55) > 0.5f);
        QVERIFY(std::fabs(o.learningRate(100) - 0.1f) < 1e-5f);
    }

    // Training must actually teach: the student's KL to the teacher on held-out text falls.
    void distillationReducesKlToTeacher() {
        EvalOptions eo;
        eo.split = SplitMode::Documents;
        eo.maxTokens = 1500;
        eo.threads = 1;
        auto before = compareModels(*m_teacher, *m_student, m_validation, eo);
        QVERIFY(before);
        DistillOptions o = smallRun();
        o.steps = 40;
        o.batch = 4;
        o.temperature = 2; // KL on softened distributions + CE: the claim
        o.alpha = 0.5f;
        auto trained = distill(*m_teacher, *m_student, m_data, o);
        QVERIFY2(trained, qPrintable(trained ? QString() : trained.error().message));
        QVERIFY(trained->finished);
        QCOMPARE(trained->curve.size(), std::size_t(40));
        auto after = compareModels(*m_teacher, *trained->student, m_validation, eo);
        QVERIFY(after);
        qInfo("validation KLD to the teacher %.4f → %.4f, PPL %.3f → %.3f (teacher %.3f); "
              "%.0f tokens/s",
              before->kldMean, after->kldMean, before->ppl, after->ppl, after->basePpl,
              trained->tokensPerSecond);
        QVERIFY(after->kldMean < 0.7 * before->kldMean);
        double first = 0, last = 0;
        for (int i = 0; i < 5; ++i) {
            first += trained->curve[std::size_t(i)].loss;
            last += trained->curve[trained->curve.size() - 1 - std::size_t(i)].loss;
        }
        QVERIFY(last < 0.8 * first);
        QVERIFY(trained->tokensPerSecond > 0);

        // Soft labels matter: the same steps on the same data with cross-entropy alone end
        // further from the teacher.
        o.klWeight = 0;
        o.alpha = 1;
        auto ceOnly = distill(*m_teacher, *m_student, m_data, o);
        QVERIFY(ceOnly);
        auto afterCe = compareModels(*m_teacher, *ceOnly->student, m_validation, eo);
        QVERIFY(afterCe);
        qInfo("CE only: validation KLD %.4f", afterCe->kldMean);
        QVERIFY(after->kldMean < afterCe->kldMean);
    }

    // A run killed after 3 steps and resumed reaches the weights of an uninterrupted run.
    void resumedRunMatchesUninterrupted() {
        const DistillOptions o = smallRun();
        auto straight = distill(*m_teacher, *m_student, m_data, o);
        QVERIFY(straight);

        QTemporaryDir dir;
        DistillOptions first = o;
        first.checkpointPath = dir.filePath(QStringLiteral("state.ckpt"));
        first.stopAfterSteps = 3;
        auto killed = distill(*m_teacher, *m_student, m_data, first);
        QVERIFY(killed);
        QVERIFY(!killed->finished);
        QCOMPARE(killed->steps, 3);
        QVERIFY(QFile::exists(first.checkpointPath));

        DistillOptions second = first;
        second.stopAfterSteps = 0;
        second.resume = true;
        auto resumed = distill(*m_teacher, *m_student, m_data, second);
        QVERIFY2(resumed, qPrintable(resumed ? QString() : resumed.error().message));
        QVERIFY(resumed->resumed && resumed->finished);
        QCOMPARE(resumed->steps, 6);
        QCOMPARE(allValues(*resumed->student), allValues(*straight->student));
        QCOMPARE(resumed->curve.size(), straight->curve.size());
        for (std::size_t i = 0; i < resumed->curve.size(); ++i)
            QCOMPARE(resumed->curve[i].loss, straight->curve[i].loss);

        // A checkpoint of another run is refused, not silently continued.
        DistillOptions other = second;
        other.seed = 99;
        QVERIFY(!distill(*m_teacher, *m_student, m_data, other));
    }

    void cancelSavesTheState() {
        QTemporaryDir dir;
        DistillOptions o = smallRun();
        o.checkpointPath = dir.filePath(QStringLiteral("state.ckpt"));
        o.checkpointEvery = 100;
        std::atomic<bool> cancel{false};
        Progress progress;
        progress.cancel = &cancel;
        auto r = distill(*m_teacher, *m_student, m_data, o, progress, [&](const TrainingPoint& p) {
            if (p.step == 2)
                cancel = true;
        });
        QVERIFY(!r);
        QVERIFY(r.error().cancelled());
        QVERIFY(QFile::exists(o.checkpointPath));
        cancel = false;
        o.resume = true;
        auto resumed = distill(*m_teacher, *m_student, m_data, o);
        QVERIFY(resumed);
        QCOMPARE(resumed->curve.front().step, 1);
        QCOMPARE(resumed->steps, 6);
    }

    void studentExportsAsGguf() {
        DistillOptions o = smallRun();
        o.steps = 2;
        auto trained = distill(*m_teacher, *m_student, m_data, o);
        QVERIFY(trained);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("student.gguf"));
        QVERIFY(exportGguf(*trained->student, Plan{}, path, ExportOptions{}));
        auto loaded = loadModel(path);
        QVERIFY2(loaded, qPrintable(loaded ? QString() : loaded.error().message));
        QCOMPARE((*loaded)->config.layers, 3);
        QCOMPARE(allValues(**loaded), allValues(*trained->student));
    }

    // Greedy text from BOS is llama2.c's own: run.c -t 0.0 prints 256 tokens from BOS.
    void greedyTextIsRunCs() {
        GenerationOptions o;
        o.temperature = 0;
        o.tokens = 256;
        o.maxLength = 257;
        auto generated = generateText(*m_teacher, o);
        QVERIFY2(generated, qPrintable(generated ? QString() : generated.error().message));
        QFile golden(
            cwbtest::asset(QStringLiteral("golden-stories260K/run_c_greedy_default_steps256.txt")));
        QVERIFY(golden.open(QIODevice::ReadOnly));
        QCOMPARE(generated->text + '\n', golden.readAll());
        QCOMPARE(generated->tokens, 256);
        QCOMPARE(generated->sampled.size(), std::size_t(1));
        // A nucleus too small for a second token is greedy too.
        o.temperature = 1;
        o.topP = 1e-6;
        auto nucleus = generateText(*m_teacher, o);
        QVERIFY(nucleus);
        QCOMPARE(nucleus->text, generated->text);
    }

    // The first token after BOS, sampled thousands of times, follows run.c's logits at
    // position 0 softened by the temperature and cut by top-p; the seed alone decides the draws.
    void samplingFollowsTheModel() {
        const std::vector<float> logits = cwbtest::readGolden().logits.at(0);
        const auto distribution = [&](double temperature, double topP) {
            std::vector<double> p(logits.size());
            const float top = *std::max_element(logits.begin(), logits.end());
            double sum = 0;
            for (std::size_t i = 0; i < p.size(); ++i)
                sum += p[i] = std::exp((logits[i] - top) / temperature);
            std::vector<std::size_t> order(p.size());
            std::iota(order.begin(), order.end(), 0);
            std::sort(order.begin(), order.end(), [&](auto a, auto b) { return p[a] > p[b]; });
            double kept = 0;
            std::size_t n = 0;
            while (n < order.size() && kept < topP * sum)
                kept += p[order[n++]];
            for (std::size_t i = n; i < order.size(); ++i)
                p[order[i]] = 0;
            for (double& v : p)
                v /= kept;
            return p;
        };
        const int draws = 4000;
        const auto sampled = [&](double temperature, double topP, std::uint64_t seed) {
            GenerationOptions o;
            o.tokens = draws;
            o.maxLength = 2; // BOS and one sampled token per document
            o.temperature = temperature;
            o.topP = topP;
            o.seed = seed;
            auto g = generateText(*m_teacher, o);
            if (!g)
                qFatal("%s", qPrintable(g.error().message));
            std::vector<double> frequency(logits.size());
            for (const auto& d : g->sampled)
                frequency[std::size_t(d.at(0))] += 1.0 / draws;
            return std::pair(frequency, g->text);
        };
        const auto totalVariation = [](const std::vector<double>& a, const std::vector<double>& b) {
            double tv = 0;
            for (std::size_t i = 0; i < a.size(); ++i)
                tv += std::abs(a[i] - b[i]) / 2;
            return tv;
        };
        const std::vector<double> p1 = distribution(1, 1), pHalf = distribution(0.5, 1);
        QVERIFY(totalVariation(p1, pHalf) > 0.15); // the check below can tell them apart
        for (const auto& [temperature, topP] : {std::pair(1.0, 1.0), {0.5, 1.0}, {1.0, 0.9}}) {
            const auto [frequency, text] = sampled(temperature, topP, 7);
            const double tv = totalVariation(frequency, distribution(temperature, topP));
            qInfo("T = %.1f, top-p %.1f: total variation %.4f", temperature, topP, tv);
            QVERIFY(tv < 0.04);
            QCOMPARE(sampled(temperature, topP, 7).second, text); // same seed, same draws
            QVERIFY(sampled(temperature, topP, 8).second != text);
        }
        // top-p 0.9 keeps only the two likeliest tokens (0.784 + 0.156).
        const auto [nucleus, text] = sampled(1.0, 0.9, 7);
        QCOMPARE(std::count_if(nucleus.begin(), nucleus.end(), [](double f) { return f > 0; }), 2);
    }

    // Sequence-level distillation data from a terminal: documents joined by the separator that
    // `cwb distill --text` splits on, written atomically; bad values are usage errors.
    void generateCommand() {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("teacher.txt"));
        QProcess p;
        p.start(cwbtest::cliPath(),
                {QStringLiteral("generate"), cwbtest::stories260KBin(), QStringLiteral("--tokens"),
                 QStringLiteral("3000"), QStringLiteral("--max-length"), QStringLiteral("300"),
                 QStringLiteral("--out"), out});
        QVERIFY(p.waitForFinished(300000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        auto text = readTextFile(out);
        QVERIFY(text);
        QVERIFY(text->count("<|endoftext|>") >= 9); // 3000 tokens in documents of ≤ 299
        auto data = tokenizeTrainingText(*m_teacher, *text, 64);
        QVERIFY(data);
        QVERIFY(data->tokens.size() > 2500);
        CliResult bad = runCli({QStringLiteral("generate"), cwbtest::stories260KBin(),
                                QStringLiteral("--tokens"), QStringLiteral("10"),
                                QStringLiteral("--top-p"), QStringLiteral("1.5")});
        QCOMPARE(bad.code, 2);
        QVERIFY(bad.err.contains("--top-p"));
        CliResult tooLong = runCli({QStringLiteral("generate"), cwbtest::stories260KBin(),
                                    QStringLiteral("--tokens"), QStringLiteral("10"),
                                    QStringLiteral("--max-length"), QStringLiteral("9999")});
        QCOMPARE(tooLong.code, 1);
        QVERIFY(tooLong.err.contains("512"));
    }

    // cwb prune and cwb distill from a terminal: exit codes, JSON, and the lineage in the store.
    void commandLine() {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("runs.sqlite"));
        const QString train = dir.filePath(QStringLiteral("train.txt"));
        QFile f(train);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QFile source(cwbtest::source(QStringLiteral("resources/texts/tinystories-train-512k.txt")));
        QVERIFY(source.open(QIODevice::ReadOnly));
        f.write(source.read(60000));
        f.close();

        CliResult usage = runCli({QStringLiteral("prune"), cwbtest::stories260KBin(),
                                  QStringLiteral("--method"), QStringLiteral("magnitude")});
        QCOMPARE(usage.code, 2); // no --out

        CliResult pruned = runCli({QStringLiteral("prune"), cwbtest::stories260KBin(),
                                   QStringLiteral("--method"), QStringLiteral("2:4"),
                                   QStringLiteral("--out"), dir.filePath(QStringLiteral("p.gguf")),
                                   QStringLiteral("--db"), db, QStringLiteral("--json")});
        QVERIFY2(pruned.code == 0, pruned.err.constData());
        QVERIFY(pruned.json.value(QStringLiteral("sparse_bytes")).toInteger() <
                pruned.json.value(QStringLiteral("dense_bytes")).toInteger());
        const qint64 pruneRun = pruned.json.value(QStringLiteral("run_id")).toInteger();

        CliResult distilled =
            runCli({QStringLiteral("distill"),        cwbtest::stories260KBin(),
                    QStringLiteral("--student-spec"), QStringLiteral("blocks=0,4"),
                    QStringLiteral("--text"),         train,
                    QStringLiteral("--steps"),        QStringLiteral("3"),
                    QStringLiteral("--batch"),        QStringLiteral("1"),
                    QStringLiteral("--seq"),          QStringLiteral("32"),
                    QStringLiteral("--out"),          dir.filePath(QStringLiteral("s.gguf")),
                    QStringLiteral("--parent"),       QString::number(pruneRun),
                    QStringLiteral("--val"),          cwbtest::validationText(),
                    QStringLiteral("--val-tokens"),   QStringLiteral("300"),
                    QStringLiteral("--val-every"),    QStringLiteral("1"),
                    QStringLiteral("--db"),           db,
                    QStringLiteral("--json")});
        QVERIFY2(distilled.code == 0, distilled.err.constData());
        QCOMPARE(distilled.json.value(QStringLiteral("steps")).toInt(), 3);
        QVERIFY(distilled.json.value(QStringLiteral("tokens_per_second")).toDouble() > 0);
        auto student = loadModel(dir.filePath(QStringLiteral("s.gguf")));
        QVERIFY(student);
        QCOMPARE((*student)->config.layers, 2);

        // distillation → its student's prune run → the run named by --parent.
        auto store = RunStore::open(db);
        QVERIFY(store);
        auto run = (*store)->get(distilled.json.value(QStringLiteral("run_id")).toInteger());
        QVERIFY(run);
        QCOMPARE(run->kind, QStringLiteral("distillation"));
        QVERIFY(run->parentId);
        auto parent = (*store)->get(*run->parentId);
        QVERIFY(parent);
        QCOMPARE(parent->kind, QStringLiteral("prune"));
        QCOMPARE(parent->parentId.value_or(-1), pruneRun);
        QVERIFY(run->settings.contains(QStringLiteral("curve")));
        // The validation curve: steps 1 and 2 while training, 3 at the end; the student's file
        // is recorded by its sha256.
        const QJsonArray validation =
            run->settings.value(QStringLiteral("validation_curve")).toArray();
        QCOMPARE(validation.size(), 3);
        QCOMPARE(validation.at(2).toArray().at(0).toInt(), 3);
        QCOMPARE(validation.at(2).toArray().at(1).toDouble(),
                 distilled.json.value(QStringLiteral("after"))
                     .toObject()
                     .value(QStringLiteral("ppl"))
                     .toDouble());
        QCOMPARE(run->settings.value(QStringLiteral("output_sha256")).toString(),
                 modelFingerprint(**student));
    }
};

QTEST_GUILESS_MAIN(TestDistill)
#include "tst_distill.moc"
