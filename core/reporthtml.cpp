// SPDX-License-Identifier: GPL-3.0-or-later
#include "reporthtml.h"

#include "pareto.h"
#include "precision.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace cwb {
namespace {

QString esc(const QString& s) {
    return s.toHtmlEscaped();
}

QString rgb(std::uint32_t c) {
    return QStringLiteral("#%1").arg(c, 6, 16, QLatin1Char('0'));
}

QString number(const QJsonValue& v, int precision = 4) {
    if (!v.isDouble())
        return QStringLiteral("–");
    const double d = v.toDouble();
    if (d != 0 && (std::abs(d) >= 1e7 || std::abs(d) < 1e-3))
        return QString::number(d, 'e', precision - 1);
    if (d == std::floor(d) && std::abs(d) < 1e15)
        return QLocale::c().toString(qint64(d)).replace(QLatin1Char(','), QChar(0x202f));
    return QString::number(d, 'g', precision + 2);
}

QString bytesText(const QJsonValue& v) {
    if (!v.isDouble())
        return QStringLiteral("–");
    double b = v.toDouble();
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        ++u;
    }
    return QStringLiteral("%1 %2 (%3 bytes)")
        .arg(b, 0, 'f', u == 0 ? 0 : 2)
        .arg(QLatin1String(units[u]))
        .arg(number(v));
}

// Rows of a two-column table: label, value (already HTML).
QString keyValueTable(const std::vector<std::pair<QString, QString>>& rows) {
    QString html = QStringLiteral("<table class=\"kv\" border=\"1\" cellspacing=\"0\" "
                                  "cellpadding=\"4\" width=\"100%\">\n");
    for (const auto& [key, value] : rows)
        html += QStringLiteral("<tr><th align=\"left\" width=\"28%\">%1</th><td>%2</td></tr>\n")
                    .arg(esc(key), value);
    return html + QStringLiteral("</table>\n");
}

QString code(const QString& s) {
    return QStringLiteral("<code>%1</code>").arg(esc(s));
}

// key = value pairs of a lineage step's settings or results; a plan by its name and default.
QString lineageValues(const QJsonObject& o) {
    QStringList parts;
    for (auto it = o.begin(); it != o.end(); ++it) {
        QString value;
        if (it.key() == QLatin1String("plan")) {
            const QJsonObject plan = it.value().toObject();
            value = plan.value(QStringLiteral("name")).toString();
            const QString fallback = plan.value(QStringLiteral("default")).toString();
            value =
                value.isEmpty() ? fallback : QStringLiteral("%1 (default %2)").arg(value, fallback);
        } else if (it.key() == QLatin1String("output_sha256")) {
            value = it.value().toString().left(16) + QStringLiteral("…");
        } else if (it.key() == QLatin1String("out")) {
            value = it.value().toString().section(QLatin1Char('/'), -1);
        } else if (it.value().isDouble()) {
            value = number(it.value());
        } else if (it.value().isString()) {
            value = it.value().toString();
        } else {
            value = QString::fromUtf8(
                QJsonDocument(it.value().toObject()).toJson(QJsonDocument::Compact));
        }
        parts << QStringLiteral("%1 = %2").arg(esc(it.key()), esc(value));
    }
    return parts.isEmpty() ? QStringLiteral("–") : parts.join(QStringLiteral("<br/>"));
}

// Every run that led to this one, the first (on the original model) first.
QString lineageTable(const QJsonArray& lineage) {
    QString html =
        QStringLiteral("<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\" width=\"100%\">\n"
                       "<tr><th>Step</th><th>Run</th><th>Kind</th><th>Model</th><th>Settings</th>"
                       "<th>Result</th></tr>\n");
    int step = 0;
    for (const QJsonValue& v : lineage) {
        const QJsonObject s = v.toObject();
        const QJsonObject model = s.value(QStringLiteral("model")).toObject();
        html += QStringLiteral("<tr><td>%1</td><td>%2<br/><span class=\"small\">%3</span></td>"
                               "<td>%4</td><td>%5<br/><span class=\"small\">%6 · %7 "
                               "parameters</span></td><td class=\"small\">%8</td>"
                               "<td class=\"small\">%9</td></tr>\n")
                    .arg(++step)
                    .arg(s.value(QStringLiteral("run_id")).toInteger())
                    .arg(esc(s.value(QStringLiteral("name")).toString()),
                         esc(s.value(QStringLiteral("kind")).toString()),
                         esc(model.value(QStringLiteral("path"))
                                 .toString()
                                 .section(QLatin1Char('/'), -1)),
                         code(model.value(QStringLiteral("sha256")).toString().left(16)),
                         number(model.value(QStringLiteral("parameters"))),
                         lineageValues(s.value(QStringLiteral("settings")).toObject()),
                         lineageValues(s.value(QStringLiteral("results")).toObject()));
    }
    return html + QStringLiteral("</table>\n");
}

