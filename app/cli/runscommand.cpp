// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include "modelsummary.h"
#include "rundiff.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace cwb::cli {

namespace {

QJsonObject metricsJson(const std::map<QString, MetricValue>& metrics) {
    QJsonObject o;
    for (const auto& [name, m] : metrics) {
        o.insert(name, m.value);
        if (m.uncertainty)
            o.insert(name + QStringLiteral("_uncertainty"), *m.uncertainty);
    }
    return o;
}

QJsonObject runJson(const RunRecord& r, bool whole) {
    QJsonObject o{
        {QStringLiteral("run_id"), qint64(r.id)},
        {QStringLiteral("kind"), r.kind},
        {QStringLiteral("status"), runStatusName(r.status)},
        {QStringLiteral("name"), r.name},
        {QStringLiteral("started_at"), r.startedAt.toString(Qt::ISODateWithMs)},
        {QStringLiteral("finished_at"),
         r.finishedAt.isValid() ? r.finishedAt.toString(Qt::ISODateWithMs) : QString()},
        {QStringLiteral("metrics"), metricsJson(r.metrics)},
    };
    if (r.model)
        o.insert(QStringLiteral("model"),
                 QJsonObject{{QStringLiteral("path"), r.model->path},
                             {QStringLiteral("sha256"), r.model->sha256},
                             {QStringLiteral("size_bytes"), qint64(r.model->sizeBytes)},
                             {QStringLiteral("format"), r.model->format},
                             {QStringLiteral("architecture"), r.model->architecture},
                             {QStringLiteral("parameters"), qint64(r.model->parameters)},
                             {QStringLiteral("config"), r.model->config}});
    if (!r.error.isEmpty())
        o.insert(QStringLiteral("error"), r.error);
    if (r.parentId)
        o.insert(QStringLiteral("parent_run_id"), qint64(*r.parentId));
    if (!whole)
        return o;
    auto text = [](const TextIdentity& t) {
        return QJsonObject{{QStringLiteral("path"), t.path},
                           {QStringLiteral("sha256"), t.sha256},
                           {QStringLiteral("tokens"), qint64(t.tokens)}};
    };
    o.insert(QStringLiteral("plan"), r.plan);
    if (!r.evalText.isEmpty())
        o.insert(QStringLiteral("eval_text"), text(r.evalText));
    if (!r.calibText.isEmpty())
        o.insert(QStringLiteral("calib_text"), text(r.calibText));
    o.insert(QStringLiteral("settings"), r.settings);
    o.insert(QStringLiteral("threads"), r.threads);
    o.insert(QStringLiteral("cpu"), r.cpu);
    o.insert(QStringLiteral("tool_version"), r.toolVersion);
    o.insert(QStringLiteral("tool_commit"), r.toolCommit);
    o.insert(QStringLiteral("onednn_version"), r.onednnVersion);
    o.insert(QStringLiteral("command"), r.command);
    QJsonArray tensors;
    for (const TensorResult& t : r.tensors) {
        QJsonObject to{{QStringLiteral("tensor"), t.tensor},
                       {QStringLiteral("precision"), t.precision},
                       {QStringLiteral("method"), t.method},
                       {QStringLiteral("bytes"), qint64(t.bytes)}};
        if (t.quantError)
            to.insert(QStringLiteral("quant_error"), *t.quantError);
        if (t.sensitivity)
            to.insert(QStringLiteral("sensitivity"), *t.sensitivity);
        tensors.append(to);
    }
    o.insert(QStringLiteral("tensors"), tensors);
    return o;
}

QString metricText(const std::optional<MetricValue>& m) {
    if (!m)
        return QStringLiteral("—");
    return m->uncertainty
               ? QStringLiteral("%1 ± %2").arg(m->value, 0, 'g', 6).arg(*m->uncertainty, 0, 'g', 2)
               : QString::number(m->value, 'g', 6);
}

std::int64_t runId(const QString& text) {
    bool ok = false;
    const qint64 id = text.toLongLong(&ok);
    if (!ok || id <= 0)
        throw UsageError{QStringLiteral("'%1' is not a run id").arg(text)};
    return id;
}

void printJson(const QJsonValue& v) {
    const QJsonDocument doc =
        v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject());
    printOut(QString::fromUtf8(doc.toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
}

int list(RunStore& store, const Arguments& a) {
    auto runs = store.list({a.value(QStringLiteral("model")), a.value(QStringLiteral("kind")), 0});
    if (!runs) {
        printError(runs.error().message);
        return 1;
    }
    if (a.flag(QStringLiteral("json"))) {
        QJsonArray array;
        for (const RunRecord& r : *runs)
            array.append(runJson(r, false));
        printJson(QJsonObject{{QStringLiteral("runs"), array}});
        return 0;
    }
    QString out = QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8\n")
                      .arg(QStringLiteral("id"), 5)
                      .arg(QStringLiteral("kind"), -12)
                      .arg(QStringLiteral("status"), -12)
                      .arg(QStringLiteral("model"), -20)
                      .arg(QStringLiteral("name"), -22)
                      .arg(QStringLiteral("ppl"), 10)
                      .arg(QStringLiteral("kld"), 10)
                      .arg(QStringLiteral("size"), 10);
    for (const RunRecord& r : *runs) {
        auto m = [&](const char* key, int precision) {
            const auto it = r.metrics.find(QLatin1String(key));
            return it == r.metrics.end() ? QStringLiteral("—")
                                         : QString::number(it->second.value, 'f', precision);
        };
        const auto size = r.metrics.find(QStringLiteral("size_bytes"));
        out += QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8\n")
                   .arg(r.id, 5)
                   .arg(r.kind, -12)
                   .arg(runStatusName(r.status), -12)
                   .arg((r.model ? QFileInfo(r.model->path).fileName() : QString()).left(20), -20)
                   .arg(r.name.left(22), -22)
                   .arg(m("ppl", 4), 10)
                   .arg(m("kld_mean", 5), 10)
                   .arg(size == r.metrics.end() ? QStringLiteral("—")
                                                : formatBytes(std::uint64_t(size->second.value)),
                        10);
    }
    printOut(out);
    return 0;
}

int show(RunStore& store, const Arguments& a) {
    auto r = store.get(runId(a.positional.value(1)));
    if (!r) {
        printError(r.error().message);
        return 1;
    }
    const QJsonObject json = runJson(*r, true);
    if (a.flag(QStringLiteral("json"))) {
        printJson(json);
        return 0;
    }
    QString out = QStringLiteral("run %1: %2 %3 \"%4\"\n")
                      .arg(r->id)
                      .arg(r->kind, runStatusName(r->status), r->name);
    if (r->model)
        out += QStringLiteral("model      %1 (%2, sha256 %3)\n")
                   .arg(r->model->path, r->model->format, r->model->sha256);
    if (!r->evalText.isEmpty())
        out += QStringLiteral("evaluation %1 (sha256 %2, %3 tokens)\n")
                   .arg(r->evalText.path, r->evalText.sha256)
                   .arg(r->evalText.tokens);
    if (!r->calibText.isEmpty())
        out += QStringLiteral("calibration %1 (sha256 %2)\n")
                   .arg(r->calibText.path, r->calibText.sha256);
    out += QStringLiteral("started    %1, finished %2\n")
               .arg(r->startedAt.toString(Qt::ISODate), r->finishedAt.toString(Qt::ISODate));
    out += QStringLiteral("machine    %1, %2 threads; cwb %3 (%4), oneDNN %5\n")
               .arg(r->cpu)
               .arg(r->threads)
               .arg(r->toolVersion, r->toolCommit, r->onednnVersion);
    if (!r->error.isEmpty())
        out += QStringLiteral("error      %1\n").arg(r->error);
    out += QStringLiteral("command    %1\n\nmetrics\n").arg(r->command);
    for (const auto& [name, m] : r->metrics)
        out += QStringLiteral("  %1 %2\n").arg(name, -28).arg(metricText(m));
    if (!r->tensors.empty()) {
        out += QStringLiteral("\ntensors\n");
        for (const TensorResult& t : r->tensors)
            out += QStringLiteral("  %1 %2 %3 %4\n")
                       .arg(t.tensor, -28)
                       .arg(t.precision, -14)
                       .arg(t.method, -12)
                       .arg(formatCount(qint64(t.bytes)), 12);
    }
    printOut(out);
    return 0;
}

int diff(RunStore& store, const Arguments& a) {
    auto ra = store.get(runId(a.positional.value(1)));
    auto rb = store.get(runId(a.positional.value(2)));
    for (const auto* r : {&ra, &rb})
        if (!*r) {
            printError(r->error().message);
            return 1;
        }
    const RunDiff d = diffRuns(*ra, *rb);
    if (a.flag(QStringLiteral("json"))) {
        QJsonArray metrics, tensors;
        for (const MetricDelta& m : d.metrics) {
            QJsonObject o{{QStringLiteral("name"), m.name}};
            if (m.a)
                o.insert(QStringLiteral("a"), m.a->value);
            if (m.b)
                o.insert(QStringLiteral("b"), m.b->value);
            if (m.delta)
                o.insert(QStringLiteral("delta"), *m.delta);
            if (m.uncertainty)
                o.insert(QStringLiteral("uncertainty"), *m.uncertainty);
            metrics.append(o);
        }
        for (const TensorDifference& t : d.tensors)
            tensors.append(QJsonObject{{QStringLiteral("tensor"), t.tensor},
                                       {QStringLiteral("precision_a"), t.precisionA},
                                       {QStringLiteral("precision_b"), t.precisionB},
                                       {QStringLiteral("method_a"), t.methodA},
                                       {QStringLiteral("method_b"), t.methodB},
                                       {QStringLiteral("bytes_a"), qint64(t.bytesA)},
                                       {QStringLiteral("bytes_b"), qint64(t.bytesB)}});
        printJson(QJsonObject{{QStringLiteral("a"), qint64(d.a)},
                              {QStringLiteral("b"), qint64(d.b)},
                              {QStringLiteral("metrics"), metrics},
                              {QStringLiteral("tensors"), tensors},
                              {QStringLiteral("notes"), QJsonArray::fromStringList(d.notes)}});
        return 0;
    }
    QString out = QStringLiteral("run %1 → run %2\n").arg(d.a).arg(d.b);
    for (const QString& n : d.notes)
        out += QStringLiteral("note: %1\n").arg(n);
    out += QStringLiteral("\n%1 %2 %3 %4\n")
               .arg(QStringLiteral("metric"), -26)
               .arg(QStringLiteral("a"), -24)
               .arg(QStringLiteral("b"), -24)
               .arg(QStringLiteral("b − a"));
    for (const MetricDelta& m : d.metrics)
        out += QStringLiteral("%1 %2 %3 %4\n")
                   .arg(m.name, -26)
                   .arg(metricText(m.a), -24)
                   .arg(metricText(m.b), -24)
                   .arg(m.delta ? (m.uncertainty ? QStringLiteral("%1 ± %2")
                                                       .arg(*m.delta, 0, 'g', 4)
                                                       .arg(*m.uncertainty, 0, 'g', 2)
                                                 : QString::number(*m.delta, 'g', 4))
                                : QStringLiteral("—"));
    out += QStringLiteral("\n%1 tensor(s) differ\n").arg(d.tensors.size());
    for (const TensorDifference& t : d.tensors)
        out += QStringLiteral("  %1 %2 → %3\n")
                   .arg(t.tensor, -28)
                   .arg(t.precisionA + (t.methodA.isEmpty() || t.methodA == QLatin1String("rtn")
                                            ? QString()
                                            : QLatin1Char('/') + t.methodA),
                        -24)
                   .arg(t.precisionB + (t.methodB.isEmpty() || t.methodB == QLatin1String("rtn")
                                            ? QString()
                                            : QLatin1Char('/') + t.methodB));
    printOut(out);
    return 0;
}

int runRuns(const Arguments& a) {
    const QString action = a.positional.value(0);
    const QMap<QString, int> arity{{QStringLiteral("list"), 1},
                                   {QStringLiteral("show"), 2},
                                   {QStringLiteral("diff"), 3},
                                   {QStringLiteral("delete"), 2}};
    if (!arity.contains(action))
        throw UsageError{
            QStringLiteral("'runs' takes list, show ID, diff A B or delete ID, not '%1'")
                .arg(action)};
    if (a.positional.size() != arity[action])
        throw UsageError{
            QStringLiteral("'runs %1' needs %2 run id(s)").arg(action).arg(arity[action] - 1)};
    auto store = openRunStore(a);
    if (!store) {
        printError(store.error().message);
        return 1;
    }
    if (action == QLatin1String("list"))
        return list(**store, a);
    if (action == QLatin1String("show"))
        return show(**store, a);
    if (action == QLatin1String("diff"))
        return diff(**store, a);
    if (auto r = (*store)->remove(runId(a.positional[1])); !r) {
        printError(r.error().message);
        return 1;
    }
    printOut(QStringLiteral("deleted run %1\n").arg(a.positional[1]));
    return 0;
}

} // namespace

Command runsCommand() {
    return Command{
        QStringLiteral("runs"),
        QStringLiteral("list [--model M] [--kind K] | show ID | diff A B | delete ID [--json]"),
        QStringLiteral("List, show, compare and delete the recorded runs."),
        {QStringLiteral("ACTION"), QStringLiteral("[ID]"), QStringLiteral("[ID]")},
        {
            {QStringLiteral("model"), QStringLiteral("M"),
             QStringLiteral("list: runs of models whose path holds M, or sha256 prefix")},
            {QStringLiteral("kind"), QStringLiteral("K"),
             QStringLiteral("list: evaluation, calibration, benchmark, …")},
            dbOption(),
            {QStringLiteral("json"), {}, QStringLiteral("print one JSON object on stdout")},
        },
        runRuns,
    };
}

} // namespace cwb::cli
