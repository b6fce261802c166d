// SPDX-License-Identifier: GPL-3.0-or-later
#include "runstoreoptions.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace cwb::cli {

Option dbOption() {
    return {QStringLiteral("db"), QStringLiteral("FILE"),
            QStringLiteral("run database (default: $CWB_DB or the user's data folder)")};
}

Result<std::unique_ptr<RunStore>> openRunStore(const Arguments& a) {
    return RunStore::open(a.value(QStringLiteral("db"), RunStore::defaultPath()));
}

Option parentOption() {
    return {QStringLiteral("parent"), QStringLiteral("RUN_ID"),
            QStringLiteral("the run this one continues (lineage; default: the run that wrote "
                           "the model file, if one is recorded)")};
}

Result<std::optional<std::int64_t>> parentRun(const Arguments& a, RunStore& store) {
    if (!a.has(QStringLiteral("parent")))
        return std::optional<std::int64_t>{};
    const std::int64_t id = integerOption(a, QStringLiteral("parent"), 0, 1, 1ll << 62);
    if (auto run = store.get(id); !run)
        return Error{QStringLiteral("--parent %1: %2").arg(id).arg(run.error().message)};
    return std::optional<std::int64_t>{id};
}

QString invokedCommand() {
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    QStringList parts{QStringLiteral("cwb")};
    const QStringList args = QCoreApplication::arguments().mid(1);
    for (QString arg : args) {
        if (!plain.match(arg).hasMatch())
            arg = QLatin1Char('\'') + arg.replace(QLatin1Char('\''), QLatin1String("'\\''")) +
                  QLatin1Char('\'');
        parts << arg;
    }
    return parts.join(QLatin1Char(' '));
}

} // namespace cwb::cli