// Linear or logarithmic axis mapping [lo, hi] onto [a, b] pixels.
struct Axis {
    double lo = 0, hi = 1;
    bool log = false;
    double a = 0, b = 1;
    double map(double v) const {
        const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                             : (v - lo) / (hi - lo);
        return a + t * (b - a);
    }
    std::vector<double> ticks() const {
        std::vector<double> out;
        if (log) {
            for (double p = std::floor(std::log10(lo)); p <= std::ceil(std::log10(hi)); ++p)
                if (const double v = std::pow(10.0, p); v >= lo * 0.999 && v <= hi * 1.001)
                    out.push_back(v);
            return out;
        }
        for (int i = 0; i <= 4; ++i)
            out.push_back(lo + (hi - lo) * i / 4.0);
        return out;
    }
};

Axis axisFor(std::vector<double> values, double a, double b, bool allowLog) {
    Axis axis;
    axis.a = a;
    axis.b = b;
    const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
    double lo = *mn, hi = *mx;
    if (allowLog && lo > 0 && hi / lo > 20) {
        axis.log = true;
        axis.lo = std::pow(10.0, std::floor(std::log10(lo)));
        axis.hi = std::pow(10.0, std::ceil(std::log10(hi)));
        return axis;
    }
    const double pad = hi > lo ? (hi - lo) * 0.08 : std::max(std::abs(hi) * 0.1, 1e-9);
    axis.lo = std::max(0.0, lo - pad);
    axis.hi = hi + pad;
    return axis;
}

QString svgText(double x, double y, const QString& text, const char* anchor = "middle",
                int size = 12, const char* extra = "") {
    return QStringLiteral("<text x=\"%1\" y=\"%2\" font-family=\"sans-serif\" font-size=\"%3\" "
                          "text-anchor=\"%4\"%5>%6</text>\n")
        .arg(x, 0, 'f', 1)
        .arg(y, 0, 'f', 1)
        .arg(size)
        .arg(QLatin1String(anchor),
             // One fill: an XML element may not repeat an attribute.
             QString::fromLatin1(extra).contains(QLatin1String("fill="))
                 ? QString::fromLatin1(extra)
                 : QStringLiteral(" fill=\"#222\"") + QString::fromLatin1(extra),
             esc(text));
}

QString svgDocument(int width, int height, const QString& body) {
    return QStringLiteral("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%1\" height=\"%2\" "
                          "viewBox=\"0 0 %1 %2\">\n<rect width=\"%1\" height=\"%2\" "
                          "fill=\"#ffffff\"/>\n%3</svg>\n")
        .arg(width)
        .arg(height)
        .arg(body);
}

QString imageTag(const QString& svg, const QString& name, ReportImages images, const QString& alt,
                 int width) {
    if (svg.isEmpty())
        return QStringLiteral("<p><i>%1: nothing to draw.</i></p>\n").arg(esc(alt));
    const QString src = images == ReportImages::Embedded
                            ? QStringLiteral("data:image/svg+xml;base64,") +
                                  QString::fromLatin1(svg.toUtf8().toBase64())
                            : name;
    // Both dimensions, scaled from the SVG's own: Qt's rich text lays out an image given only
    // its width wrongly when printing.
    static const QRegularExpression size(QStringLiteral("width=\"(\\d+)\" height=\"(\\d+)\""));
    const auto m = size.match(svg);
    const int height = m.hasMatch()
                           ? width * m.captured(2).toInt() / std::max(1, m.captured(1).toInt())
                           : width * 3 / 5;
    return QStringLiteral("<p><img src=\"%1\" width=\"%2\" height=\"%3\" alt=\"%4\"/></p>\n")
        .arg(src)
        .arg(width)
        .arg(height)
        .arg(esc(alt));
}

} // namespace

