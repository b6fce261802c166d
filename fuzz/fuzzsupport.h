// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <unistd.h>

// What the harnesses share. Readers that take a path get the input written to a file of this
// process's own (libFuzzer runs one input at a time per process).
namespace cwbfuzz {

inline QString scratchDir() {
    static const QString dir = [] {
        const QString d = QDir::tempPath() + QStringLiteral("/cwb-fuzz-%1").arg(getpid());
        QDir().mkpath(d);
        return d;
    }();
    return dir;
}

inline QString writeInput(const std::uint8_t* data, std::size_t size, const QString& name) {
    const QString path = scratchDir() + QLatin1Char('/') + name;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        std::abort();
    if (size > 0 && f.write(reinterpret_cast<const char*>(data), qint64(size)) != qint64(size))
        std::abort();
    return path;
}

// Some readers use Qt's locale and codecs: one application object for the whole process.
inline void ensureApplication() {
    static int argc = 1;
    static char name[] = "cwb-fuzz";
    static char* argv[] = {name, nullptr};
    static QCoreApplication* app =
        QCoreApplication::instance() ? nullptr : new QCoreApplication(argc, argv);
    (void)app;
}

} // namespace cwbfuzz
