// SPDX-License-Identifier: GPL-3.0-or-later
#include "commandline.h"

#include <cmath>

namespace cwb::cli {

std::optional<Arguments> parseArguments(const Command& command, const QStringList& args,
                                        UsageError& error) {
    Arguments out;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& arg = args[i];
        if (!arg.startsWith(QLatin1String("--")) || arg == QLatin1String("--")) {
            out.positional << arg;
            continue;
        }
        QString name = arg.mid(2);
        QString inlineValue;
        bool hasInline = false;
        if (const auto eq = name.indexOf(QLatin1Char('=')); eq >= 0) {
            inlineValue = name.mid(eq + 1);
            name = name.left(eq);
            hasInline = true;
        }
        const Option* option = nullptr;
        for (const Option& o : command.options)
            if (o.name == name)
                option = &o;
        if (!option) {
            error.message = QStringLiteral("unknown option --%1 for '%2'").arg(name, command.name);
            return std::nullopt;
        }
        if (option->valueName.isEmpty()) {
            if (hasInline) {
                error.message = QStringLiteral("--%1 takes no value").arg(name);
                return std::nullopt;
            }
            out.flags << name;
            continue;
        }
        if (!hasInline) {
            if (i + 1 >= args.size()) {
                error.message =
                    QStringLiteral("--%1 needs a value (%2)").arg(name, option->valueName);
                return std::nullopt;
            }
            inlineValue = args[++i];
        }
        out.values.insert(name, inlineValue);
    }
    qsizetype required = 0;
    for (const QString& n : command.positionalNames)
        required += n.startsWith(QLatin1Char('[')) ? 0 : 1;
    if (out.positional.size() < required ||
        out.positional.size() > command.positionalNames.size()) {
        error.message = out.positional.size() < required
                            ? QStringLiteral("'%1' needs %2")
                                  .arg(command.name, command.positionalNames.join(QLatin1Char(' ')))
                            : QStringLiteral("'%1' takes %2 argument(s), got %3: %4")
                                  .arg(command.name)
                                  .arg(command.positionalNames.size())
                                  .arg(out.positional.size())
                                  .arg(out.positional.join(QLatin1Char(' ')));
        return std::nullopt;
    }
    return out;
}

QString commandHelp(const Command& command) {
    QString text = QStringLiteral("Usage: cwb %1 %2\n\n%3\n")
                       .arg(command.name, command.synopsis, command.summary);
    if (!command.options.empty()) {
        text += QStringLiteral("\nOptions:\n");
        for (const Option& o : command.options) {
            QString left = QStringLiteral("  --") + o.name;
            if (!o.valueName.isEmpty())
                left += QLatin1Char(' ') + o.valueName;
            text += left.leftJustified(26) + QLatin1Char(' ') + o.help + QLatin1Char('\n');
        }
    }
    return text;
}

long long integerOption(const Arguments& a, const QString& name, long long fallback, long long min,
                        long long max) {
    if (!a.has(name))
        return fallback;
    bool ok = false;
    const long long v = a.value(name).toLongLong(&ok);
    if (!ok || v < min || v > max)
        throw UsageError{QStringLiteral("--%1 must be an integer from %2 to %3, not '%4'")
                             .arg(name)
                             .arg(min)
                             .arg(max)
                             .arg(a.value(name))};
    return v;
}

double realOption(const Arguments& a, const QString& name, double fallback, double min,
                  double max) {
    if (!a.has(name))
        return fallback;
    bool ok = false;
    const double v = a.value(name).toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < min || v > max)
        throw UsageError{
            (std::isinf(max)
                 ? QStringLiteral("--%1 must be a number of at least %2").arg(name).arg(min)
                 : QStringLiteral("--%1 must be a number from %2 to %3")
                       .arg(name)
                       .arg(min)
                       .arg(max)) +
            QStringLiteral(", not '%1'").arg(a.value(name))};
    return v;
}

} // namespace cwb::cli
