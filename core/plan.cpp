// SPDX-License-Identifier: GPL-3.0-or-later
#include "plan.h"

#include "textfile.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>

namespace cwb {
namespace {

constexpr qsizetype kMaxPlanBytes = 16 << 20;
constexpr qsizetype kMaxRules = 100000;

// `where` names the field for the user: "rule 3: \"precision\"" or "\"default\"".
Result<PrecisionId> precisionField(const QJsonValue& v, const QString& where) {
    if (!v.isString())
        return Error{QStringLiteral("%1 must be a precision name").arg(where)};
    const auto id = precisionByName(v.toString());
    if (!id)
        return Error{QStringLiteral("%1: unknown precision \"%2\" (known: %3)")
                         .arg(where, v.toString(), precisionNames().join(QStringLiteral(", ")))};
    return *id;
}

QRegularExpression wholeName(const QString& pattern) {
    return QRegularExpression(QRegularExpression::anchoredPattern(pattern));
}

const QStringList kMethodNames = {QStringLiteral("rtn"), QStringLiteral("smoothquant"),
                                  QStringLiteral("awq"), QStringLiteral("gptq")};

Result<std::optional<QuantMethod>> methodField(const QJsonObject& o, const QString& where) {
    if (!o.contains(QStringLiteral("method")))
        return std::optional<QuantMethod>{};
    const QJsonValue value = o.value(QStringLiteral("method"));
    const auto m = methodByName(value.toString());
    if (!m)
        return Error{QStringLiteral("%1: unknown method %2 (known: %3)")
                         .arg(where,
                              value.isString() ? QStringLiteral("\"%1\"").arg(value.toString())
                                               : QStringLiteral("(not a name)"),
                              kMethodNames.join(QStringLiteral(", ")))};
    return std::optional<QuantMethod>(*m);
}

Result<void> checkCalibrationSection(const QJsonObject& c) {
    if (auto m = methodField(c, QStringLiteral("calibration")); !m)
        return m.error();
    const QJsonValue alpha = c.value(QStringLiteral("smoothquant_alpha"));
    if (!alpha.isUndefined() &&
        !(alpha.isString() && alpha.toString() == QLatin1String("search")) &&
        !(alpha.isDouble() && alpha.toDouble() >= 0 && alpha.toDouble() <= 1))
        return Error{QStringLiteral(
            "calibration: \"smoothquant_alpha\" must be a number from 0 to 1 or \"search\"")};
    const QJsonValue damping = c.value(QStringLiteral("gptq_damping"));
    if (!damping.isUndefined() &&
        !(damping.isDouble() && damping.toDouble() > 0 && damping.toDouble() < 10))
        return Error{
            QStringLiteral("calibration: \"gptq_damping\" must be a positive number below 10")};
    const QJsonValue actOrder = c.value(QStringLiteral("gptq_act_order"));
    if (!actOrder.isUndefined() && !actOrder.isBool())
        return Error{QStringLiteral("calibration: \"gptq_act_order\" must be true or false")};
    return {};
}

} // namespace

QString methodName(QuantMethod method) {
    return kMethodNames[int(method)];
}

std::optional<QuantMethod> methodByName(const QString& name) {
    const auto i = kMethodNames.indexOf(name);
    return i < 0 ? std::nullopt : std::optional(QuantMethod(i));
}

QuantMethod Plan::defaultMethod() const {
    return methodByName(calibration.value(QStringLiteral("method")).toString())
        .value_or(QuantMethod::Rtn);
}

MethodOptions Plan::methodOptions() const {
    MethodOptions o;
    const QJsonValue alpha = calibration.value(QStringLiteral("smoothquant_alpha"));
    if (alpha.isDouble())
        o.alpha = alpha.toDouble();
    o.gptqDamping = calibration.value(QStringLiteral("gptq_damping")).toDouble(o.gptqDamping);
    o.gptqActOrder = calibration.value(QStringLiteral("gptq_act_order")).toBool(o.gptqActOrder);
    return o;
}

bool ResolvedPlan::needsCalibration() const {
    for (const TensorChoice& t : tensors)
        if (t.quantizable && t.method != QuantMethod::Rtn && t.precision != PrecisionId::Fp32)
            return true;
    return false;
}

QJsonObject Plan::toJson() const {
    QJsonArray ruleArray;
    for (const PlanRule& r : rules) {
        QJsonObject o = r.extra;
        o.insert(QStringLiteral("match"), r.match);
        if (r.method)
            o.insert(QStringLiteral("method"), methodName(*r.method));
        o.insert(QStringLiteral("precision"), QLatin1String(precisionInfo(r.precision).name));
        ruleArray.append(o);
    }
    QJsonObject o{
        {QStringLiteral("name"), name},
        {QStringLiteral("default"), QLatin1String(precisionInfo(defaultPrecision).name)},
        {QStringLiteral("rules"), ruleArray},
    };
    if (!calibration.isEmpty())
        o.insert(QStringLiteral("calibration"), calibration);
    return o;
}

bool Plan::operator==(const Plan& other) const {
    return toJson() == other.toJson();
}

Result<Plan> parsePlan(const QByteArray& json) {
    if (json.size() > kMaxPlanBytes)
        return Error{QStringLiteral("the plan is larger than 16 MB")};
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Error{QStringLiteral("the plan is not valid JSON: %1 at byte %2")
                         .arg(parseError.errorString())
                         .arg(parseError.offset)};
    if (!doc.isObject())
        return Error{QStringLiteral("the plan must be a JSON object")};
    const QJsonObject o = doc.object();
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!QStringList{QStringLiteral("name"), QStringLiteral("default"), QStringLiteral("rules"),
                         QStringLiteral("calibration")}
                 .contains(it.key()))
            return Error{
                QStringLiteral("unknown plan key \"%1\" (known: name, default, rules, calibration)")
                    .arg(it.key())};
    Plan plan;
    if (o.contains(QStringLiteral("name")) && !o.value(QStringLiteral("name")).isString())
        return Error{QStringLiteral("\"name\" must be a string")};
    plan.name = o.value(QStringLiteral("name")).toString();
    if (o.contains(QStringLiteral("default"))) {
        auto id = precisionField(o.value(QStringLiteral("default")), QStringLiteral("\"default\""));
        if (!id)
            return id.error();
        plan.defaultPrecision = *id;
    }
    const QJsonValue rules = o.value(QStringLiteral("rules"));
    if (!rules.isUndefined() && !rules.isArray())
        return Error{QStringLiteral("\"rules\" must be a list")};
    if (rules.toArray().size() > kMaxRules)
        return Error{QStringLiteral("more than %1 rules").arg(kMaxRules)};
    int index = 0;
    for (const QJsonValue& value : rules.toArray()) {
        ++index;
        const QString where = QStringLiteral("rule %1").arg(index);
        if (!value.isObject())
            return Error{QStringLiteral("%1 must be an object").arg(where)};
        QJsonObject r = value.toObject();
        if (!r.value(QStringLiteral("match")).isString())
            return Error{
                QStringLiteral("%1: \"match\" must be a string (a regular expression)").arg(where)};
        PlanRule rule;
        rule.match = r.value(QStringLiteral("match")).toString();
        const QRegularExpression re = wholeName(rule.match);
        if (!re.isValid())
            return Error{
                QStringLiteral("%1: \"%2\" is not a valid regular expression: %3 at offset %4")
                    .arg(where, rule.match, re.errorString())
                    .arg(re.patternErrorOffset())};
        auto id = precisionField(r.value(QStringLiteral("precision")),
                                 where + QStringLiteral(": \"precision\""));
        if (!id)
            return id.error();
        rule.precision = *id;
        auto method = methodField(r, where);
        if (!method)
            return method.error();
        rule.method = *method;
        r.remove(QStringLiteral("match"));
        r.remove(QStringLiteral("precision"));
        r.remove(QStringLiteral("method"));
        rule.extra = r;
        plan.rules.push_back(std::move(rule));
    }
    const QJsonValue calibration = o.value(QStringLiteral("calibration"));
    if (!calibration.isUndefined() && !calibration.isObject())
        return Error{QStringLiteral("\"calibration\" must be an object")};
    plan.calibration = calibration.toObject();
    if (auto ok = checkCalibrationSection(plan.calibration); !ok)
        return ok.error();
    return plan;
}

