// SPDX-License-Identifier: GPL-3.0-or-later
#include "precisionstyle.h"

#include <QPainter>
#include <QPixmap>

#include <array>

QColor precisionColor(cwb::PrecisionId id) {
    return QColor::fromRgb(cwb::precisionRgb(id));
}

QIcon precisionIcon(cwb::PrecisionId id) {
    // Built once per precision: item views ask for the decoration of every visible cell on every
    // repaint.
    static std::array<QIcon, 16> cache;
    QIcon& icon = cache.at(std::size_t(id));
    if (icon.isNull()) {
        for (int size : {12, 16, 24}) {
            QPixmap pixmap(size, size);
            pixmap.fill(Qt::transparent);
            QPainter p(&pixmap);
            p.setRenderHint(QPainter::Antialiasing);
            const QColor color = precisionColor(id);
            p.setPen(QPen(color.darker(130), 1));
            p.setBrush(color);
            const qreal inset = size / 4.0;
            p.drawEllipse(QRectF(inset, inset, size - 2 * inset, size - 2 * inset));
            icon.addPixmap(pixmap);
        }
    }
    return icon;
}

QString precisionToolTip(cwb::PrecisionId id) {
    const cwb::PrecisionInfo& info = cwb::precisionInfo(id);
    return QStringLiteral("%1 — %2").arg(QLatin1String(info.name), QLatin1String(info.summary));
}
