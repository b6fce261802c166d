// SPDX-License-Identifier: GPL-3.0-or-later
// Hugging Face folders: stories260K written as one by tests/hfbuilder.h must load to the same
// tensors, tokens, logits and perplexity as the llama2.c checkpoint, and broken folders must each
// give one clear reason.
#include "golden.h"
#include "hfbuilder.h"
#include "testassets.h"

#include "engine.h"
#include "evaluation.h"
#include "hfmodel.h"
#include "model.h"
#include "textfile.h"

#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace cwb;

namespace {

std::shared_ptr<const Model> load(const QString& path) {
    auto model = loadModel(path);
    if (!model)
        qFatal("%s", qPrintable(model.error().message));
    return model.value();
}

std::vector<float> prefill(const Model& model, const std::vector<std::int32_t>& tokens) {
    auto weights = WeightSet::fromModel(model);
    if (!weights)
        qFatal("%s", qPrintable(weights.error().message));
    auto engine = Engine::create(std::move(weights.value()), EngineOptions{2});
    if (!engine)
        qFatal("%s", qPrintable(engine.error().message));
    KvCache cache(model.config, 512);
    std::vector<float> logits;
    if (auto r = engine.value()->forward(cache, tokens, 0, logits); !r)
        qFatal("%s", qPrintable(r.error().message));
    return logits;
}

// The first `count` stories of the validation text.
std::vector<std::string> firstDocuments(int count) {
    QFile f(cwbtest::validationText());
    if (!f.open(QIODevice::ReadOnly))
        qFatal("validation text missing");
    const QByteArray text = f.readAll();
    const QByteArray separator("<|endoftext|>");
    std::vector<std::string> docs;
    for (qsizetype at = 0; at < text.size() && int(docs.size()) < count;) {
        qsizetype end = text.indexOf(separator, at);
        if (end < 0)
            end = text.size();
        const QByteArray doc = text.mid(at, end - at).trimmed();
        if (!doc.isEmpty())
            docs.push_back(doc.toStdString());
        at = end + separator.size();
    }
    return docs;
}

QByteArray sixteenZeroBytes() {
    return QByteArray(16, '\0');
}

} // namespace

