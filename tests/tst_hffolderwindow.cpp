// SPDX-License-Identifier: GPL-3.0-or-later
// A new user opens a Hugging Face model folder in the window: by File ▸ Open Folder's call and by
// dropping the folder on the window.
#include "hfbuilder.h"

#include "guitest.h"
#include "modelsummaryview.h"
#include "tensorview.h"

#include <QMimeData>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTemporaryDir>

class TestHfFolderWindow : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_hffolderwindow"));
    }

    void opensAFolder() {
        const QString folder = m_dir.filePath(QStringLiteral("stories260K-hf"));
        cwbtest::writeStories260KFolder(folder, cwbtest::HfDtype::BF16);
        auto w = cwbtest::openDemoWindow();
        QVERIFY(w->openModel(folder));
        QCOMPARE(w->model()->format, cwb::ModelFormat::HuggingFace);
        QCOMPARE(w->tensorView()->proxyModel()->rowCount(), 47);
        QCOMPARE(w->summaryView()->value(QStringLiteral("Format")),
                 QStringLiteral("Hugging Face safetensors"));
        QCOMPARE(w->windowTitle(), QStringLiteral("stories260K-hf — Compression Workbench"));
        QVERIFY(!cwbtest::errorBox(w.get()));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("main-hf-folder.png"));
    }

    void opensAFolderDroppedOnTheWindow() {
        const QString folder = m_dir.filePath(QStringLiteral("dropped"));
        cwbtest::writeStories260KFolder(folder, cwbtest::HfDtype::F32, 2);
        auto w = cwbtest::openDemoWindow();
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(folder)});
        QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton,
                              Qt::NoModifier);
        QCoreApplication::sendEvent(w.get(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(w.get(), &drop);
        QCOMPARE(QDir(w->model()->path), QDir(folder));
        QCOMPARE(w->summaryView()->value(QStringLiteral("Format")),
                 QStringLiteral("Hugging Face safetensors, 2 shards"));

        // A folder that is not a model is refused at the door.
        mime.setUrls({QUrl::fromLocalFile(m_dir.path())});
        QDragEnterEvent refused(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton,
                                Qt::NoModifier);
        QCoreApplication::sendEvent(w.get(), &refused);
        QVERIFY(!refused.isAccepted());
    }

    void aBrokenFolderShowsAReason() {
        const QString folder = m_dir.filePath(QStringLiteral("broken"));
        cwbtest::writeStories260KFolder(folder, cwbtest::HfDtype::F32);
        QJsonObject config = cwbtest::stories260KConfig();
        config[QStringLiteral("rope_scaling")] =
            QJsonObject{{QStringLiteral("type"), QStringLiteral("yarn")}};
        cwbtest::writeFile(QDir(folder).filePath(QStringLiteral("config.json")),
                           cwbtest::json(config));
        auto w = cwbtest::openDemoWindow();
        QVERIFY(!w->openModel(folder));
        QTRY_VERIFY(cwbtest::errorBox(w.get()));
        QVERIFY(cwbtest::errorBox(w.get())->text().contains(QLatin1String("rope_scaling")));
        QVERIFY(w->model()->path.endsWith(QLatin1String("stories260K.bin")));
    }
};

QTEST_MAIN(TestHfFolderWindow)
#include "tst_hffolderwindow.moc"
