// SPDX-License-Identifier: GPL-3.0-or-later
#include "recentfiles.h"

#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>
#include <QVariantMap>

namespace {
const QString kFilesKey = QStringLiteral("recentFiles/paths");
const QString kTokenizersKey = QStringLiteral("recentFiles/tokenizers");
} // namespace

RecentFiles::RecentFiles(QMenu* menu, QObject* parent)
    : QObject(parent)
    , m_menu(menu) {
    rebuildMenu();
}

QStringList RecentFiles::paths() const {
    return QSettings().value(kFilesKey).toStringList();
}

QString RecentFiles::tokenizerFor(const QString& path) const {
    return QSettings().value(kTokenizersKey).toMap().value(path).toString();
}

void RecentFiles::add(const QString& path, const QString& tokenizerPath) {
    // Bundled files have no place on disk to come back to.
    if (path.startsWith(QLatin1String(":/")))
        return;
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList list = paths();
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > MaxEntries)
        list.removeLast();

    QVariantMap tokenizers;
    const QVariantMap old = QSettings().value(kTokenizersKey).toMap();
    for (const QString& p : list)
        if (old.contains(p))
            tokenizers.insert(p, old.value(p));
    if (tokenizerPath.isEmpty())
        tokenizers.remove(absolute);
    else
        tokenizers.insert(absolute, QFileInfo(tokenizerPath).absoluteFilePath());

    QSettings settings;
    settings.setValue(kFilesKey, list);
    settings.setValue(kTokenizersKey, tokenizers);
    rebuildMenu();
}

void RecentFiles::clear() {
    QSettings settings;
    settings.remove(kFilesKey);
    settings.remove(kTokenizersKey);
    rebuildMenu();
}

void RecentFiles::rebuildMenu() {
    m_menu->clear();
    const QStringList list = paths();
    for (int i = 0; i < list.size(); ++i) {
        const QString& path = list.at(i);
        // Mnemonics 1..9, then 0 for the tenth.
        const QString text =
            QStringLiteral("&%1 %2")
                .arg((i + 1) % 10)
                .arg(QFileInfo(path).fileName().replace(QLatin1Char('&'), QLatin1String("&&")));
        QAction* action = m_menu->addAction(text);
        action->setToolTip(QDir::toNativeSeparators(path));
        action->setStatusTip(QDir::toNativeSeparators(path));
        connect(action, &QAction::triggered, this,
                [this, path] { emit openRequested(path, tokenizerFor(path)); });
    }
    if (!list.isEmpty())
        m_menu->addSeparator();
    QAction* clearAction = m_menu->addAction(tr("&Clear List"), this, &RecentFiles::clear);
    clearAction->setEnabled(!list.isEmpty());
}
