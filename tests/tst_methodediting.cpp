// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"
#include "methodoptionsbar.h"
#include "planpage.h"
#include "precisionplanmodel.h"
#include "tensortablemodel.h"
#include "tensorview.h"

#include "guitest.h"
#include "model.h"
#include "testassets.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QMenu>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

namespace {

using cwb::PrecisionId;
using cwb::QuantMethod;

QString methodOf(const MainWindow& w, const QString& tensor) {
    return cwb::methodName(w.planModel()->method(w.planModel()->rowOf(tensor)));
}

// The table cell (through the sorting proxy) of a tensor's method.
QModelIndex methodCell(const MainWindow& w, const QString& tensor) {
    const QSortFilterProxyModel* proxy = w.tensorView()->proxyModel();
    for (int r = 0; r < proxy->rowCount(); ++r)
        if (proxy->index(r, TensorTableModel::Name).data().toString() == tensor)
            return proxy->index(r, TensorTableModel::Method);
    return {};
}

// Whether resolving the plan the window would save gives every tensor what the table shows.
void checkPlanReproducesTheTable(const MainWindow& w) {
    const cwb::ResolvedPlan resolved = cwb::resolvePlan(w.planModel()->plan(), *w.model());
    const auto& choices = w.planModel()->choices();
    QCOMPARE(resolved.tensors.size(), choices.size());
    for (std::size_t i = 0; i < choices.size(); ++i) {
        QCOMPARE(resolved.tensors[i].precision, choices[i].precision);
        QVERIFY2(resolved.tensors[i].method == choices[i].method, qPrintable(choices[i].name));
    }
}

} // namespace

