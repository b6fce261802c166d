// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QStringList>

class QMenu;

// The File ▸ Open Recent list, kept in QSettings. A llama2.c checkpoint opened with a tokenizer
// the user chose is remembered with it, so reopening does not ask again.
class RecentFiles : public QObject {
    Q_OBJECT
public:
    static constexpr int MaxEntries = 10;

    explicit RecentFiles(QMenu* menu, QObject* parent = nullptr);

    void add(const QString& path, const QString& tokenizerPath = {});
    void clear();
    QStringList paths() const;
    QString tokenizerFor(const QString& path) const;

signals:
    void openRequested(const QString& path, const QString& tokenizerPath);

private:
    void rebuildMenu();

    QMenu* m_menu;
};