QString tradeoffSvg(const QJsonObject& report) {
    const QJsonArray runs = report.value(QStringLiteral("results"))
                                .toObject()
                                .value(QStringLiteral("tradeoff"))
                                .toArray();
    std::vector<double> xs, ys;
    std::vector<ParetoPoint> points;
    for (const QJsonValue& v : runs) {
        const QJsonObject r = v.toObject();
        xs.push_back(r.value(QStringLiteral("size_bytes")).toDouble() / (1024.0 * 1024.0));
        ys.push_back(std::max(r.value(QStringLiteral("kld_mean")).toDouble(), 1e-6));
        points.push_back({xs.back(), ys.back()});
    }
    if (points.empty())
        return {};
    constexpr int W = 640, H = 380, left = 80, right = 20, top = 40, bottom = 56;
    const Axis x = axisFor(xs, left, W - right, false);
    const Axis y = axisFor(ys, H - bottom, top, true);
    QString body = svgText(W / 2.0, 22,
                           QStringLiteral("Size against mean KLD, every evaluated run "
                                          "of this model"),
                           "middle", 14, " font-weight=\"bold\"");
    body += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"none\" "
                           "stroke=\"#999\"/>\n")
                .arg(left)
                .arg(top)
                .arg(W - left - right)
                .arg(H - top - bottom);
    for (double t : x.ticks()) {
        body += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#ddd\"/>\n")
                    .arg(x.map(t), 0, 'f', 1)
                    .arg(top)
                    .arg(H - bottom);
        body += svgText(x.map(t), H - bottom + 16, QString::number(t, 'g', 3));
    }
    for (double t : y.ticks()) {
        body += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"#ddd\"/>\n")
                    .arg(left)
                    .arg(y.map(t), 0, 'f', 1)
                    .arg(W - right);
        body += svgText(left - 6, y.map(t) + 4, QString::number(t, 'g', 3), "end");
    }
    body += svgText(left + (W - left - right) / 2.0, H - 14, QStringLiteral("size (MiB)"));
    body += svgText(18, top + (H - top - bottom) / 2.0,
                    y.log ? QStringLiteral("mean KLD (nats, log scale)")
                          : QStringLiteral("mean KLD (nats)"),
                    "middle", 12,
                    QStringLiteral(" transform=\"rotate(-90 18 %1)\"")
                        .arg(top + (H - top - bottom) / 2.0)
                        .toLatin1()
                        .constData());
    // The Pareto frontier: no other run is both smaller and closer to FP32.
    const auto front = paretoFront(points, Better::Lower, Better::Lower);
    if (front.size() > 1) {
        QStringList path;
        for (std::size_t i : front)
            path << QStringLiteral("%1,%2")
                        .arg(x.map(xs[i]), 0, 'f', 1)
                        .arg(y.map(ys[i]), 0, 'f', 1);
        body += QStringLiteral("<polyline points=\"%1\" fill=\"none\" stroke=\"#4a7fc1\" "
                               "stroke-width=\"1.5\" stroke-dasharray=\"5,3\"/>\n")
                    .arg(path.join(QLatin1Char(' ')));
    }
    int thisIndex = -1;
    for (int i = 0; i < int(points.size()); ++i) {
        const bool self = runs[i].toObject().value(QStringLiteral("this_run")).toBool();
        if (self)
            thisIndex = i;
        body += QStringLiteral("<circle cx=\"%1\" cy=\"%2\" r=\"%3\" fill=\"%4\" stroke=\"#333\" "
                               "stroke-width=\"0.8\"/>\n")
                    .arg(x.map(xs[i]), 0, 'f', 1)
                    .arg(y.map(ys[i]), 0, 'f', 1)
                    .arg(self ? 6 : 4)
                    .arg(self ? QStringLiteral("#c8463d") : QStringLiteral("#8a8f98"));
    }
    if (thisIndex >= 0) {
        const QJsonObject r = runs[thisIndex].toObject();
        body +=
            svgText(x.map(xs[std::size_t(thisIndex)]) + 9, y.map(ys[std::size_t(thisIndex)]) - 8,
                    QStringLiteral("run %1 (this report)")
                        .arg(r.value(QStringLiteral("run_id")).toInteger()),
                    "start", 11);
    }
    body +=
        svgText(W - right - 4, top + 14, QStringLiteral("dashed: the Pareto frontier"), "end", 11);
    return svgDocument(W, H, body);
}

