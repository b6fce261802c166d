// SPDX-License-Identifier: GPL-3.0-or-later
// cwb: the command-line face of Compression Workbench.
#include "cli/commands.h"
#include "cli/terminal.h"

#include "version.h"

#include <QGuiApplication>

#include <cstdio>
#include <memory>

using namespace cwb::cli;

namespace {

std::vector<Command> commands() {
    return {infoCommand(),   evalCommand(),      calibrateCommand(),   benchCommand(),
            runsCommand(),   hardwareCommand(),  costCommand(),        quantizeCommand(),
            reportCommand(), reproduceCommand(), sensitivityCommand(), searchCommand(),
            pruneCommand(),  distillCommand(),   generateCommand()};
}

QString overview() {
    QString text = QStringLiteral("Usage: cwb COMMAND [options]\n\nCommands:\n");
    for (const Command& c : commands())
        text += QStringLiteral("  %1 %2\n").arg(c.name, -10).arg(c.summary);
    text +=
        QStringLiteral("\n'cwb help COMMAND' or 'cwb COMMAND --help' shows a command's options.\n"
                       "Exit status: 0 success, 1 failure, 2 bad usage.\n");
    return text;
}

int usage(const QString& message) {
    printError(message);
    std::fprintf(stderr, "Try 'cwb help'.\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    // Rendering a PDF report lays out text, which needs a GUI application, though never a
    // display.
    const bool needsGui = argc > 1 && qstrcmp(argv[1], "report") == 0;
    if (needsGui && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    const std::unique_ptr<QCoreApplication> app =
        needsGui ? std::make_unique<QGuiApplication>(argc, argv)
                 : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("compression-workbench"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CWB_VERSION));
    QStringList args = QCoreApplication::arguments().mid(1);
    if (args.isEmpty())
        return usage(QStringLiteral("no command given"));
    const QString name = args.takeFirst();
    if (name == QLatin1String("--version") || name == QLatin1String("version")) {
        printOut(QStringLiteral("cwb %1 (%2)\n")
                     .arg(QStringLiteral(CWB_VERSION), QStringLiteral(CWB_GIT_COMMIT)));
        return 0;
    }
    if (name == QLatin1String("help") || name == QLatin1String("--help") ||
        name == QLatin1String("-h")) {
        if (!args.isEmpty())
            for (const Command& c : commands())
                if (c.name == args.first()) {
                    printOut(commandHelp(c));
                    return 0;
                }
        if (!args.isEmpty())
            return usage(QStringLiteral("unknown command '%1'").arg(args.first()));
        printOut(overview());
        return 0;
    }
    for (const Command& c : commands()) {
        if (c.name != name)
            continue;
        if (args.contains(QLatin1String("--help")) || args.contains(QLatin1String("-h"))) {
            printOut(commandHelp(c));
            return 0;
        }
        try {
            UsageError error;
            const auto parsed = parseArguments(c, args, error);
            if (!parsed)
                return usage(error.message);
            return c.run(*parsed);
        } catch (const UsageError& e) {
            return usage(e.message);
        }
    }
    return usage(QStringLiteral("unknown command '%1'").arg(name));
}