class TestMethodEditing : public QObject {
    Q_OBJECT

private:
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_methodediting"));
        QSettings().clear();
    }

    void severalRowsGetOneMethodInOneUndoStep() {
        auto w = cwbtest::openDemoWindow();
        QAbstractItemModelTester planTester(w->planModel(),
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester tableTester(
            w->tensorView()->sourceModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        TensorView* view = w->tensorView();
        view->filterEdit()->setText(QStringLiteral("^blk\\.1\\."));
        view->tableView()->selectAll();
        QComboBox* apply = view->applyMethodCombo();
        QVERIFY(apply->isEnabled());
        const int gptq = apply->findData(int(QuantMethod::Gptq));
        apply->setCurrentIndex(gptq);
        emit apply->activated(gptq);
        QCOMPARE(apply->currentIndex(), -1); // an action, not a state
        QUndoStack* undo = w->planModel()->undoStack();
        QCOMPARE(undo->count(), 1);
        QCOMPARE(undo->undoText(), QStringLiteral("Set Method of 7 Tensors to gptq"));
        for (const char* kind :
             {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_down", "ffn_up"}) {
            const QString name = QStringLiteral("blk.1.%1.weight").arg(QLatin1String(kind));
            QCOMPARE(methodOf(*w, name), QStringLiteral("gptq"));
            QCOMPARE(methodCell(*w, name).data().toString(), QStringLiteral("gptq"));
            QVERIFY(methodCell(*w, name).data(PrecisionPlanModel::ExplicitMethodRole).toBool());
        }
        QCOMPARE(methodCell(*w, QStringLiteral("blk.1.attn_norm.weight")).data().toString(),
                 QString()); // norms have no method
        QCOMPARE(methodOf(*w, QStringLiteral("blk.2.attn_q.weight")), QStringLiteral("rtn"));
        // fp32 tensors are not quantized: the method waits, and needs no calibration yet.
        QVERIFY(!w->planModel()->needsCalibration());
        w->planModel()->setPrecision({w->planModel()->rowOf(QStringLiteral("blk.1.ffn_up.weight"))},
                                     PrecisionId::Int4G32);
        QVERIFY(w->planModel()->needsCalibration());
        cwbtest::saveScreenshot(w->planPage(), QStringLiteral("plan-methods.png"));

        // The context menu's Set Method ▸ acts on the same selection.
        std::unique_ptr<QMenu> menu(view->createMethodMenu(nullptr));
        QVERIFY(menu);
        QCOMPARE(menu->title(), QStringLiteral("Set &Method of 7 Tensors"));
        QVERIFY(menu->findChild<QAction*>(QStringLiteral("setMethod-gptq"))->isChecked());
        menu->findChild<QAction*>(QStringLiteral("setMethod-awq"))->trigger();
        QCOMPARE(undo->count(), 3);
        QCOMPARE(methodOf(*w, QStringLiteral("blk.1.attn_v.weight")), QStringLiteral("awq"));

        // One step back restores all seven at once.
        cwbtest::findAction(w.get(), QStringLiteral("undoAction"))->trigger();
        QCOMPARE(methodOf(*w, QStringLiteral("blk.1.attn_v.weight")), QStringLiteral("gptq"));
        undo->undo();
        undo->undo();
        for (const cwb::TensorChoice& c : w->planModel()->choices())
            QCOMPARE(c.method, QuantMethod::Rtn);
        QCOMPARE(undo->count(), 3);
        QVERIFY(!w->planModel()->explicitMethod(
            w->planModel()->rowOf(QStringLiteral("blk.1.attn_q.weight"))));
    }

    void theDelegateEditsOneMethod() {
        auto w = cwbtest::openDemoWindow();
        const QString tensor = QStringLiteral("blk.0.ffn_gate.weight");
        QTableView* table = w->tensorView()->tableView();
        const QModelIndex cell = methodCell(*w, tensor);
        QVERIFY(cell.flags() & Qt::ItemIsEditable);
        QVERIFY(cell.data(Qt::FontRole).value<QFont>().italic()); // follows the default
        table->setCurrentIndex(cell);
        table->edit(cell);
        QComboBox* editor = nullptr;
        QTRY_VERIFY(
            (editor = table->viewport()->findChild<QComboBox*>(QStringLiteral("methodEditor"))));
        QCOMPARE(editor->count(), 5);
        QCOMPARE(editor->currentText(), QStringLiteral("plan default (rtn)"));
        const int gptq = editor->findText(QStringLiteral("gptq"));
        QVERIFY(
            editor->itemData(gptq, Qt::ToolTipRole).toString().contains(QLatin1String("Hessian")));
        cwbtest::saveScreenshot(w->planPage(), QStringLiteral("plan-method-delegate-open.png"));
        editor->setCurrentIndex(gptq);
        emit editor->activated(gptq);
        QTRY_COMPARE(methodOf(*w, tensor), QStringLiteral("gptq"));
        QVERIFY(!methodCell(*w, tensor).data(Qt::FontRole).value<QFont>().italic());
        QCOMPARE(w->planModel()->undoStack()->undoText(),
                 QStringLiteral("Set Method of blk.0.ffn_gate.weight to gptq"));
        // Norms are not editable.
        QVERIFY(!(methodCell(*w, QStringLiteral("blk.0.ffn_norm.weight")).flags() &
                  Qt::ItemIsEditable));
    }

    void planOptionsAreUndoableAndSavedWithThePlan() {
        auto w = cwbtest::openDemoWindow();
        cwbtest::findAction(w.get(), QStringLiteral("preset-all-int4_g32"))->trigger();
        MethodOptionsBar* bar = w->planPage()->methodOptions();
        QUndoStack* undo = w->planModel()->undoStack();
        const int before = undo->count();

        // The default method: every tensor that does not name its own follows it.
        QComboBox* method = bar->defaultMethodCombo();
        const int gptq = method->findData(int(QuantMethod::Gptq));
        method->setCurrentIndex(gptq);
        emit method->activated(gptq);
        QCOMPARE(undo->count(), before + 1);
        QCOMPARE(methodOf(*w, QStringLiteral("blk.3.ffn_up.weight")), QStringLiteral("gptq"));
        QVERIFY(methodCell(*w, QStringLiteral("blk.3.ffn_up.weight"))
                    .data(Qt::FontRole)
                    .value<QFont>()
                    .italic());
        QVERIFY(w->planModel()->needsCalibration());
        // One tensor keeps rtn by naming it.
        w->planModel()->setMethod({w->planModel()->rowOf(QStringLiteral("blk.0.attn_q.weight"))},
                                  QuantMethod::Rtn);

        // Spin box steps merge into one undo step per setting.
        QDoubleSpinBox* alpha = bar->alphaSpin();
        QCOMPARE(alpha->text(), QStringLiteral("search"));
        const int steps = undo->count();
        for (int i = 0; i < 11; ++i)
            alpha->stepUp();
        QCOMPARE(alpha->value(), 0.5);
        QCOMPARE(undo->count(), steps + 1);
        bar->dampingSpin()->setValue(0.02);
        bar->actOrderCheck()->setChecked(false);
        QCOMPARE(undo->count(), steps + 3);

        const QJsonObject settings = w->planModel()->calibrationSettings();
        QCOMPARE(settings.value(QStringLiteral("method")).toString(), QStringLiteral("gptq"));
        QCOMPARE(settings.value(QStringLiteral("smoothquant_alpha")).toDouble(), 0.5);
        QCOMPARE(settings.value(QStringLiteral("gptq_damping")).toDouble(), 0.02);
        QCOMPARE(settings.value(QStringLiteral("gptq_act_order")).toBool(), false);
        checkPlanReproducesTheTable(*w);
        cwbtest::saveScreenshot(w->planPage(), QStringLiteral("plan-method-options.png"));

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("gptq.json"));
        QVERIFY(w->savePlan(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(json.value(QStringLiteral("calibration")).toObject(), settings);
        // Minimal: all int4_g32 by gptq, one rule for the tensor that is rtn.
        const QJsonArray rules = json.value(QStringLiteral("rules")).toArray();
        QCOMPARE(rules.size(), 1);
        QCOMPARE(rules.first().toObject().value(QStringLiteral("method")).toString(),
                 QStringLiteral("rtn"));

        // Another window reads it all back.
        auto other = cwbtest::openDemoWindow();
        QVERIFY(other->openPlan(path));
        MethodOptionsBar* otherBar = other->planPage()->methodOptions();
        QCOMPARE(otherBar->defaultMethodCombo()->currentText(), QStringLiteral("gptq"));
        QCOMPARE(otherBar->alphaSpin()->value(), 0.5);
        QCOMPARE(otherBar->dampingSpin()->value(), 0.02);
        QVERIFY(!otherBar->actOrderCheck()->isChecked());
        QCOMPARE(methodOf(*other, QStringLiteral("blk.0.attn_q.weight")), QStringLiteral("rtn"));
        QCOMPARE(methodOf(*other, QStringLiteral("blk.0.attn_k.weight")), QStringLiteral("gptq"));
        QCOMPARE(other->planModel()->plan(), w->planModel()->plan());
        // Loading is one step back, settings included.
        cwbtest::findAction(other.get(), QStringLiteral("undoAction"))->trigger();
        QCOMPARE(otherBar->defaultMethodCombo()->currentText(), QStringLiteral("rtn"));
        QCOMPARE(otherBar->alphaSpin()->text(), QStringLiteral("search"));
        QVERIFY(other->planModel()->calibrationSettings().isEmpty());

        // Undoing the settings in the first window, one step each.
        undo->undo(); // act order
        QVERIFY(bar->actOrderCheck()->isChecked());
        undo->undo(); // damping
        undo->undo(); // α, all eleven steps
        QCOMPARE(bar->alphaSpin()->text(), QStringLiteral("search"));
        QVERIFY(
            !w->planModel()->calibrationSettings().contains(QStringLiteral("smoothquant_alpha")));
    }

    void aPlanFileWithMethodsLoadsAsWritten() {
        auto w = cwbtest::openDemoWindow();
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("mixed.json"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"name": "w8a8 smoothquant, ffn awq", "default": "w8a8",
            "rules": [{"match": "blk\\.[0-9]+\\.ffn_.*", "precision": "int4_g32", "method": "awq"}],
            "calibration": {"method": "smoothquant", "smoothquant_alpha": "search"}})");
        f.close();
        QVERIFY(w->openPlan(path));
        QCOMPARE(methodOf(*w, QStringLiteral("blk.2.ffn_gate.weight")), QStringLiteral("awq"));
        QCOMPARE(methodOf(*w, QStringLiteral("blk.2.attn_q.weight")),
                 QStringLiteral("smoothquant"));
        QCOMPARE(w->planPage()->methodOptions()->alphaSpin()->text(), QStringLiteral("search"));
        // Untouched, it is saved as written: the expression, not fifteen exact names.
        auto written = cwb::loadPlanFile(path);
        QVERIFY(written.ok());
        QCOMPARE(w->planModel()->plan(), *written);
        checkPlanReproducesTheTable(*w);
        // An edit makes it the minimal plan of the choices, which resolves to the same table.
        w->planModel()->setMethod({w->planModel()->rowOf(QStringLiteral("blk.0.ffn_up.weight"))},
                                  std::nullopt);
        QCOMPARE(methodOf(*w, QStringLiteral("blk.0.ffn_up.weight")),
                 QStringLiteral("smoothquant"));
        checkPlanReproducesTheTable(*w);
    }
};

QTEST_MAIN(TestMethodEditing)
#include "tst_methodediting.moc"
