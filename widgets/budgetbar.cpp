// SPDX-License-Identifier: GPL-3.0-or-later
#include "budgetbar.h"

#include "modelsummary.h"

#include <QEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <limits>

namespace {
constexpr int kTextGap = 4;
} // namespace

BudgetBar::BudgetBar(QWidget* parent)
    : QWidget(parent) {
    setObjectName(QStringLiteral("budgetBar"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    clear();
}

void BudgetBar::clear() {
    m_size.reset();
    m_text = tr("No model open");
    setToolTip({});
    update();
}

void BudgetBar::setSize(const cwb::SizeSummary& size) {
    m_size = size;
    m_text = tr("%1 of %2 · %3 bpw · %4% smaller")
                 .arg(cwb::formatBytes(size.totalBytes), cwb::formatBytes(size.fp32Bytes))
                 .arg(size.bitsPerWeight, 0, 'f', 2)
                 .arg(100.0 * size.savingVsFp32(), 0, 'f', 1);
    const std::uint64_t rest = size.totalBytes - size.matrixBytes;
    setToolTip(tr("<p>Packed size of the plan, scales and zero points included, against the same "
                  "model in 32-bit floats.</p>"
                  "<table>"
                  "<tr><td>Weight matrices</td><td align=right>%1 bytes</td></tr>"
                  "<tr><td>Other tensors (f32)</td><td align=right>%2 bytes</td></tr>"
                  "<tr><td>Total</td><td align=right><b>%3 bytes</b></td></tr>"
                  "<tr><td>FP32 model</td><td align=right>%4 bytes</td></tr>"
                  "</table>"
                  "<p>Bits per weight: 8 × matrix bytes / %5 matrix weights.</p>")
                   .arg(cwb::formatCount(std::int64_t(size.matrixBytes)),
                        cwb::formatCount(std::int64_t(rest)),
                        cwb::formatCount(std::int64_t(size.totalBytes)),
                        cwb::formatCount(std::int64_t(size.fp32Bytes)),
                        cwb::formatCount(size.matrixParameters)));
    update();
}

double BudgetBar::bitsPerWeight() const {
    return m_size ? m_size->bitsPerWeight : std::numeric_limits<double>::quiet_NaN();
}

int BudgetBar::barHeight() const {
    return std::max(6, fontMetrics().height() / 2);
}

QSize BudgetBar::sizeHint() const {
    const QFontMetrics fm = fontMetrics();
    return {fm.horizontalAdvance(m_text) + 8, fm.height() + kTextGap + barHeight() + 2};
}

QSize BudgetBar::minimumSizeHint() const {
    return {120, sizeHint().height()};
}

void BudgetBar::changeEvent(QEvent* event) {
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange)
        updateGeometry();
    QWidget::changeEvent(event);
}

void BudgetBar::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm = fontMetrics();
    const QRect textRect(0, 0, width(), fm.height());
    const QRectF track(0.5, fm.height() + kTextGap + 0.5, width() - 1.0, barHeight() - 1.0);
    const qreal radius = track.height() / 2;

    // The packed size in bold, the rest as context.
    const QString size = m_size ? cwb::formatBytes(m_size->totalBytes) : QString();
    const QString rest = m_size ? m_text.mid(size.size()) : m_text;
    QFont bold = font();
    bold.setBold(true);
    p.setPen(palette().color(m_size ? QPalette::WindowText : QPalette::PlaceholderText));
    p.setFont(bold);
    p.drawText(textRect, Qt::AlignLeft | Qt::AlignVCenter, size);
    p.setFont(font());
    const int x = QFontMetrics(bold).horizontalAdvance(size);
    p.drawText(textRect.adjusted(x, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(rest, Qt::ElideRight, textRect.width() - x));

    QPainterPath trackPath;
    trackPath.addRoundedRect(track, radius, radius);
    p.setPen(QPen(palette().color(QPalette::Mid), 1));
    p.setBrush(palette().color(QPalette::Base));
    p.drawPath(trackPath);
    if (!m_size || m_size->fp32Bytes == 0)
        return;
    const double fraction =
        std::clamp(double(m_size->totalBytes) / double(m_size->fp32Bytes), 0.0, 1.0);
    QRectF fill = track;
    fill.setWidth(std::max(track.height(), track.width() * fraction));
    p.setClipPath(trackPath);
    p.setPen(Qt::NoPen);
    p.setBrush(palette().color(QPalette::Highlight));
    p.drawRoundedRect(fill, radius, radius);
}