Result<Plan> loadPlanFile(const QString& path) {
    QFile f(path);
    if (!f.exists())
        return Error{QStringLiteral("%1: no such file").arg(path)};
    if (!f.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(path, f.errorString())};
    if (f.size() > kMaxPlanBytes)
        return Error{QStringLiteral("%1: larger than 16 MB, not a plan").arg(path)};
    auto plan = parsePlan(f.readAll());
    if (!plan)
        return Error{QStringLiteral("%1: %2").arg(path, plan.error().message)};
    return plan;
}

Result<void> savePlanFile(const Plan& plan, const QString& path) {
    return writeFileAtomically(path, QJsonDocument(plan.toJson()).toJson(QJsonDocument::Indented));
}

const TensorChoice* ResolvedPlan::find(const QString& name) const {
    const auto it = m_index.constFind(name);
    if (it != m_index.constEnd() && *it < tensors.size() && tensors[*it].name == name)
        return &tensors[*it];
    for (const TensorChoice& t : tensors) // built by hand rather than resolved
        if (t.name == name)
            return &t;
    return nullptr;
}

ResolvedPlan resolvePlan(const Plan& plan, const Model& model) {
    ResolvedPlan resolved;
    resolved.methodOptions = plan.methodOptions();
    std::vector<QRegularExpression> patterns;
    for (const PlanRule& r : plan.rules)
        patterns.push_back(wholeName(r.match));
    std::vector<bool> used(plan.rules.size(), false);
    for (const Tensor& t : model.tensors) {
        TensorChoice choice{t.name, PrecisionId::Fp32, t.isMatrix(), -1};
        for (std::size_t i = 0; i < patterns.size(); ++i) {
            if (!patterns[i].match(t.name).hasMatch())
                continue;
            used[i] = true;
            if (choice.quantizable)
                choice.rule = int(i);
        }
        if (choice.quantizable) {
            const PlanRule* rule =
                choice.rule >= 0 ? &plan.rules[std::size_t(choice.rule)] : nullptr;
            choice.precision = rule ? rule->precision : plan.defaultPrecision;
            choice.method = rule && rule->method ? *rule->method : plan.defaultMethod();
        }
        resolved.m_index.insert(choice.name, resolved.tensors.size());
        resolved.tensors.push_back(choice);
    }
    for (std::size_t i = 0; i < used.size(); ++i)
        if (!used[i])
            resolved.warnings << QStringLiteral("rule %1 (\"%2\") matches no tensor")
                                     .arg(i + 1)
                                     .arg(plan.rules[i].match);
    return resolved;
}