QString layerMapSvg(const QJsonObject& report) {
    const QJsonObject map = report.value(QStringLiteral("results"))
                                .toObject()
                                .value(QStringLiteral("layer_map"))
                                .toObject();
    const QJsonArray kinds = map.value(QStringLiteral("kinds")).toArray();
    const QJsonArray rows = map.value(QStringLiteral("cells")).toArray();
    if (rows.isEmpty() || kinds.isEmpty())
        return {};
    constexpr int left = 70, top = 52, cellW = 76, cellH = 34;
    const int W = left + cellW * int(kinds.size()) + 20;
    const int H = top + cellH * int(rows.size()) + 60;
    QString body = svgText(W / 2.0, 22,
                           QStringLiteral("Layer map: precision and quantization "
                                          "error of every matrix"),
                           "middle", 14, " font-weight=\"bold\"");
    for (int k = 0; k < int(kinds.size()); ++k)
        body += svgText(left + cellW * (k + 0.5), top - 8, kinds[k].toString());
    for (int l = 0; l < int(rows.size()); ++l) {
        body += svgText(left - 8, top + cellH * (l + 0.5) + 4, QStringLiteral("block %1").arg(l),
                        "end");
        const QJsonArray row = rows[l].toArray();
        for (int k = 0; k < int(row.size()); ++k) {
            const QJsonObject cell = row[k].toObject();
            const auto id = precisionByName(cell.value(QStringLiteral("precision")).toString());
            const QString fill = id ? rgb(precisionRgb(*id)) : QStringLiteral("#eeeeee");
            body += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" "
                                   "fill=\"%5\" stroke=\"#ffffff\" stroke-width=\"2\"/>\n")
                        .arg(left + cellW * k)
                        .arg(top + cellH * l)
                        .arg(cellW)
                        .arg(cellH)
                        .arg(fill);
            // Two lines: the precision, and its error under it.
            const double cx = left + cellW * (k + 0.5), cy = top + cellH * (l + 0.5);
            body += svgText(cx, cy - 2, cell.value(QStringLiteral("precision")).toString(),
                            "middle", 10, " fill=\"#ffffff\"");
            if (const QJsonValue e = cell.value(QStringLiteral("quant_error")); e.isDouble())
                body +=
                    svgText(cx, cy + 11, QStringLiteral("%1%").arg(100 * e.toDouble(), 0, 'f', 1),
                            "middle", 9, " fill=\"#ffffff\"");
        }
    }
    // Legend: one swatch per weight width.
    int at = left;
    const int y = top + cellH * int(rows.size()) + 24;
    for (PrecisionId id : {PrecisionId::Fp32, PrecisionId::Fp16, PrecisionId::Int8,
                           PrecisionId::Int4G32, PrecisionId::Int2G16}) {
        body += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"14\" height=\"14\" fill=\"%3\"/>\n")
                    .arg(at)
                    .arg(y - 11)
                    .arg(rgb(precisionRgb(id)));
        body += svgText(at + 18, y, QStringLiteral("%1 bits").arg(precisionInfo(id).weightBits),
                        "start", 11);
        at += 82;
    }
    body += svgText(left, y + 22, QStringLiteral("percent: relative RMS error of round-to-nearest"),
                    "start", 11);
    return svgDocument(W, H, body);
}

