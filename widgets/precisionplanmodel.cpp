// SPDX-License-Identifier: GPL-3.0-or-later
#include "precisionplanmodel.h"

#include "precisionstyle.h"
#include "tooltip.h"

#include <QGuiApplication>
#include <QPalette>
#include <QRegularExpression>
#include <QUndoStack>

#include <algorithm>

namespace {

QString precisionName(cwb::PrecisionId id) {
    return QLatin1String(cwb::precisionInfo(id).name);
}

std::optional<cwb::PrecisionId> precisionFromVariant(const QVariant& value) {
    if (value.typeId() == QMetaType::QString)
        return cwb::precisionByName(value.toString());
    bool ok = false;
    const int id = value.toInt(&ok);
    if (!ok || id < 0 || std::size_t(id) >= cwb::precisions().size())
        return std::nullopt;
    return cwb::PrecisionId(id);
}

// What a Method cell is set to: a method name, or "default" (an empty string, -1) to follow the
// plan's default. `valid` is false when the value names neither.
struct MethodValue {
    bool valid = false;
    std::optional<cwb::QuantMethod> method;
};

MethodValue methodFromVariant(const QVariant& value) {
    if (value.typeId() == QMetaType::QString) {
        const QString name = value.toString();
        if (name.isEmpty() || name == QLatin1String("default"))
            return {true, std::nullopt};
        const auto m = cwb::methodByName(name);
        return {m.has_value(), m};
    }
    bool ok = false;
    const int id = value.toInt(&ok);
    if (!ok || id < -1 || id > int(cwb::QuantMethod::Gptq))
        return {};
    return {true, id < 0 ? std::nullopt : std::optional(cwb::QuantMethod(id))};
}

} // namespace

PrecisionPlanModel::PrecisionPlanModel(QObject* parent)
    : QAbstractListModel(parent)
    , m_undo(new QUndoStack(this)) {}

PrecisionPlanModel::~PrecisionPlanModel() {
    // The stack, a child, clears itself when deleted after this destructor has run; its
    // cleanChanged would reach pages that ask this half-destroyed model about it.
    m_undo->blockSignals(true);
}

void PrecisionPlanModel::setModel(std::shared_ptr<const cwb::Model> model) {
    beginResetModel();
    m_model = std::move(model);
    m_choices = m_model ? cwb::resolvePlan(cwb::Plan{}, *m_model).tensors
                        : std::vector<cwb::TensorChoice>{};
    m_methods.assign(m_choices.size(), std::nullopt);
    m_calibration = {};
    m_loaded.reset();
    m_undo->clear();
    endResetModel();
    setName({});
    emit calibrationSettingsChanged();
    emit choicesChanged();
}

cwb::PrecisionId PrecisionPlanModel::precision(int row) const {
    return row >= 0 && std::size_t(row) < m_choices.size() ? m_choices[std::size_t(row)].precision
                                                           : cwb::PrecisionId::Fp32;
}

cwb::QuantMethod PrecisionPlanModel::method(int row) const {
    return row >= 0 && std::size_t(row) < m_choices.size() ? m_choices[std::size_t(row)].method
                                                           : cwb::QuantMethod::Rtn;
}

std::optional<cwb::QuantMethod> PrecisionPlanModel::explicitMethod(int row) const {
    return row >= 0 && std::size_t(row) < m_methods.size() ? m_methods[std::size_t(row)]
                                                           : std::nullopt;
}

bool PrecisionPlanModel::isQuantizable(int row) const {
    return row >= 0 && std::size_t(row) < m_choices.size() &&
           m_choices[std::size_t(row)].quantizable;
}

int PrecisionPlanModel::rowOf(const QString& tensorName) const {
    for (std::size_t i = 0; i < m_choices.size(); ++i)
        if (m_choices[i].name == tensorName)
            return int(i);
    return -1;
}

bool PrecisionPlanModel::isAllFp32() const {
    return std::all_of(m_choices.begin(), m_choices.end(), [](const cwb::TensorChoice& c) {
        return c.precision == cwb::PrecisionId::Fp32;
    });
}

bool PrecisionPlanModel::needsCalibration() const {
    cwb::ResolvedPlan resolved;
    resolved.tensors = m_choices;
    return resolved.needsCalibration();
}

cwb::QuantMethod PrecisionPlanModel::defaultMethod() const {
    cwb::Plan p;
    p.calibration = m_calibration;
    return p.defaultMethod();
}

cwb::MethodOptions PrecisionPlanModel::methodOptions() const {
    cwb::Plan p;
    p.calibration = m_calibration;
    return p.methodOptions();
}

PrecisionPlanModel::Target PrecisionPlanModel::current() const {
    Target t;
    for (const cwb::TensorChoice& c : m_choices)
        t.precisions.push_back(c.precision);
    t.methods = m_methods;
    t.calibration = m_calibration;
    return t;
}

