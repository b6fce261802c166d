// SPDX-License-Identifier: GPL-3.0-or-later
#include "costpanel.h"
#include "costprofilemodel.h"
#include "hardwaredialog.h"
#include "hardwareprofileeditor.h"
#include "hardwareprofilemodel.h"
#include "mainwindow.h"
#include "metricformat.h"
#include "runlibrary.h"
#include "runlistpanel.h"

#include "costmodel.h"
#include "guitest.h"
#include "runrecorder.h"
#include "store/runstore.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace {

// A run as the store keeps it, written as another process would.
qint64 seedRun(const QString& db, const cwb::ModelIdentity& model, const QString& kind,
               const QString& name, std::map<QString, cwb::MetricValue> metrics) {
    auto store = cwb::RunStore::open(db);
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    cwb::RunRecord r = cwb::newRunRecord(kind, nullptr, QStringLiteral("seeded by the test"));
    r.model = model;
    r.name = name;
    cwb::Plan plan;
    plan.defaultPrecision = cwb::PrecisionId::Int8;
    r.plan = plan.toJson();
    auto id = (*store)->begin(r);
    if (!id)
        qFatal("%s", qPrintable(id.error().message));
    if (auto ok = (*store)->finish(*id, cwb::RunStatus::Finished, {metrics, {}, 0, {}}); !ok)
        qFatal("%s", qPrintable(ok.error().message));
    return *id;
}

std::vector<cwb::HardwareProfile> storedProfiles(const QString& db) {
    auto store = cwb::RunStore::open(db);
    auto profiles = store ? (*store)->hardwareProfiles()
                          : cwb::Result<std::vector<cwb::HardwareProfile>>(store.error());
    return profiles ? profiles.value() : std::vector<cwb::HardwareProfile>{};
}

const cwb::HardwareProfile* findProfile(const std::vector<cwb::HardwareProfile>& all,
                                        const QString& name) {
    for (const cwb::HardwareProfile& p : all)
        if (p.name == name)
            return &p;
    return nullptr;
}

// What `cwb cost RUN` computes, by the core calls alone.
cwb::CostProjection coreProjection(const QString& db, qint64 id, const cwb::Workload& w) {
    auto store = cwb::RunStore::open(db);
    auto run = (*store)->get(id);
    auto efficiency = cwb::efficiencyFromStore(**store, *run);
    return cwb::projectCost(*cwb::modelCostOf(*run), *(*store)->hardwareProfiles(), w, *efficiency);
}

void setNumber(QWidget* editor, const QString& name, double value) {
    auto* box = editor->findChild<QDoubleSpinBox*>(name);
    QVERIFY2(box, qPrintable(name));
    box->selectAll();
    QTest::keyClicks(box, QString::number(value));
    QCOMPARE(box->value(), value);
}

QPushButton* okButton(QWidget* dialog) {
    return dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
}

} // namespace

