// SPDX-License-Identifier: GPL-3.0-or-later
#include "reportpdf.h"

#include "reporthtml.h"
#include "textfile.h"

#include <QBuffer>
#include <QFileInfo>
#include <QFont>
#include <QImage>
#include <QJsonDocument>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgRenderer>
#include <QTextDocument>
#include <QUrl>

namespace {

// The plot's SVG drawn at twice its size, so that it stays sharp when printed.
QImage rasterize(const QString& svg) {
    QSvgRenderer renderer(svg.toUtf8());
    if (!renderer.isValid())
        return {};
    const QSize size = renderer.defaultSize() * 2;
    QImage image(size, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    renderer.render(&painter);
    return image;
}

QByteArray renderPdf(const QJsonObject& report) {
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    {
        QPdfWriter writer(&buffer);
        writer.setPageSize(QPageSize(QPageSize::A4));
        writer.setPageMargins(QMarginsF(18, 16, 18, 16), QPageLayout::Millimeter);
        writer.setResolution(144);
        writer.setTitle(QStringLiteral("Compression report: run %1")
                            .arg(report.value(QStringLiteral("run_id")).toInteger()));
        writer.setCreator(QStringLiteral("Compression Workbench"));

        QTextDocument doc;
        doc.setDefaultFont(QFont(QStringLiteral("DejaVu Sans"))); // has Δ, α and the arrows
        doc.setDefaultStyleSheet(
            QStringLiteral("body { font-size: 9pt; } code, pre { font-size: 7.5pt; }"));
        const QImage tradeoff = rasterize(cwb::tradeoffSvg(report));
        const QImage layerMap = rasterize(cwb::layerMapSvg(report));
        if (!tradeoff.isNull())
            doc.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("tradeoff.png")),
                            tradeoff);
        if (!layerMap.isNull())
            doc.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("layermap.png")),
                            layerMap);
        doc.setHtml(cwb::reportHtml(report, cwb::ReportImages::Named));
        doc.print(&writer);
    }
    return bytes;
}

} // namespace

bool isReportFormat(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("pdf") || suffix == QLatin1String("html") ||
           suffix == QLatin1String("htm") || suffix == QLatin1String("json");
}

cwb::Result<void> writeReport(const QJsonObject& report, const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("json"))
        return cwb::writeFileAtomically(path,
                                        QJsonDocument(report).toJson(QJsonDocument::Indented));
    if (suffix == QLatin1String("html") || suffix == QLatin1String("htm"))
        return cwb::writeFileAtomically(path, cwb::reportHtml(report).toUtf8());
    if (suffix == QLatin1String("pdf"))
        return cwb::writeFileAtomically(path, renderPdf(report));
    return cwb::Error{QStringLiteral("%1: a report is written as .pdf, .html or .json").arg(path)};
}
