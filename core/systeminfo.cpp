// SPDX-License-Identifier: GPL-3.0-or-later
#include "systeminfo.h"

#include <dnnl.hpp>

#include <QFile>
#include <QRegularExpression>

#include <unistd.h>

namespace cwb {
namespace {

std::uint64_t statusField(const char* field) {
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QRegularExpression re(QStringLiteral("^%1:\\s+(\\d+) kB").arg(QLatin1String(field)),
                                QRegularExpression::MultilineOption);
    const auto m = re.match(QString::fromLatin1(f.readAll()));
    return m.hasMatch() ? m.captured(1).toULongLong() * 1024 : 0;
}

} // namespace

QString cpuModelName() {
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (f.open(QIODevice::ReadOnly)) {
        const QRegularExpression re(QStringLiteral("^model name\\s*:\\s*(.+)$"),
                                    QRegularExpression::MultilineOption);
        const auto m = re.match(QString::fromLatin1(f.readAll()));
        if (m.hasMatch())
            return m.captured(1).trimmed();
    }
    return QStringLiteral("unknown CPU");
}

std::uint64_t peakResidentBytes() {
    return statusField("VmHWM");
}
std::uint64_t currentResidentBytes() {
    return statusField("VmRSS");
}

std::uint64_t physicalMemoryBytes() {
    const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
    return pages > 0 && pageSize > 0 ? std::uint64_t(pages) * std::uint64_t(pageSize) : 0;
}

QString oneDnnVersion() {
    const dnnl_version_t* v = dnnl_version();
    return QStringLiteral("%1.%2.%3").arg(v->major).arg(v->minor).arg(v->patch);
}

} // namespace cwb