class TestHfModel : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_f32, m_bf16, m_sharded;

    // A copy of the F32 folder's config and tokenizer files in a new folder named `name`.
    QString hostileFolder(const QString& name, bool withWeights) {
        const QString dir = m_dir.filePath(QStringLiteral("hostile-") + name);
        QDir().mkpath(dir);
        for (const char* file :
             {"config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"}) {
            if (!withWeights && QLatin1String(file) == QLatin1String("model.safetensors"))
                continue;
            QFile::copy(QDir(m_f32).filePath(QLatin1String(file)),
                        QDir(dir).filePath(QLatin1String(file)));
        }
        return dir;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_f32 = m_dir.filePath(QStringLiteral("stories260K-hf-f32"));
        m_bf16 = m_dir.filePath(QStringLiteral("stories260K-hf-bf16"));
        m_sharded = m_dir.filePath(QStringLiteral("stories260K-hf-sharded"));
        cwbtest::writeStories260KFolder(m_f32, cwbtest::HfDtype::F32);
        cwbtest::writeStories260KFolder(m_bf16, cwbtest::HfDtype::BF16);
        cwbtest::writeStories260KFolder(m_sharded, cwbtest::HfDtype::F32, 3, true);
    }

    void loadsTheSameTensorsAsTheCheckpoint() {
        const auto hf = load(m_f32);
        const auto bin = load(cwbtest::stories260KBin());
        QCOMPARE(hf->format, ModelFormat::HuggingFace);
        QCOMPARE(hf->formatName, QStringLiteral("Hugging Face safetensors"));
        QCOMPARE(hf->tensors.size(), bin->tensors.size());
        QCOMPARE(hf->tensors.front().name, QStringLiteral("token_embd.weight"));
        QCOMPARE(hf->tensors[1].name, QStringLiteral("blk.0.attn_norm.weight"));
        QCOMPARE(hf->tensors.back().name, QStringLiteral("output_norm.weight"));
        QCOMPARE(hf->config.dim, bin->config.dim);
        QCOMPARE(hf->config.kvHeads, 4);
        QCOMPARE(hf->config.contextLength, 512);
        QCOMPARE(hf->config.normEps, 1e-5f);
        QVERIFY(hf->config.tiedOutput);
        QVERIFY(hf->tokenizerPath.endsWith(QLatin1String("tokenizer.json")));
        for (std::size_t i = 0; i < hf->tensors.size(); ++i) {
            const Tensor& a = hf->tensors[i];
            const Tensor* b = bin->find(a.name);
            QVERIFY2(b, qPrintable(a.name));
            QCOMPARE(a.shape, b->shape);
            // Q and K rows are back in interleaved order: byte for byte the checkpoint's.
            QVERIFY2(std::equal(a.data.begin(), a.data.end(), b->data.begin(), b->data.end()),
                     qPrintable(a.name));
        }
    }

    void opensFromAFileInTheFolder() {
        QVERIFY(isHfFolder(m_f32));
        QVERIFY(isHfFolder(QDir(m_f32).filePath(QStringLiteral("config.json"))));
        QVERIFY(!isHfFolder(cwbtest::asset(QString())));
        const auto model =
            load(QDir(m_sharded).filePath(QStringLiteral("model-00002-of-00003.safetensors")));
        QCOMPARE(model->formatName, QStringLiteral("Hugging Face safetensors, 3 shards"));
        QCOMPARE(QDir(model->path), QDir(m_sharded));
    }

    void tokenIdsMatchTok512_data() {
        QTest::addColumn<QString>("folder");
        QTest::newRow("merges as strings") << m_f32;
        QTest::newRow("merges as pairs") << m_sharded;
    }
    void tokenIdsMatchTok512() {
        QFETCH(QString, folder);
        const auto hf = load(folder);
        const Tokenizer reference = cwbtest::tok512();
        QCOMPARE(hf->tokenizer.kindId(), QStringLiteral("sentencepiece-bpe"));
        QVERIFY(hf->tokenizer.hasByteFallback());
        QCOMPARE(hf->tokenizer.bos(), 1);
        QCOMPARE(hf->tokenizer.eos(), 2);
        // The scores it derives from the merge ranks (for GGUF's score-based "llama" vocabulary)
        // encode the same way.
        Tokenizer::Vocabulary v = hf->tokenizer.vocabulary();
        v.merges.clear();
        auto byScore = Tokenizer::create(std::move(v));
        QVERIFY(byScore);
        std::int64_t tokens = 0;
        const auto docs = firstDocuments(200);
        QCOMPARE(docs.size(), std::size_t(200));
        for (const std::string& doc : docs) {
            const auto expected = reference.encode(doc, true);
            QCOMPARE(hf->tokenizer.encode(doc, true), expected);
            QCOMPARE(byScore->encode(doc, true), expected);
            tokens += std::int64_t(expected.size());
        }
        // Bytes outside the vocabulary, invalid UTF-8 and spaces at the edges.
        for (const std::string text :
             {"  naïve café ☃ 🤖  ", "\xff\xfe broken \xc3", "\n\n\t"})
            QCOMPARE(hf->tokenizer.encode(text, true), reference.encode(text, true));
        QCOMPARE(hf->tokenizer.encode("Once upon a time", true), cwbtest::readGolden().promptIds);
        qInfo("%lld tokens of 200 stories identical", qlonglong(tokens));
    }

    void logitsMatchRunC_data() {
        QTest::addColumn<QString>("folder");
        QTest::newRow("single F32 file") << m_f32;
        QTest::newRow("three F32 shards") << m_sharded;
    }
    void logitsMatchRunC() {
        QFETCH(QString, folder);
        const cwbtest::Golden g = cwbtest::readGolden();
        const auto model = load(folder);
        const std::vector<std::int32_t> inputs(g.promptIds.begin(), g.promptIds.begin() + 4);
        const auto logits = prefill(*model, inputs);
        float worst = 0;
        for (std::size_t p = 0; p < 4; ++p)
            for (std::size_t i = 0; i < 512; ++i)
                worst = std::max(worst, std::abs(logits[p * 512 + i] - g.logits[p][i]));
        qInfo("largest |logit - run.c| at positions 0-3: %.3g", double(worst));
        QVERIFY(worst < 1e-4f);
    }

    void shardedEqualsSingle() {
        const auto ids = load(m_f32)->tokenizer.encode(firstDocuments(1).front(), true);
        QVERIFY(ids.size() > 50);
        QVERIFY(prefill(*load(m_f32), ids) == prefill(*load(m_sharded), ids));
    }

    void bf16PerplexityWithinOnePercent() {
        auto text = readTextFile(cwbtest::validationText());
        QVERIFY(text);
        EvalOptions o;
        o.split = SplitMode::Documents;
        o.maxTokens = 2000;
        o.threads = 2;
        auto f32 = evaluatePerplexity(*load(m_f32), *text, o);
        auto bf16 = evaluatePerplexity(*load(m_bf16), *text, o);
        auto bin = evaluatePerplexity(*load(cwbtest::stories260KBin()), *text, o);
        QVERIFY(f32 && bf16 && bin);
        qInfo("PPL over %lld tokens: llama2.c %.6f, HF F32 %.6f, HF BF16 %.6f (%+.3f%%)",
              qlonglong(f32->tokensScored), bin->ppl, f32->ppl, bf16->ppl,
              100.0 * (bf16->ppl / f32->ppl - 1.0));
        QCOMPARE(f32->tokensScored, bin->tokensScored);
        QVERIFY(std::abs(f32->ppl - bin->ppl) < 1e-9 * bin->ppl);
        QVERIFY(f32->tokensScored >= 2000);
        QVERIFY(std::abs(bf16->ppl / f32->ppl - 1.0) < 0.01);
        QVERIFY(bf16->ppl != f32->ppl); // the BF16 weights are really different
    }

    void hostileFolders_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("short file") << "short"
                                    << "shorter than the 8-byte header length";
        QTest::newRow("header above 100 MB") << "huge-header"
                                             << "above the limit of 104857600";
        QTest::newRow("header beyond the file") << "long-header"
                                                << "but only 16 follow";
        QTest::newRow("header not JSON") << "bad-json"
                                         << "not valid JSON";
        QTest::newRow("header not an object") << "array"
                                              << "JSON but not an object";
        QTest::newRow("overlapping tensors") << "overlap"
                                             << "overlap";
        QTest::newRow("offsets past the end") << "past-end"
                                              << "run past the 16 bytes";
        QTest::newRow("dtype I64") << "dtype"
                                   << "dtype I64 is not supported";
        QTest::newRow("shape and span differ") << "span"
                                               << "need 12 bytes but data_offsets hold 16";
        QTest::newRow("shape overflows") << "overflow"
                                         << "need more than 16 bytes";
        QTest::newRow("missing shard")
            << "missing-shard"
            << "model-00002-of-00002.safetensors named in model.safetensors.index.json is missing";
        QTest::newRow("index not an object") << "bad-index"
                                             << "not a JSON object with a weight_map";
        QTest::newRow("shard path escapes") << "escape"
                                            << "not a file name in the folder";
        QTest::newRow("config disagrees")
            << "ffn"
            << "config.json and the weights disagree: tensor model.layers.0.mlp.gate_proj.weight";
        QTest::newRow("vocab disagrees") << "vocab"
                                         << "model.embed_tokens.weight (token_embd.weight) has "
                                            "shape 512 × 64; the configuration implies 600 × 64";
        QTest::newRow("other architecture") << "arch"
                                            << "architectures = GPT2LMHeadModel is not supported";
        QTest::newRow("rope scaling") << "rope"
                                      << "rope_scaling (type \"linear\") is not supported";
        QTest::newRow("Qwen2 biases")
            << "qwen2"
            << "Qwen2ForCausalLM has biases on the Q, K and V projections";
        QTest::newRow("config not an object") << "config-array"
                                              << "config.json: not a JSON object";
        QTest::newRow("untied without lm_head") << "untied"
                                                << "lm_head.weight is missing";
        QTest::newRow("unknown tensor") << "extra"
                                        << "tensor model.layers.0.self_attn.q_norm.weight is not "
                                           "part of a LlamaForCausalLM model";
        QTest::newRow("no tokenizer.json") << "no-tokenizer"
                                           << "no tokenizer.json";
        QTest::newRow("no weights") << "no-weights"
                                    << "the folder has neither model.safetensors nor";
    }
    void hostileFolders() {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        const bool keepsWeights = QStringList{"ffn",   "vocab",        "arch",   "rope",
                                              "qwen2", "config-array", "untied", "no-tokenizer"}
                                      .contains(kind);
        const QString dir = hostileFolder(kind, keepsWeights);
        const QDir d(dir);
        const QString weights = d.filePath(QStringLiteral("model.safetensors"));
        auto header = [](const char* json) { return QByteArray(json); };
        auto setConfig = [&](const QString& key, const QJsonValue& value) {
            QJsonObject c = cwbtest::stories260KConfig();
            c[key] = value;
            cwbtest::writeFile(d.filePath(QStringLiteral("config.json")), cwbtest::json(c));
        };
        const QByteArray sixteen = sixteenZeroBytes();
        if (kind == QLatin1String("short")) {
            cwbtest::writeFile(weights, "abc");
        } else if (kind == QLatin1String("huge-header")) {
            QByteArray bytes = cwbtest::rawSafetensors("{}", sixteen);
            const std::uint64_t claim = 200ull << 20;
            bytes.replace(0, 8, QByteArray(reinterpret_cast<const char*>(&claim), 8));
            cwbtest::writeFile(weights, bytes);
        } else if (kind == QLatin1String("long-header")) {
            QByteArray bytes = cwbtest::rawSafetensors(QByteArray(16, ' '), {});
            const std::uint64_t claim = 1000;
            bytes.replace(0, 8, QByteArray(reinterpret_cast<const char*>(&claim), 8));
            cwbtest::writeFile(weights, bytes);
        } else if (kind == QLatin1String("bad-json")) {
            cwbtest::writeFile(weights, cwbtest::rawSafetensors("{\"a\": {", sixteen));
        } else if (kind == QLatin1String("array")) {
            cwbtest::writeFile(weights, cwbtest::rawSafetensors("[1, 2, 3]", sixteen));
        } else if (kind == QLatin1String("overlap")) {
            cwbtest::writeFile(
                weights, cwbtest::rawSafetensors(
                             header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                          "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})"),
                             sixteen));
        } else if (kind == QLatin1String("past-end")) {
            cwbtest::writeFile(
                weights,
                cwbtest::rawSafetensors(
                    header(R"({"a": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}})"),
                    sixteen));
        } else if (kind == QLatin1String("dtype")) {
            cwbtest::writeFile(
                weights,
                cwbtest::rawSafetensors(
                    header(R"({"a": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}})"),
                    sixteen));
        } else if (kind == QLatin1String("span")) {
            cwbtest::writeFile(
                weights,
                cwbtest::rawSafetensors(
                    header(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}})"),
                    sixteen));
        } else if (kind == QLatin1String("overflow")) {
            cwbtest::writeFile(
                weights,
                cwbtest::rawSafetensors(
                    header(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296,
                          4294967296], "data_offsets": [0, 16]}})"),
                    sixteen));
        } else if (kind == QLatin1String("missing-shard") || kind == QLatin1String("bad-index") ||
                   kind == QLatin1String("escape")) {
            QFile::copy(QDir(m_f32).filePath(QStringLiteral("model.safetensors")),
                        d.filePath(QStringLiteral("model-00001-of-00002.safetensors")));
            QJsonObject map{{QStringLiteral("model.embed_tokens.weight"),
                             QStringLiteral("model-00001-of-00002.safetensors")},
                            {QStringLiteral("model.norm.weight"),
                             kind == QLatin1String("escape")
                                 ? QStringLiteral("../stories260K-hf-f32/model.safetensors")
                                 : QStringLiteral("model-00002-of-00002.safetensors")}};
            cwbtest::writeFile(d.filePath(QStringLiteral("model.safetensors.index.json")),
                               kind == QLatin1String("bad-index")
                                   ? QByteArray("[\"weight_map\"]")
                                   : cwbtest::json({{QStringLiteral("weight_map"), map}}));
        } else if (kind == QLatin1String("ffn")) {
            setConfig(QStringLiteral("intermediate_size"), 128);
        } else if (kind == QLatin1String("vocab")) {
            setConfig(QStringLiteral("vocab_size"), 600);
        } else if (kind == QLatin1String("arch")) {
            setConfig(QStringLiteral("architectures"),
                      QJsonArray{QStringLiteral("GPT2LMHeadModel")});
        } else if (kind == QLatin1String("rope")) {
            setConfig(QStringLiteral("rope_scaling"),
                      QJsonObject{{QStringLiteral("type"), QStringLiteral("linear")},
                                  {QStringLiteral("factor"), 2.0}});
        } else if (kind == QLatin1String("qwen2")) {
            setConfig(QStringLiteral("architectures"),
                      QJsonArray{QStringLiteral("Qwen2ForCausalLM")});
        } else if (kind == QLatin1String("config-array")) {
            cwbtest::writeFile(d.filePath(QStringLiteral("config.json")), "[]");
        } else if (kind == QLatin1String("untied")) {
            setConfig(QStringLiteral("tie_word_embeddings"), false);
        } else if (kind == QLatin1String("extra")) {
            auto tensors = cwbtest::stories260KTensors();
            tensors.push_back({QStringLiteral("model.layers.0.self_attn.q_norm.weight"),
                               {8},
                               std::vector<float>(8, 1.0f)});
            cwbtest::writeFile(weights, cwbtest::safetensorsFile(tensors, cwbtest::HfDtype::F32));
        } else if (kind == QLatin1String("no-tokenizer")) {
            QFile::remove(d.filePath(QStringLiteral("tokenizer.json")));
        }
        auto model = loadModel(dir);
        QVERIFY(!model);
        const QString message = model.error().message;
        qInfo("%s", qPrintable(message));
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(!message.contains(QLatin1Char('\n')), "one line");
    }

    void cliInfoAndEval() {
        const QString db = m_dir.filePath(QStringLiteral("runs.sqlite"));
        QProcess info;
        info.start(cwbtest::cliPath(), {QStringLiteral("info"), m_bf16, QStringLiteral("--json")});
        QVERIFY(info.waitForFinished(120000));
        QCOMPARE(info.exitCode(), 0);
        const QJsonObject o = QJsonDocument::fromJson(info.readAllStandardOutput()).object();
        QCOMPARE(o[QStringLiteral("format")].toString(),
                 QStringLiteral("Hugging Face safetensors"));
        QCOMPARE(o[QStringLiteral("parameters")].toInteger(), 260032);
        QCOMPARE(o[QStringLiteral("tensors")].toArray().size(), 47);
        QCOMPARE(
            o[QStringLiteral("tensors")].toArray()[1].toObject()[QStringLiteral("type")].toString(),
            QStringLiteral("BF16"));

        auto eval = [&](const QString& model) {
            QProcess p;
            p.start(cwbtest::cliPath(),
                    {QStringLiteral("eval"), model, QStringLiteral("--text"),
                     cwbtest::validationText(), QStringLiteral("--max-tokens"),
                     QStringLiteral("500"), QStringLiteral("--ctx"), QStringLiteral("128"),
                     QStringLiteral("--threads"), QStringLiteral("2"), QStringLiteral("--db"), db,
                     QStringLiteral("--json")});
            if (!p.waitForFinished(300000))
                qFatal("cwb eval did not finish");
            if (p.exitCode() != 0)
                qFatal("cwb eval failed: %s", p.readAllStandardError().constData());
            return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        };
        const QJsonObject hf = eval(m_f32);
        const QJsonObject bin = eval(cwbtest::stories260KBin());
        qInfo("cwb eval: HF folder PPL %.6f, llama2.c PPL %.6f",
              hf[QStringLiteral("ppl")].toDouble(), bin[QStringLiteral("ppl")].toDouble());
        QVERIFY(hf[QStringLiteral("ppl")].toDouble() > 1);
        QCOMPARE(hf[QStringLiteral("ppl")].toDouble(), bin[QStringLiteral("ppl")].toDouble());
    }
};

QTEST_GUILESS_MAIN(TestHfModel)
#include "tst_hfmodel.moc"