QString reportHtml(const QJsonObject& report, ReportImages images) {
    const QJsonObject summary = report.value(QStringLiteral("summary")).toObject();
    const QJsonObject model = report.value(QStringLiteral("model")).toObject();
    const QJsonObject method = report.value(QStringLiteral("method")).toObject();
    const QJsonObject data = report.value(QStringLiteral("data")).toObject();
    const QJsonObject results = report.value(QStringLiteral("results")).toObject();
    const QJsonObject environment = report.value(QStringLiteral("environment")).toObject();
    const QJsonObject reproduction = report.value(QStringLiteral("reproduction")).toObject();
    const QJsonObject signoff = report.value(QStringLiteral("signoff")).toObject();
    const qint64 runId = report.value(QStringLiteral("run_id")).toInteger();
    const QString runName = summary.value(QStringLiteral("run_name")).toString();

    QString h =
        QStringLiteral(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<title>Compression report: run %1</title>\n<style>\n"
            "body { font-family: DejaVu Sans, sans-serif; font-size: 10pt; color: #222; %2}\nh1 "
            "{ font-size: 18pt; } h2 { font-size: 13pt; margin-top: 1.4em; "
            "border-bottom: 1px solid #999; }\ntable { border-collapse: collapse; } "
            "th, td { border: 1px solid #bbb; padding: 3px 6px; vertical-align: top; }\n"
            "th { background: #eef1f5; } code, pre { font-family: monospace; font-size: 8.5pt; }\n"
            "pre { white-space: pre-wrap; background: #f6f6f6; padding: 6px; }\n"
            ".warn { color: #a0281e; } .small { font-size: 8.5pt; color: #555; }\n"
            "</style></head><body>\n")
            .arg(runId)
            .arg(images == ReportImages::Embedded
                     ? QStringLiteral("max-width: 60em; margin: 1em auto; ") // a browser window
                     : QString());                                           // a printed page
    h += QStringLiteral("<h1>Compression report: run %1%2</h1>\n")
             .arg(runId)
             .arg(runName.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(esc(runName)));
    h += QStringLiteral("<p class=\"small\">Model %1 · generated %2 by Compression Workbench %3 · "
                        "report digest (sha256) %4</p>\n")
             .arg(esc(summary.value(QStringLiteral("model")).toString()),
                  esc(environment.value(QStringLiteral("report_generated_at")).toString()),
                  esc(environment.value(QStringLiteral("report_tool_version")).toString()),
                  code(report.value(QStringLiteral("digest"))
                           .toObject()
                           .value(QStringLiteral("value"))
                           .toString()));

    // 1. Summary
    h += QStringLiteral("<h2>1. Summary</h2>\n<p>%1</p>\n")
             .arg(esc(summary.value(QStringLiteral("text")).toString()));
    h += keyValueTable({
        {QStringLiteral("Size before → after"),
         bytesText(summary.value(QStringLiteral("size_before_bytes"))) + QStringLiteral(" → ") +
             bytesText(summary.value(QStringLiteral("size_after_bytes")))},
        {QStringLiteral("Bits per weight"), number(summary.value(QStringLiteral("bpw")))},
        {QStringLiteral("Perplexity before → after"),
         number(summary.value(QStringLiteral("ppl_before"))) + QStringLiteral(" → ") +
             number(summary.value(QStringLiteral("ppl_after")))},
        {QStringLiteral("Mean KLD against FP32"),
         number(summary.value(QStringLiteral("kld_mean")))},
        {QStringLiteral("Top-1 agreement"),
         number(summary.value(QStringLiteral("top1_agreement")))},
        {QStringLiteral("$ per 1,000 queries before → after"),
         summary.contains(QStringLiteral("cost_profile"))
             ? QStringLiteral("%1 → %2 on %3<br/><span class=\"small\">%4</span>")
                   .arg(number(summary.value(QStringLiteral("usd_per_1000_queries_before"))),
                        number(summary.value(QStringLiteral("usd_per_1000_queries_after"))),
                        esc(summary.value(QStringLiteral("cost_profile")).toString()),
                        esc(summary.value(QStringLiteral("cost_efficiency")).toString()))
             : QStringLiteral("–")},
    });

    // 2. Model identity
    const QJsonObject config = model.value(QStringLiteral("config")).toObject();
    QStringList configText;
    for (auto it = config.begin(); it != config.end(); ++it)
        configText << QStringLiteral("%1 = %2").arg(
            it.key(), it.value().isString() ? it.value().toString() : number(it.value(), 6));
    h += QStringLiteral("<h2>2. Model identity</h2>\n");
    h += keyValueTable({
        {QStringLiteral("File"), code(model.value(QStringLiteral("path")).toString())},
        {QStringLiteral("Size"), bytesText(model.value(QStringLiteral("size_bytes")))},
        {QStringLiteral("sha256"), code(model.value(QStringLiteral("sha256")).toString())},
        {QStringLiteral("Format"), esc(model.value(QStringLiteral("format")).toString())},
        {QStringLiteral("Architecture"),
         esc(model.value(QStringLiteral("architecture")).toString())},
        {QStringLiteral("Parameters"), number(model.value(QStringLiteral("parameters")))},
        {QStringLiteral("Configuration"), esc(configText.join(QStringLiteral(", ")))},
    });

    const QJsonArray lineage = report.value(QStringLiteral("lineage")).toArray();
    if (lineage.size() > 1)
        h += QStringLiteral("<p>Lineage: this run is step %1 of a chain of runs, each made on "
                            "the model the step before produced (or on the same model), from "
                            "the original model on:</p>\n")
                 .arg(lineage.size()) +
             lineageTable(lineage);
    else
        h += QStringLiteral("<p>Lineage: this run was made on the model above directly; no "
                            "recorded run produced it.</p>\n");

    // 3. Method
    h += QStringLiteral("<h2>3. Method</h2>\n<p>The plan, as applied:</p>\n<pre>%1</pre>\n")
             .arg(esc(
                 QString::fromUtf8(QJsonDocument(method.value(QStringLiteral("plan")).toObject())
                                       .toJson(QJsonDocument::Indented))));
    const QJsonValue calibration = method.value(QStringLiteral("calibration"));
    if (calibration.isObject()) {
        QStringList c;
        const QJsonObject o = calibration.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            c << QStringLiteral("%1 = %2").arg(
                it.key(), it.value().isString() ? it.value().toString() : number(it.value(), 6));
        h += QStringLiteral("<p>Calibration: %1.</p>\n").arg(esc(c.join(QStringLiteral(", "))));
    } else {
        h += QStringLiteral("<p>No calibration: every tensor was quantized by round-to-nearest "
                            "from its own weights.</p>\n");
    }
    h += QStringLiteral("<p>Every tensor, its precision, method, bytes and quantization error "
                        "(relative RMS error of round-to-nearest at its precision):</p>\n"
                        "<table border=\"1\" cellspacing=\"0\" cellpadding=\"3\" width=\"100%\">"
                        "<tr><th align=\"left\">Tensor</th><th>Precision</th><th>Method</th>"
                        "<th align=\"right\">Bytes</th><th align=\"right\">Error</th></tr>\n");
    for (const QJsonValue& v : method.value(QStringLiteral("tensors")).toArray()) {
        const QJsonObject t = v.toObject();
        const QJsonValue e = t.value(QStringLiteral("quant_error"));
        h += QStringLiteral("<tr><td><code>%1</code></td><td>%2</td><td>%3</td>"
                            "<td align=\"right\">%4</td><td align=\"right\">%5</td></tr>\n")
                 .arg(esc(t.value(QStringLiteral("tensor")).toString()),
                      esc(t.value(QStringLiteral("precision")).toString()),
                      esc(t.value(QStringLiteral("method")).toString()),
                      number(t.value(QStringLiteral("bytes"))),
                      e.isDouble() ? QStringLiteral("%1%").arg(100 * e.toDouble(), 0, 'f', 2)
                                   : QStringLiteral("–"));
    }
    h += QStringLiteral("</table>\n");

    // 4. Data
    auto textRows = [&](const QString& what, const QJsonValue& v) {
        if (!v.isObject())
            return std::vector<std::pair<QString, QString>>{{what, QStringLiteral("none")}};
        const QJsonObject t = v.toObject();
        return std::vector<std::pair<QString, QString>>{
            {what, code(t.value(QStringLiteral("path")).toString())},
            {what + QStringLiteral(" sha256"), code(t.value(QStringLiteral("sha256")).toString())},
            {what + QStringLiteral(" tokens"), number(t.value(QStringLiteral("tokens")))}};
    };
    auto dataRows =
        textRows(QStringLiteral("Evaluation text"), data.value(QStringLiteral("evaluation")));
    for (auto& row :
         textRows(QStringLiteral("Calibration text"), data.value(QStringLiteral("calibration"))))
        dataRows.push_back(row);
    const QJsonValue mismatch = data.value(QStringLiteral("mismatch"));
    dataRows.push_back({QStringLiteral("Calibration against evaluation"),
                        mismatch.isObject()
                            ? esc(mismatch.toObject().value(QStringLiteral("message")).toString())
                            : QStringLiteral("not checked (no calibration text)")});
    h += QStringLiteral("<h2>4. Data</h2>\n") + keyValueTable(dataRows);

    // 5. Results
    h += QStringLiteral(
        "<h2>5. Results</h2>\n"
        "<table border=\"1\" cellspacing=\"0\" cellpadding=\"3\" width=\"100%\">"
        "<tr><th align=\"left\" width=\"24%\">Metric</th><th align=\"right\">Before</th>"
        "<th align=\"right\">After</th><th align=\"right\">±</th>"
        "<th align=\"left\">What it is</th></tr>\n");
    for (const QJsonValue& v : results.value(QStringLiteral("metrics")).toArray()) {
        const QJsonObject m = v.toObject();
        const QString unit = m.value(QStringLiteral("unit")).toString();
        h += QStringLiteral("<tr><td>%1<br/><span class=\"small\"><code>%2</code>%3</span></td>"
                            "<td align=\"right\">%4</td><td align=\"right\">%5</td>"
                            "<td align=\"right\">%6</td><td class=\"small\">%7</td></tr>\n")
                 .arg(esc(m.value(QStringLiteral("label")).toString()),
                      esc(m.value(QStringLiteral("name")).toString()),
                      unit.isEmpty() ? QString() : QStringLiteral(", ") + esc(unit),
                      number(m.value(QStringLiteral("before"))),
                      number(m.value(QStringLiteral("value"))),
                      number(m.value(QStringLiteral("uncertainty")), 2),
                      esc(m.value(QStringLiteral("description")).toString()));
    }
    h += QStringLiteral("</table>\n<p class=\"small\">± is one standard error. Timings depend on "
                        "the machine and are not part of the reproducibility claim.</p>\n");
    h += imageTag(tradeoffSvg(report), QStringLiteral("tradeoff.png"), images,
                  QStringLiteral("Trade-off plot"), 560);
    h += imageTag(layerMapSvg(report), QStringLiteral("layermap.png"), images,
                  QStringLiteral("Layer map"), 520);

    // 6. Warnings
    h += QStringLiteral("<h2>6. Warnings</h2>\n");
    const QJsonArray warnings = report.value(QStringLiteral("warnings")).toArray();
    if (warnings.isEmpty()) {
        h += QStringLiteral("<p>None.</p>\n");
    } else {
        h += QStringLiteral("<ul>\n");
        for (const QJsonValue& w : warnings)
            h += QStringLiteral("<li class=\"warn\">%1</li>\n").arg(esc(w.toString()));
        h += QStringLiteral("</ul>\n");
    }

    // 7. Environment
    h += QStringLiteral("<h2>7. Environment</h2>\n");
    h += keyValueTable({
        {QStringLiteral("Tool"),
         esc(QStringLiteral("Compression Workbench %1, commit %2")
                 .arg(environment.value(QStringLiteral("tool_version")).toString(),
                      environment.value(QStringLiteral("tool_commit")).toString()))},
        {QStringLiteral("CPU"), esc(environment.value(QStringLiteral("cpu")).toString())},
        {QStringLiteral("Threads"), number(environment.value(QStringLiteral("threads")))},
        {QStringLiteral("oneDNN"),
         esc(environment.value(QStringLiteral("onednn_version")).toString())},
        {QStringLiteral("Run started / finished"),
         esc(environment.value(QStringLiteral("started_at")).toString() + QStringLiteral(" / ") +
             environment.value(QStringLiteral("finished_at")).toString())},
    });

    // 8. Reproduction
    h += QStringLiteral("<h2>8. Reproduction</h2>\n<p>The command that made this run:</p>\n"
                        "<pre>%1</pre>\n<p>To check this report, with the JSON export of it and "
                        "the files it names: <code>%2</code>. It verifies every file's sha256 and "
                        "the report's own digest, recomputes the run and names any metric that "
                        "differs.</p>\n")
             .arg(esc(reproduction.value(QStringLiteral("command")).toString()),
                  esc(reproduction.value(QStringLiteral("check")).toString()));

    // 9. Sign-off
    auto field = [&](const char* key) {
        const QString v = signoff.value(QLatin1String(key)).toString();
        return v.isEmpty() ? QStringLiteral("&nbsp;<br/>&nbsp;") : esc(v);
    };
    h += QStringLiteral("<h2>9. Sign-off</h2>\n");
    h += keyValueTable(
        {{QStringLiteral("Reviewer"), field("reviewer")},
         {QStringLiteral("Role"), field("role")},
         {QStringLiteral("Date"), field("date")},
         {QStringLiteral("Decision (approve / reject / conditions)"), field("decision")},
         {QStringLiteral("Signature"), QStringLiteral("&nbsp;<br/>&nbsp;")}});
    h += QStringLiteral("</body></html>\n");
    return h;
}

} // namespace cwb
