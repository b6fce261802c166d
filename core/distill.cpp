// SPDX-License-Identifier: GPL-3.0-or-later
#include "distill.h"

#include "engine.h"
#include "weightset.h"

#include <QCryptographicHash>
#include <QDataStream>
#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

namespace cwb {

namespace {

constexpr quint32 kCheckpointMagic = 0x43574254; // "CWBT"
constexpr quint32 kCheckpointVersion = 1;

// Everything that must survive a kill for the resumed run to take the same steps.
struct TrainingState {
    int step = 0;
    std::int64_t epoch = 0;
    std::int64_t cursor = 0;
    std::vector<std::int64_t> order; // window order of this epoch
    std::mt19937_64 rng;
    std::vector<float> params, m, v;
    std::vector<TrainingPoint> curve;
};

// What a checkpoint must agree with to be resumed: the options that shape the run, the data and
// the student's layout.
QByteArray runKey(const DistillOptions& o, const TrainingData& data, std::size_t parameters) {
    QJsonObject j = o.toJson();
    j.remove(QStringLiteral("threads"));
    j.insert(QStringLiteral("parameters"), qint64(parameters));
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(QJsonDocument(j).toJson(QJsonDocument::Compact));
    h.addData(QByteArrayView(reinterpret_cast<const char*>(data.tokens.data()),
                             qsizetype(data.tokens.size() * sizeof(std::int32_t))));
    return h.result().toHex();
}

void writeFloats(QDataStream& s, const std::vector<float>& v) {
    s << quint64(v.size());
    s.writeRawData(reinterpret_cast<const char*>(v.data()), int(v.size() * sizeof(float)));
}

bool readFloats(QDataStream& s, std::vector<float>& v, std::size_t expected) {
    quint64 n = 0;
    s >> n;
    if (n != expected)
        return false;
    v.resize(expected);
    return s.readRawData(reinterpret_cast<char*>(v.data()), int(n * sizeof(float))) ==
           int(n * sizeof(float));
}

Result<void> saveState(const QString& path, const QByteArray& key, const TrainingState& st) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{QStringLiteral("cannot write %1: %2").arg(path, file.errorString())};
    QDataStream s(&file);
    s.setVersion(QDataStream::Qt_6_4);
    s << kCheckpointMagic << kCheckpointVersion << key << qint32(st.step) << qint64(st.epoch)
      << qint64(st.cursor);
    s << quint64(st.order.size());
    for (std::int64_t w : st.order)
        s << qint64(w);
    std::ostringstream rng;
    rng << st.rng;
    s << QByteArray::fromStdString(rng.str());
    writeFloats(s, st.params);
    writeFloats(s, st.m);
    writeFloats(s, st.v);
    s << quint64(st.curve.size());
    for (const TrainingPoint& p : st.curve)
        s << qint32(p.step) << p.loss << p.kl << p.ce << p.lr << p.gradNorm;
    if (s.status() != QDataStream::Ok || !file.commit())
        return Error{QStringLiteral("cannot write %1: %2").arg(path, file.errorString())};
    return {};
}

Result<void> loadState(const QString& path, const QByteArray& key, TrainingState& st) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("cannot read %1: %2").arg(path, file.errorString())};
    QDataStream s(&file);
    s.setVersion(QDataStream::Qt_6_4);
    quint32 magic = 0, version = 0;
    QByteArray storedKey, rng;
    qint32 step = 0;
    qint64 epoch = 0, cursor = 0;
    quint64 orderSize = 0;
    s >> magic >> version >> storedKey >> step >> epoch >> cursor >> orderSize;
    if (magic != kCheckpointMagic || version != kCheckpointVersion)
        return Error{QStringLiteral("%1 is not a training checkpoint of this version").arg(path)};
    if (storedKey != key)
        return Error{QStringLiteral("%1 belongs to another run (different options, data or "
                                    "student): remove it or drop --resume")
                         .arg(path)};
    if (orderSize > (1u << 30))
        return Error{QStringLiteral("%1 is damaged").arg(path)};
    st.order.resize(orderSize);
    for (auto& w : st.order) {
        qint64 x = 0;
        s >> x;
        w = x;
    }
    s >> rng;
    std::istringstream in(rng.toStdString());
    in >> st.rng;
    const std::size_t n = st.params.size();
    if (!in || !readFloats(s, st.params, n) || !readFloats(s, st.m, n) || !readFloats(s, st.v, n))
        return Error{QStringLiteral("%1 is damaged").arg(path)};
    quint64 points = 0;
    s >> points;
    st.curve.clear();
    for (quint64 i = 0; i < points && s.status() == QDataStream::Ok; ++i) {
        TrainingPoint p;
        qint32 ps = 0;
        s >> ps >> p.loss >> p.kl >> p.ce >> p.lr >> p.gradNorm;
        p.step = ps;
        st.curve.push_back(p);
    }
    if (s.status() != QDataStream::Ok)
        return Error{QStringLiteral("%1 is damaged").arg(path)};
    st.step = step;
    st.epoch = epoch;
    st.cursor = cursor;
    return {};
}

