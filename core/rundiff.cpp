// SPDX-License-Identifier: GPL-3.0-or-later
#include "rundiff.h"

#include <cmath>
#include <map>
#include <set>

namespace cwb {

RunDiff diffRuns(const RunRecord& a, const RunRecord& b) {
    RunDiff d;
    d.a = a.id;
    d.b = b.id;
    std::set<QString> names;
    for (const auto& [n, v] : a.metrics)
        names.insert(n);
    for (const auto& [n, v] : b.metrics)
        names.insert(n);
    for (const QString& n : names) {
        MetricDelta m;
        m.name = n;
        if (const auto it = a.metrics.find(n); it != a.metrics.end())
            m.a = it->second;
        if (const auto it = b.metrics.find(n); it != b.metrics.end())
            m.b = it->second;
        if (m.a && m.b) {
            m.delta = m.b->value - m.a->value;
            if (m.a->uncertainty && m.b->uncertainty)
                m.uncertainty = std::hypot(*m.a->uncertainty, *m.b->uncertainty);
        }
        d.metrics.push_back(m);
    }
    std::map<QString, const TensorResult*> inB;
    for (const TensorResult& t : b.tensors)
        inB[t.tensor] = &t;
    for (const TensorResult& t : a.tensors) {
        const auto it = inB.find(t.tensor);
        if (it == inB.end()) {
            d.tensors.push_back(
                {t.tensor, t.precision, QString(), t.method, QString(), t.bytes, 0});
            continue;
        }
        const TensorResult& o = *it->second;
        if (o.precision != t.precision || o.method != t.method)
            d.tensors.push_back(
                {t.tensor, t.precision, o.precision, t.method, o.method, t.bytes, o.bytes});
        inB.erase(it);
    }
    for (const auto& [name, t] : inB)
        d.tensors.push_back({name, QString(), t->precision, QString(), t->method, 0, t->bytes});
    if (a.model && b.model && a.model->sha256 != b.model->sha256)
        d.notes << QStringLiteral("the runs are of different models");
    if (a.evalText.sha256 != b.evalText.sha256)
        d.notes << QStringLiteral("the runs were evaluated on different texts");
    for (const char* key : {"split", "ctx", "max_tokens", "chunks"})
        if (a.settings.value(QLatin1String(key)) != b.settings.value(QLatin1String(key)))
            d.notes << QStringLiteral("the runs differ in their evaluation settings (%1)")
                           .arg(QLatin1String(key));
    if (a.kind != b.kind)
        d.notes << QStringLiteral("the runs are of different kinds (%1, %2)").arg(a.kind, b.kind);
    return d;
}

} // namespace cwb