Plan planFromChoices(const QString& name, const std::vector<TensorChoice>& choices,
                     const QJsonObject& calibration) {
    QMap<int, int> counts;
    for (const TensorChoice& c : choices)
        if (c.quantizable)
            ++counts[int(c.precision)];
    Plan plan;
    plan.name = name;
    plan.calibration = calibration;
    const QuantMethod defaultMethod = plan.defaultMethod();
    int best = -1;
    for (auto it = counts.begin(); it != counts.end(); ++it)
        if (best < 0 || it.value() > counts.value(best))
            best = it.key();
    plan.defaultPrecision = best >= 0 ? PrecisionId(best) : PrecisionId::Fp32;
    for (const TensorChoice& c : choices)
        if (c.quantizable && (c.precision != plan.defaultPrecision || c.method != defaultMethod))
            plan.rules.push_back(
                {QRegularExpression::escape(c.name),
                 c.precision,
                 c.method == defaultMethod ? std::nullopt : std::optional(c.method),
                 {}});
    return plan;
}

SizeSummary sizeOf(const Model& model, const ResolvedPlan& plan) {
    SizeSummary s;
    for (const Tensor& t : model.tensors) {
        const TensorChoice* c = plan.find(t.name);
        const PrecisionId id = c ? c->precision : PrecisionId::Fp32;
        const std::uint64_t bytes = packedRowBytes(id, t.rowLength()) * std::uint64_t(t.rows());
        s.totalBytes += bytes;
        s.fp32Bytes += std::uint64_t(t.elements()) * 4;
        if (t.isMatrix()) {
            s.matrixBytes += bytes;
            s.matrixParameters += t.elements();
        }
    }
    s.bitsPerWeight =
        s.matrixParameters ? 8.0 * double(s.matrixBytes) / double(s.matrixParameters) : 0.0;
    return s;
}

} // namespace cwb