std::int64_t nextWindow(TrainingState& st) {
    if (st.cursor >= std::int64_t(st.order.size())) {
        std::shuffle(st.order.begin(), st.order.end(), st.rng);
        st.cursor = 0;
        ++st.epoch;
    }
    return st.order[std::size_t(st.cursor++)];
}

} // namespace

QJsonObject DistillOptions::toJson() const {
    return QJsonObject{{QStringLiteral("steps"), steps},
                       {QStringLiteral("batch"), batch},
                       {QStringLiteral("lr"), double(lr)},
                       {QStringLiteral("min_lr_fraction"), double(minLrFraction)},
                       {QStringLiteral("warmup_steps"), warmupSteps},
                       {QStringLiteral("weight_decay"), double(weightDecay)},
                       {QStringLiteral("beta1"), double(beta1)},
                       {QStringLiteral("beta2"), double(beta2)},
                       {QStringLiteral("clip"), double(clip)},
                       {QStringLiteral("temperature"), double(temperature)},
                       {QStringLiteral("alpha"), double(alpha)},
                       {QStringLiteral("kl_weight"), double(klWeight)},
                       {QStringLiteral("seed"), QString::number(seed)},
                       {QStringLiteral("threads"), threads}};
}

float DistillOptions::learningRate(int step) const {
    const int warmup = warmupSteps >= 0 ? warmupSteps : std::max(1, steps / 20);
    if (step < warmup)
        return lr * float(step + 1) / float(warmup);
    const float progress =
        steps > warmup ? float(step - warmup) / float(std::max(1, steps - warmup)) : 1.0f;
    const float cosine = 0.5f * (1.0f + std::cos(3.14159265358979f * std::min(progress, 1.0f)));
    return lr * (minLrFraction + (1.0f - minLrFraction) * cosine);
}

Result<TrainingData> tokenizeTrainingText(const Model& model, const QByteArray& text,
                                          int sequenceLength, const QByteArray& separator) {
    if (sequenceLength < 2)
        return Error{QStringLiteral("training sequences need at least 2 tokens")};
    TrainingData data;
    data.sequenceLength = sequenceLength;
    qsizetype from = 0;
    while (from < text.size()) {
        qsizetype to = text.indexOf(separator, from);
        if (to < 0)
            to = text.size();
        const QByteArray doc = text.mid(from, to - from).trimmed();
        if (!doc.isEmpty()) {
            const auto ids = model.tokenizer.encode(std::string_view(doc.data(), doc.size()), true);
            data.tokens.insert(data.tokens.end(), ids.begin(), ids.end());
        }
        from = to + separator.size();
    }
    if (data.windows() < 1)
        return Error{
            QStringLiteral("the training text has %1 tokens, fewer than one sequence of %2")
                .arg(data.tokens.size())
                .arg(sequenceLength)};
    return data;
}

