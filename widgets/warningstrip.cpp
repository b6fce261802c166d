// SPDX-License-Identifier: GPL-3.0-or-later
#include "warningstrip.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>

WarningStrip::WarningStrip(QWidget* parent)
    : QFrame(parent)
    , m_icon(new QLabel(this))
    , m_text(new QLabel(this)) {
    setObjectName(QStringLiteral("warningStrip"));
    // Amber on a pale ground reads as "look here" in light and dark themes alike, unlike the
    // palette's colours, which have no warning role.
    setStyleSheet(QStringLiteral("WarningStrip { background: #fff4de; border: 1px solid #e3b14f; "
                                 "border-radius: 4px; } WarningStrip QLabel { color: #5c3b00; }"));
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize);
    m_icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(iconSize));
    m_icon->setAlignment(Qt::AlignTop);
    m_text->setObjectName(QStringLiteral("warningText"));
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::RichText);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* close = new QToolButton(this);
    close->setObjectName(QStringLiteral("dismissWarnings"));
    close->setAutoRaise(true);
    close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    close->setToolTip(tr("Dismiss"));
    connect(close, &QToolButton::clicked, this, &WarningStrip::dismiss);

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 6, 4, 6);
    layout->addWidget(m_icon, 0, Qt::AlignTop);
    layout->addWidget(m_text, 1);
    layout->addWidget(close, 0, Qt::AlignTop);
    hide();
}

void WarningStrip::showWarnings(const QString& title, const QStringList& warnings) {
    m_warnings = warnings;
    if (warnings.isEmpty()) {
        dismiss();
        return;
    }
    QStringList lines;
    for (const QString& w : warnings)
        lines << w.toHtmlEscaped();
    m_text->setText(QStringLiteral("<b>%1</b><br>%2")
                        .arg(title.toHtmlEscaped(), lines.join(QStringLiteral("<br>"))));
    show();
}

void WarningStrip::dismiss() {
    m_warnings.clear();
    m_text->clear();
    hide();
}

QString WarningStrip::text() const {
    return m_warnings.join(QLatin1Char('\n'));
}
