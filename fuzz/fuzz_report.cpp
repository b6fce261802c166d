// SPDX-License-Identifier: GPL-3.0-or-later
// Report JSON as `cwb reproduce` reads it (limits, format, digest), and the HTML rendering of
// whatever passes, since a report's content is rendered for reviewers.
#include "fuzzsupport.h"

#include "report.h"
#include "reporthtml.h"

#include <QJsonDocument>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    const QString path = cwbfuzz::writeInput(data, size, QStringLiteral("report.json"));
    (void)cwb::readReportFile(path);
    // The renderer must cope with any object, digest or not.
    const QJsonDocument doc = QJsonDocument::fromJson(
        QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size)));
    if (doc.isObject())
        (void)cwb::reportHtml(doc.object());
    return 0;
}