Result<DistillResult> distill(const Model& teacher, const Model& student, const TrainingData& data,
                              const DistillOptions& options, const Progress& progress,
                              const std::function<void(const TrainingPoint&)>& onStep,
                              const std::function<void(int, const Model&)>& onStudent) {
    if (teacher.config.vocabSize != student.config.vocabSize)
        return Error{QStringLiteral("the student's vocabulary differs from the teacher's")};
    if (options.steps < 1 || options.batch < 1)
        return Error{QStringLiteral("steps and batch must be at least 1")};
    // The demo models are far too small for a thread team to pay for its wake-ups: one thread
    // unless told otherwise.
    const int threads = options.threads > 0 ? options.threads : 1;
    omp_set_num_threads(threads);

    auto trainable = TrainableModel::fromModel(student);
    if (!trainable)
        return trainable.error();
    auto teacherWeights = WeightSet::fromModel(teacher);
    if (!teacherWeights)
        return teacherWeights.error();
    EngineOptions engineOptions;
    engineOptions.threads = threads;
    auto engine = Engine::create(std::move(teacherWeights.value()), engineOptions);
    if (!engine)
        return engine.error();

    TrainingState st;
    st.params = trainable->parameters();
    st.m.assign(st.params.size(), 0.0f);
    st.v.assign(st.params.size(), 0.0f);
    st.rng.seed(options.seed);
    st.order.resize(std::size_t(data.windows()));
    std::iota(st.order.begin(), st.order.end(), 0);
    std::shuffle(st.order.begin(), st.order.end(), st.rng);

    const QByteArray key = runKey(options, data, st.params.size());
    DistillResult result;
    if (options.resume && !options.checkpointPath.isEmpty() &&
        QFile::exists(options.checkpointPath)) {
        if (auto loaded = loadState(options.checkpointPath, key, st); !loaded)
            return loaded.error();
        result.resumed = true;
    }
    const auto checkpoint = [&]() -> Result<void> {
        if (options.checkpointPath.isEmpty())
            return {};
        return saveState(options.checkpointPath, key, st);
    };

    const int T = data.sequenceLength;
    std::vector<float> gradient(st.params.size());
    std::vector<float> teacherLogits;
    KvCache cache(teacher.config, T);
    const auto started = std::chrono::steady_clock::now();
    int stepsThisCall = 0;
    std::chrono::steady_clock::duration watching{}; // in onStudent: not training
    while (st.step < options.steps) {
        if (progress.cancelled()) {
            (void)checkpoint();
            return cancelledError();
        }
        if (options.stopAfterSteps > 0 && stepsThisCall >= options.stopAfterSteps)
            break;
        trainable->parameters() = st.params;
        std::fill(gradient.begin(), gradient.end(), 0.0f);
        TrainingPoint point;
        point.step = st.step + 1;
        for (int b = 0; b < options.batch; ++b) {
            const std::int64_t w = nextWindow(st);
            const std::span<const std::int32_t> tokens(
                data.tokens.data() + std::size_t(w) * std::size_t(T), std::size_t(T));
            const float* teacherRows = nullptr;
            if (options.klWeight != 0.0f) {
                cache.clear();
                if (auto r = (*engine)->forward(cache, tokens, 0, teacherLogits); !r)
                    return r.error();
                teacherRows = teacherLogits.data();
            }
            const grad::LossParts parts =
                trainable->accumulate(tokens, teacherRows, options.temperature, options.klWeight,
                                      options.alpha, 1.0f / float(options.batch), gradient);
            point.loss += parts.loss / options.batch;
            point.kl += parts.kl / options.batch;
            point.ce += parts.ce / options.batch;
        }
        double norm2 = 0;
        for (float g : gradient)
            norm2 += double(g) * double(g);
        point.gradNorm = std::sqrt(norm2);
        const float clipScale = options.clip > 0 && point.gradNorm > options.clip
                                    ? float(options.clip / point.gradNorm)
                                    : 1.0f;
        const float lr = options.learningRate(st.step);
        point.lr = lr;
        const int t = st.step + 1;
        const float c1 = 1.0f - std::pow(options.beta1, float(t));
        const float c2 = 1.0f - std::pow(options.beta2, float(t));
        for (const auto& s : trainable->tensorSlots()) {
            const float decay = s.decays ? options.weightDecay : 0.0f;
            for (std::size_t i = s.offset; i < s.offset + s.count; ++i) {
                const float g = gradient[i] * clipScale;
                st.m[i] = options.beta1 * st.m[i] + (1.0f - options.beta1) * g;
                st.v[i] = options.beta2 * st.v[i] + (1.0f - options.beta2) * g * g;
                const float mHat = st.m[i] / c1, vHat = st.v[i] / c2;
                st.params[i] -=
                    lr * (mHat / (std::sqrt(vHat) + options.adamEps) + decay * st.params[i]);
            }
        }
        st.step = t;
        ++stepsThisCall;
        st.curve.push_back(point);
        result.tokensSeen += std::int64_t(options.batch) * T;
        if (onStep)
            onStep(point);
        progress(double(st.step) / double(options.steps), QStringLiteral("step %1 of %2, loss %3")
                                                              .arg(st.step)
                                                              .arg(options.steps)
                                                              .arg(point.loss, 0, 'f', 4));
        if (onStudent && options.studentEvery > 0 && st.step % options.studentEvery == 0 &&
            st.step < options.steps) {
            const auto watchFrom = std::chrono::steady_clock::now();
            trainable->parameters() = st.params;
            onStudent(st.step, *trainable->toModel(student, student.path));
            watching += std::chrono::steady_clock::now() - watchFrom;
        }
        if (options.checkpointEvery > 0 && st.step % options.checkpointEvery == 0)
            if (auto saved = checkpoint(); !saved)
                return saved.error();
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started - watching)
            .count();
    result.tokensPerSecond = result.seconds > 0 ? double(result.tokensSeen) / result.seconds : 0;
    if (auto saved = checkpoint(); !saved)
        return saved.error();
    trainable->parameters() = st.params;
    result.student = trainable->toModel(student, student.path + QStringLiteral(" (distilled)"));
    result.curve = st.curve;
    result.steps = st.step;
    result.finished = st.step >= options.steps;
    return result;
}

} // namespace cwb
