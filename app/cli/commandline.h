// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMap>
#include <QString>
#include <QStringList>

#include <functional>
#include <limits>
#include <optional>
#include <vector>

namespace cwb::cli {

// One option of a command. The same table parses the arguments and prints --help.
struct Option {
    QString name;      // without the leading dashes
    QString valueName; // empty for a flag
    QString help;
};

struct Arguments {
    QStringList positional;
    QMap<QString, QString> values;
    QStringList flags;

    bool flag(const QString& name) const { return flags.contains(name); }
    QString value(const QString& name, const QString& fallback = {}) const {
        return values.value(name, fallback);
    }
    bool has(const QString& name) const { return values.contains(name); }
};

// A usage mistake: the command exits 2 with this reason.
struct UsageError {
    QString message;
};

struct Command {
    QString name;
    QString synopsis;            // "MODEL --text FILE [options]"
    QString summary;             // one line for `cwb help`
    QStringList positionalNames; // "[MODEL]" in brackets is optional
    std::vector<Option> options;
    std::function<int(const Arguments&)> run;
};

// Parses `args` (after the command name) against the command's option table.
std::optional<Arguments> parseArguments(const Command& command, const QStringList& args,
                                        UsageError& error);
QString commandHelp(const Command& command);

// Integer option values, range-checked; a bad value is a UsageError.
long long integerOption(const Arguments& a, const QString& name, long long fallback, long long min,
                        long long max);
// A real option value in [min, max] (max infinite: no upper bound), finite; a bad value is a
// UsageError.
double realOption(const Arguments& a, const QString& name, double fallback, double min,
                  double max = std::numeric_limits<double>::infinity());

} // namespace cwb::cli