class TestCostPanel : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_db;

    // The panel's rows against core's projection, number for number and as shown.
    static void compareWithCore(const CostPanel& panel, const cwb::CostProjection& core) {
        const CostProfileModel* model = panel.model();
        QCOMPARE(model->rowCount(), int(core.profiles.size()));
        for (int r = 0; r < model->rowCount(); ++r) {
            const cwb::ProfileCost& c = core.profiles[std::size_t(r)];
            const auto cell = [&](int column, int role = Qt::DisplayRole) {
                return model->index(r, column).data(role);
            };
            QCOMPARE(cell(CostProfileModel::Profile).toString(), c.profile.name);
            QCOMPARE(cell(CostProfileModel::Fits, CostProfileModel::ValueRole).toBool(), c.fits);
            QCOMPARE(cell(CostProfileModel::PerThousand, CostProfileModel::ValueRole).toDouble(),
                     c.dollarsPer1000Queries);
            QCOMPARE(cell(CostProfileModel::PerThousand).toString(),
                     formatDollars(c.dollarsPer1000Queries));
            QCOMPARE(cell(CostProfileModel::PerMonth, CostProfileModel::ValueRole).toDouble(),
                     c.dollarsPerMonth);
            QCOMPARE(cell(CostProfileModel::Decode, CostProfileModel::ValueRole).toDouble(),
                     c.decodeTokensPerSecond);
            QCOMPARE(cell(CostProfileModel::Instances).toInt(), c.instances);
        }
        QCOMPARE(model->cheapestRow().has_value(), core.cheapest.has_value());
        if (core.cheapest) {
            QCOMPARE(*model->cheapestRow(), int(*core.cheapest));
            const cwb::ProfileCost& c = core.profiles[*core.cheapest];
            QVERIFY2(panel.summaryText().contains(formatDollars(c.dollarsPer1000Queries)) &&
                         panel.summaryText().contains(c.profile.name),
                     qPrintable(panel.summaryText()));
        }
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_costpanel"));
    }

    void init() {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_db = m_dir->filePath(QStringLiteral("runs.sqlite"));
        qputenv("CWB_DB", m_db.toLocal8Bit());
        QSettings().clear();
    }

    void cleanup() { m_dir.reset(); }

    // Dollars as people read them: cents for sums, three digits for fractions of a cent.
    void formatsDollars_data() {
        QTest::addColumn<double>("dollars");
        QTest::addColumn<QString>("shown");
        QTest::newRow("month") << 21.9 << "$21.90";
        QTest::newRow("large") << 1234.4
                               << QStringLiteral("$") + QLocale().toString(1234.0, 'f', 0);
        QTest::newRow("cents") << 0.0452 << "$0.05";
        QTest::newRow("tiny") << 0.0000981 << "$0.0000981";
        QTest::newRow("sub-cent") << 0.00452 << "$0.00452";
        QTest::newRow("zero") << 0.0 << "$0";
    }
    void formatsDollars() {
        QFETCH(double, dollars);
        QFETCH(QString, shown);
        QCOMPARE(formatDollars(dollars), shown);
    }

    // Tools ▸ Hardware Profiles…: add, edit and remove, each in the SQLite file at once.
    void hardwareProfilesPersist() {
        auto w = cwbtest::openDemoWindow();
        cwbtest::findAction(w.get(), QStringLiteral("hardwareProfilesAction"))->trigger();
        HardwareDialog* dialog = w->hardwareDialog();
        QVERIFY(dialog && dialog->isVisible());
        QAbstractItemModelTester tester(dialog->model());
        const std::size_t shipped = storedProfiles(m_db).size();
        QVERIFY(shipped >= 5);
        QCOMPARE(dialog->model()->rowCount(), int(shipped));
        cwbtest::saveScreenshot(dialog, QStringLiteral("hardware-profiles.png"));

        // Add: checked as typed, OK only when valid.
        QTest::mouseClick(dialog->findChild<QPushButton*>(QStringLiteral("addHardware")),
                          Qt::LeftButton);
        HardwareProfileEditor* editor = dialog->editor();
        QVERIFY(editor && editor->isVisible());
        QVERIFY(!okButton(editor)->isEnabled());
        QCOMPARE(editor->problem(), QStringLiteral("Give the profile a name."));
        auto* name = editor->findChild<QLineEdit*>(QStringLiteral("hardwareName"));
        QTest::keyClicks(name, storedProfiles(m_db).front().name);
        QVERIFY2(editor->problem().contains(QLatin1String("already")),
                 qPrintable(editor->problem()));
        name->clear();
        QTest::keyClicks(name, QStringLiteral("Workstation, 8 GiB"));
        QCOMPARE(editor->problem(), QStringLiteral("The memory must be more than zero."));
        setNumber(editor, QStringLiteral("hardwareMemory"), 8);
        setNumber(editor, QStringLiteral("hardwareBandwidth"), 51.2);
        setNumber(editor, QStringLiteral("hardwareInt8"), 2.5);
        QVERIFY(!okButton(editor)->isEnabled());
        setNumber(editor, QStringLiteral("hardwareFp16"), 1.25);
        setNumber(editor, QStringLiteral("hardwarePrice"), 0.125);
        QTest::keyClicks(editor->findChild<QLineEdit*>(QStringLiteral("hardwareNotes")),
                         QStringLiteral("the test's own"));
        QVERIFY(okButton(editor)->isEnabled());
        cwbtest::saveScreenshot(editor, QStringLiteral("hardware-profile-editor.png"));
        QTest::mouseClick(okButton(editor), Qt::LeftButton);
        QTRY_VERIFY(!dialog->editor());
        auto stored = storedProfiles(m_db);
        QCOMPARE(stored.size(), shipped + 1);
        const cwb::HardwareProfile* added =
            findProfile(stored, QStringLiteral("Workstation, 8 GiB"));
        QVERIFY(added);
        QCOMPARE(added->kind, QStringLiteral("cpu"));
        QCOMPARE(added->memoryGiB, 8.0);
        QCOMPARE(added->bandwidthGBs, 51.2);
        QCOMPARE(added->int8Tops, 2.5);
        QCOMPARE(added->fp16Tflops, 1.25);
        QCOMPARE(added->pricePerHour, 0.125);
        QCOMPARE(added->notes, QStringLiteral("the test's own"));
        QCOMPARE(dialog->model()->rowCount(), int(shipped + 1));

        // Edit: the name stays, the rest changes.
        QVERIFY(dialog->selectProfile(QStringLiteral("Workstation, 8 GiB")));
        QTest::mouseClick(dialog->findChild<QPushButton*>(QStringLiteral("editHardware")),
                          Qt::LeftButton);
        editor = dialog->editor();
        QVERIFY(editor);
        QVERIFY(editor->findChild<QLineEdit*>(QStringLiteral("hardwareName"))->isReadOnly());
        auto* kind = editor->findChild<QComboBox*>(QStringLiteral("hardwareKind"));
        kind->setCurrentIndex(kind->findData(QStringLiteral("gpu")));
        setNumber(editor, QStringLiteral("hardwarePrice"), 0.5);
        QTest::mouseClick(okButton(editor), Qt::LeftButton);
        QTRY_VERIFY(!dialog->editor());
        stored = storedProfiles(m_db);
        const cwb::HardwareProfile* edited =
            findProfile(stored, QStringLiteral("Workstation, 8 GiB"));
        QVERIFY(edited);
        QCOMPARE(edited->pricePerHour, 0.5);
        QCOMPARE(edited->kind, QStringLiteral("gpu"));
        QCOMPARE(edited->memoryGiB, 8.0);

        // Remove, after asking.
        QVERIFY(dialog->selectProfile(QStringLiteral("Workstation, 8 GiB")));
        QTest::mouseClick(dialog->findChild<QPushButton*>(QStringLiteral("removeHardware")),
                          Qt::LeftButton);
        QMessageBox* confirm = dialog->removeConfirmation();
        QVERIFY(confirm);
        QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
        stored = storedProfiles(m_db);
        QCOMPARE(stored.size(), shipped);
        QVERIFY(!findProfile(stored, QStringLiteral("Workstation, 8 GiB")));
        QCOMPARE(dialog->model()->rowCount(), int(shipped));
        dialog->close();
    }

    // The cost of the selected run is core's, profile for profile, for any workload; a profile
    // too small for the model is marked as not fitting and never the cheapest.
    void costPanelAgreesWithCore() {
        auto w = cwbtest::openDemoWindow();
        const cwb::ModelIdentity demo = cwb::modelIdentity(*w->model());
        const qint64 id = seedRun(m_db, demo, QStringLiteral("evaluation"), QStringLiteral("int8"),
                                  {{QStringLiteral("size_bytes"), {330'000, std::nullopt}},
                                   {QStringLiteral("bpw"), {8.5, std::nullopt}},
                                   {QStringLiteral("ppl"), {4.5, 0.05}}});
        {
            auto store = cwb::RunStore::open(m_db);
            cwb::HardwareProfile tiny;
            tiny.name = QStringLiteral("Microcontroller, 64 KiB");
            tiny.memoryGiB = 64.0 / (1 << 20);
            tiny.bandwidthGBs = 0.1;
            tiny.int8Tops = 0.001;
            tiny.fp16Tflops = 0.001;
            tiny.pricePerHour = 0.0001;
            QVERIFY((*store)->addHardware(tiny));
        }
        w->runLibrary()->notifyRunsChanged();
        CostPanel* panel = w->costPanel();
        QAbstractItemModelTester tester(panel->model());
        QVERIFY(w->selectRun(id));
        QCOMPARE(panel->run(), id);
        QVERIFY(panel->projection());
        compareWithCore(*panel, coreProjection(m_db, id, panel->workload()));
        const int tinyRow = panel->model()->rowOf(QStringLiteral("Microcontroller, 64 KiB"));
        QVERIFY(tinyRow >= 0);
        QCOMPARE(panel->model()->index(tinyRow, CostProfileModel::Fits).data().toString(),
                 QStringLiteral("no"));
        QVERIFY(panel->model()->cheapestRow() != tinyRow);
        QVERIFY2(panel->runText().contains(QStringLiteral("Run %1").arg(id)),
                 qPrintable(panel->runText()));
        w->costDock()->raise();
        cwbtest::saveScreenshot(w->costDock(), QStringLiteral("cost-panel.png"));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("cost-window.png"));

        // Another workload, typed in: the projection follows, and is remembered.
        auto* prompt = panel->findChild<QSpinBox*>(QStringLiteral("costPromptTokens"));
        prompt->selectAll();
        QTest::keyClicks(prompt, QStringLiteral("2048"));
        auto* queries = panel->findChild<QDoubleSpinBox*>(QStringLiteral("costQueriesPerMonth"));
        queries->setValue(5e7);
        QCOMPARE(panel->workload().promptTokens, 2048);
        QCOMPARE(panel->projection()->workload.promptTokens, 2048);
        compareWithCore(*panel, coreProjection(m_db, id, panel->workload()));
        QCOMPARE(QSettings().value(QStringLiteral("cost/promptTokens")).toInt(), 2048);
        QCOMPARE(CostPanel(w->runLibrary()).workload().queriesPerMonth, 5e7);

        // How it was computed: the cost model's own account, every line.
        QTest::mouseClick(panel->findChild<QPushButton*>(QStringLiteral("explainCost")),
                          Qt::LeftButton);
        QDialog* explanation = panel->explanationDialog();
        QVERIFY(explanation && explanation->isVisible());
        const QString text =
            explanation->findChild<QPlainTextEdit*>(QStringLiteral("costExplanation"))
                ->toPlainText();
        for (const QString& line : panel->projection()->explanation)
            QVERIFY2(text.contains(line), qPrintable(line));
        QVERIFY(text.contains(QLatin1String("2048 prompt")));
        cwbtest::saveScreenshot(explanation, QStringLiteral("cost-explanation.png"));
        explanation->close();
    }

    // A benchmark of this machine calibrates the projection, as for `cwb cost`.
    void measuredEfficiencyIsUsed() {
        auto w = cwbtest::openDemoWindow();
        const cwb::ModelIdentity demo = cwb::modelIdentity(*w->model());
        const qint64 id = seedRun(m_db, demo, QStringLiteral("evaluation"), QStringLiteral("int4"),
                                  {{QStringLiteral("size_bytes"), {180'000, std::nullopt}},
                                   {QStringLiteral("bpw"), {4.5, std::nullopt}}});
        QVERIFY(w->selectRun(id));
        CostPanel* panel = w->costPanel();
        QVERIFY(!panel->projection()->efficiency.measured);
        const qint64 bench =
            seedRun(m_db, demo, QStringLiteral("benchmark"), QStringLiteral("int4"),
                    {{QStringLiteral("decode_bandwidth_fraction"), {0.42, std::nullopt}},
                     {QStringLiteral("prefill_gflops"), {30, std::nullopt}},
                     {QStringLiteral("matmul_gflops"), {100, std::nullopt}}});
        w->runLibrary()->notifyRunsChanged(); // as the run list does for any new run
        QVERIFY(panel->projection()->efficiency.measured);
        QCOMPARE(panel->projection()->efficiency.bandwidth, 0.42);
        QVERIFY(panel->projection()->efficiency.source.contains(
            QStringLiteral("benchmark run %1").arg(bench)));
        compareWithCore(*panel, coreProjection(m_db, id, panel->workload()));
    }

    // A run without a size says why it has no price.
    void runWithoutSizeSaysWhy() {
        auto w = cwbtest::openDemoWindow();
        const qint64 id =
            seedRun(m_db, cwb::modelIdentity(*w->model()), QStringLiteral("evaluation"),
                    QStringLiteral("fp32"), {{QStringLiteral("ppl"), {3.3, 0.1}}});
        QVERIFY(w->selectRun(id));
        CostPanel* panel = w->costPanel();
        QVERIFY(!panel->projection());
        QCOMPARE(panel->model()->rowCount(), 0);
        QVERIFY2(panel->summaryText().contains(QLatin1String("no size to price")),
                 qPrintable(panel->summaryText()));
        QVERIFY(!panel->findChild<QPushButton*>(QStringLiteral("explainCost"))->isEnabled());
        QVERIFY(w->runLibrary()->removeRun(id));
        QCOMPARE(w->runList()->currentRun(), 0);
        QCOMPARE(panel->run(), 0);
    }
};

QTEST_MAIN(TestCostPanel)
#include "tst_costpanel.moc"
