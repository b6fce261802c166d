// SPDX-License-Identifier: GPL-3.0-or-later
// compression-workbench: the desktop face of Compression Workbench.
#include "mainwindow.h"

#include "version.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("CompressionWorkbench"));
    QApplication::setApplicationName(QStringLiteral("compression-workbench"));
    QApplication::setApplicationDisplayName(QStringLiteral("Compression Workbench"));
    QApplication::setApplicationVersion(QStringLiteral(CWB_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("compression-workbench"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Shrink language models without breaking them. Opens MODEL (a GGUF file or "
                       "a llama2.c checkpoint), or the bundled demo model."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("model file to open"),
                                 QStringLiteral("[MODEL]"));
    const QCommandLineOption tokenizer(
        QStringLiteral("tokenizer"),
        QStringLiteral("llama2.c tokenizer.bin (default: found beside the model)"),
        QStringLiteral("FILE"));
    parser.addOption(tokenizer);
    parser.process(app);

    const QStringList models = parser.positionalArguments();
    if (models.size() > 1)
        parser.showHelp(2);

    MainWindow window;
    window.show();
    // A model that fails to open leaves its reason in a dialog over an empty window, rather than
    // silently showing the demo in its place.
    if (models.isEmpty())
        window.openDemoModel();
    else
        window.openModel(models.first(), parser.value(tokenizer));
    return QApplication::exec();
}