bool PrecisionPlanModel::setPrecision(const QList<int>& rows, cwb::PrecisionId precision) {
    Target target = current();
    QStringList changed;
    for (int row : rows)
        if (isQuantizable(row) && target.precisions[std::size_t(row)] != precision) {
            target.precisions[std::size_t(row)] = precision;
            changed << m_choices[std::size_t(row)].name;
        }
    const QString text =
        changed.size() == 1
            ? tr("Set %1 to %2").arg(changed.first(), precisionName(precision))
            : tr("Set %1 Tensors to %2").arg(changed.size()).arg(precisionName(precision));
    return push(target, text);
}

bool PrecisionPlanModel::setMethod(const QList<int>& rows, std::optional<cwb::QuantMethod> method) {
    Target target = current();
    QStringList changed;
    for (int row : rows)
        if (isQuantizable(row) && target.methods[std::size_t(row)] != method) {
            target.methods[std::size_t(row)] = method;
            changed << m_choices[std::size_t(row)].name;
        }
    const QString what = method ? cwb::methodName(*method) : tr("the Plan Default");
    const QString text = changed.size() == 1
                             ? tr("Set Method of %1 to %2").arg(changed.first(), what)
                             : tr("Set Method of %1 Tensors to %2").arg(changed.size()).arg(what);
    return push(target, text);
}

bool PrecisionPlanModel::setCalibrationSettings(const QJsonObject& settings, const QString& text,
                                                const QString& mergeKey) {
    if (!m_model)
        return false;
    Target target = current();
    target.calibration = settings;
    return push(target, text, mergeKey);
}

cwb::ResolvedPlan PrecisionPlanModel::applyPlan(const cwb::Plan& plan, const QString& commandText) {
    if (!m_model)
        return {};
    cwb::ResolvedPlan resolved = cwb::resolvePlan(plan, *m_model);
    Target target = current();
    for (std::size_t i = 0; i < resolved.tensors.size() && i < target.precisions.size(); ++i)
        target.precisions[i] = resolved.tensors[i].precision;
    push(target, commandText);
    return resolved;
}

cwb::ResolvedPlan PrecisionPlanModel::loadPlan(const cwb::Plan& plan, const QString& fallbackName) {
    if (!m_model)
        return {};
    const QString name = plan.name.isEmpty() ? fallbackName : plan.name;
    cwb::ResolvedPlan resolved = cwb::resolvePlan(plan, *m_model);
    Target target = current();
    for (std::size_t i = 0; i < resolved.tensors.size() && i < target.precisions.size(); ++i) {
        const cwb::TensorChoice& c = resolved.tensors[i];
        target.precisions[i] = c.precision;
        // A rule that names a method gives the tensor its own; the others follow the default.
        const cwb::PlanRule* rule = c.rule >= 0 ? &plan.rules[std::size_t(c.rule)] : nullptr;
        target.methods[i] = rule ? rule->method : std::nullopt;
    }
    target.calibration = plan.calibration;
    push(target, tr("Load Plan “%1”").arg(name));
    m_loaded = plan;
    setName(name);
    return resolved;
}

bool PrecisionPlanModel::push(const Target& target, const QString& text, const QString& mergeKey) {
    std::vector<PrecisionChange> changes;
    for (std::size_t i = 0; i < m_choices.size() && i < target.precisions.size(); ++i)
        if (m_choices[i].precision != target.precisions[i] || m_methods[i] != target.methods[i])
            changes.push_back({int(i), m_choices[i].precision, target.precisions[i], m_methods[i],
                               target.methods[i]});
    std::optional<CalibrationChange> calibration;
    if (target.calibration != m_calibration)
        calibration = CalibrationChange{m_calibration, target.calibration};
    if (changes.empty() && !calibration)
        return false;
    auto* command = new PrecisionCommand(this, std::move(changes), std::move(calibration), text);
    command->setMergeKey(mergeKey);
    m_undo->push(command);
    return true;
}

void PrecisionPlanModel::assign(const std::vector<PrecisionChange>& changes,
                                const std::optional<CalibrationChange>& calibration, bool forward) {
    int first = int(m_choices.size()), last = -1;
    for (const PrecisionChange& c : changes) {
        m_choices[std::size_t(c.row)].precision = forward ? c.after : c.before;
        m_methods[std::size_t(c.row)] = forward ? c.methodAfter : c.methodBefore;
        first = std::min(first, c.row);
        last = std::max(last, c.row);
    }
    if (calibration) {
        const cwb::QuantMethod before = defaultMethod();
        m_calibration = forward ? calibration->after : calibration->before;
        // A new default method changes every row that follows it.
        if (defaultMethod() != before && !m_choices.empty()) {
            first = 0;
            last = int(m_choices.size()) - 1;
        }
    }
    updateMethods();
    if (first <= last)
        emit dataChanged(index(first), index(last),
                         {Qt::DisplayRole, Qt::EditRole, Qt::ToolTipRole, Qt::DecorationRole,
                          PrecisionRole, MethodRole, ExplicitMethodRole});
    if (calibration)
        emit calibrationSettingsChanged();
    emit choicesChanged();
}

