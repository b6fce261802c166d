// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QFrame>
#include <QStringList>

class QLabel;

// A dismissable strip over a page for things the user should know about what just happened (a
// plan's rules that matched nothing), without a dialog to click away. Hidden while empty.
class WarningStrip : public QFrame {
    Q_OBJECT
public:
    explicit WarningStrip(QWidget* parent = nullptr);

    // `title` in bold, then one line per warning.
    void showWarnings(const QString& title, const QStringList& warnings);
    void dismiss();

    QStringList warnings() const { return m_warnings; }
    QString text() const;

private:
    QLabel* m_icon;
    QLabel* m_text;
    QStringList m_warnings;
};