// The method in effect for each tensor, as resolvePlan() would give it.
void PrecisionPlanModel::updateMethods() {
    const cwb::QuantMethod byDefault = defaultMethod();
    for (std::size_t i = 0; i < m_choices.size(); ++i)
        m_choices[i].method =
            m_choices[i].quantizable ? m_methods[i].value_or(byDefault) : cwb::QuantMethod::Rtn;
}

void PrecisionPlanModel::setName(const QString& name) {
    if (name == m_name)
        return;
    m_name = name;
    emit nameChanged(m_name);
}

bool PrecisionPlanModel::choicesMatch(const cwb::Plan& plan) const {
    const cwb::ResolvedPlan resolved = cwb::resolvePlan(plan, *m_model);
    return std::equal(resolved.tensors.begin(), resolved.tensors.end(), m_choices.begin(),
                      m_choices.end(), [](const cwb::TensorChoice& a, const cwb::TensorChoice& b) {
                          return a.name == b.name && a.precision == b.precision &&
                                 a.method == b.method;
                      });
}

cwb::Plan PrecisionPlanModel::plan() const {
    if (m_loaded && m_model) {
        cwb::Plan written = *m_loaded;
        written.calibration = m_calibration;
        if (choicesMatch(written)) {
            written.name = m_name;
            return written;
        }
    }
    return minimalPlan();
}

// planFromChoices() picks the most common precision as the default and writes a rule for every
// tensor whose method is not rtn; but a plan with a default method needs a rule for the tensors
// that are rtn instead, and none for those that follow it. So the rules are rebuilt against the
// plan's default method: one exact-name rule per tensor that differs from either default.
cwb::Plan PrecisionPlanModel::minimalPlan() const {
    cwb::Plan plan = cwb::planFromChoices(m_name, m_choices);
    plan.calibration = m_calibration;
    const cwb::QuantMethod byDefault = plan.defaultMethod();
    plan.rules.clear();
    for (const cwb::TensorChoice& c : m_choices)
        if (c.quantizable && (c.precision != plan.defaultPrecision || c.method != byDefault))
            plan.rules.push_back({QRegularExpression::escape(c.name),
                                  c.precision,
                                  c.method == byDefault ? std::nullopt : std::optional(c.method),
                                  {}});
    return plan;
}

cwb::SizeSummary PrecisionPlanModel::size() const {
    if (!m_model)
        return {};
    cwb::ResolvedPlan resolved;
    resolved.tensors = m_choices;
    return cwb::sizeOf(*m_model, resolved);
}

int PrecisionPlanModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_choices.size());
}

QVariant PrecisionPlanModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const cwb::TensorChoice& c = m_choices[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
        return precisionName(c.precision);
    case Qt::ToolTipRole:
        return wrappedToolTip(c.quantizable
                                  ? precisionToolTip(c.precision)
                                  : tr("Norms and other 1-D tensors stay f32: they are tiny, and "
                                       "quantizing them costs accuracy for no saving"));
    case Qt::DecorationRole:
        return precisionIcon(c.precision);
    case Qt::ForegroundRole:
        if (!c.quantizable)
            return QGuiApplication::palette().brush(QPalette::PlaceholderText);
        return {};
    case PrecisionRole:
        return int(c.precision);
    case QuantizableRole:
        return c.quantizable;
    case NameRole:
        return c.name;
    case MethodRole:
        return int(c.method);
    case ExplicitMethodRole:
        return m_methods[std::size_t(index.row())].has_value();
    case DefaultMethodRole:
        return int(defaultMethod());
    default:
        return {};
    }
}

bool PrecisionPlanModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) ||
        !isQuantizable(index.row()))
        return false;
    if (role == MethodRole) {
        const MethodValue method = methodFromVariant(value);
        if (!method.valid)
            return false;
        setMethod({index.row()}, method.method);
        return true;
    }
    if (role != Qt::EditRole && role != PrecisionRole)
        return false;
    const auto id = precisionFromVariant(value);
    if (!id)
        return false;
    setPrecision({index.row()}, *id);
    return true;
}

Qt::ItemFlags PrecisionPlanModel::flags(const QModelIndex& index) const {
    // Views ask about the invalid index (the root) too; that is no misuse.
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemNeverHasChildren;
    if (isQuantizable(index.row()))
        f |= Qt::ItemIsEditable;
    return f;
}
