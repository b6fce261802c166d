// SPDX-License-Identifier: GPL-3.0-or-later
#include "budgetbar.h"
#include "comparisonmodel.h"
#include "evaluationpanel.h"
#include "evaluationresultview.h"
#include "jobrunner.h"
#include "mainwindow.h"
#include "planpage.h"
#include "planpresets.h"
#include "precisionplanmodel.h"
#include "tensortablemodel.h"
#include "tensorview.h"
#include "warningstrip.h"

#include "guitest.h"
#include "model.h"
#include "modelsummary.h"
#include "testassets.h"

#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QUndoStack>

namespace {

using cwb::PrecisionId;

constexpr int kEvaluationTimeoutMs = 300'000; // sanitizer builds run the model ~10× slower

// Saved for a person to look at, never compared.

QString precisionOf(const MainWindow& w, const QString& tensor) {
    const PrecisionPlanModel* plan = w.planModel();
    return QLatin1String(cwb::precisionInfo(plan->precision(plan->rowOf(tensor))).name);
}

std::vector<PrecisionId> choices(const MainWindow& w) {
    std::vector<PrecisionId> out;
    for (const cwb::TensorChoice& c : w.planModel()->choices())
        out.push_back(c.precision);
    return out;
}

// What the core says the plan weighs, independently of the window's bookkeeping.
cwb::SizeSummary coreSize(const MainWindow& w) {
    return cwb::sizeOf(*w.model(), cwb::resolvePlan(w.planModel()->plan(), *w.model()));
}

// The table cell (through the sorting proxy) of a tensor's precision.
QModelIndex precisionCell(const MainWindow& w, const QString& tensor) {
    const QSortFilterProxyModel* proxy = w.tensorView()->proxyModel();
    for (int r = 0; r < proxy->rowCount(); ++r)
        if (proxy->index(r, TensorTableModel::Name).data().toString() == tensor)
            return proxy->index(r, TensorTableModel::Precision);
    return {};
}

// The leading number of "0.000543 ± 0.000011" or "98.82% ± 0.15%".
double leadingNumber(const QString& text) {
    return text.section(QLatin1Char(' '), 0, 0).remove(QLatin1Char('%')).toDouble();
}

void writeFile(const QString& path, const QByteArray& content) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(content);
}

} // namespace

class TestPlanEditing : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_cache;

    static BudgetBar* budget(const MainWindow& w) { return w.planPage()->budgetBar(); }

    static void applyPreset(MainWindow& w, const QString& id) {
        cwbtest::findAction(&w, QStringLiteral("preset-%1").arg(id))->trigger();
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // QSettings go to a test location
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_planediting"));
        QSettings().clear();
        // The FP32 baseline cache of this run only: the first evaluation computes it.
        QVERIFY(m_cache.isValid());
        qputenv("CWB_CACHE_DIR", QFile::encodeName(m_cache.path()));
    }

    void editingAPrecisionUpdatesTheBudgetBar() {
        auto w = cwbtest::openDemoWindow();
        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        BudgetBar* bar = budget(*w);
        const QString fp32Text = bar->text();
        QCOMPARE(fp32Text, QStringLiteral("1.04 MB of 1.04 MB · 32.00 bpw · 0.0% smaller"));
        QCOMPARE(bar->bitsPerWeight(), 32.0);

        // Through the delegate, as a double-click opens it.
        const QString tensor = QStringLiteral("blk.0.ffn_gate.weight");
        QTableView* table = w->tensorView()->tableView();
        const QModelIndex cell = precisionCell(*w, tensor);
        QVERIFY(cell.flags() & Qt::ItemIsEditable);
        table->setCurrentIndex(cell);
        table->edit(cell);
        QComboBox* editor = nullptr;
        QTRY_VERIFY(
            (editor = table->viewport()->findChild<QComboBox*>(QStringLiteral("precisionEditor"))));
        QCOMPARE(editor->count(), int(cwb::precisions().size()));
        QCOMPARE(editor->currentText(), QStringLiteral("fp32"));
        const int int4 = editor->findText(QStringLiteral("int4_g32"));
        QVERIFY(editor->itemData(int4, Qt::ToolTipRole).toString().contains(QLatin1String("Q4_0")));
        cwbtest::saveScreenshot(w->planPage(), QStringLiteral("plan-delegate-open.png"));
        editor->setCurrentIndex(int4);
        emit editor->activated(int4); // what choosing an entry of the open list does

        QTRY_COMPARE(precisionOf(*w, tensor), QStringLiteral("int4_g32"));
        QCOMPARE(cell.data().toString(), QStringLiteral("int4_g32"));
        QCOMPARE(w->planModel()->undoStack()->count(), 1);
        const cwb::SizeSummary expected = coreSize(*w);
        QCOMPARE(bar->bitsPerWeight(), expected.bitsPerWeight); // the same number, not a near one
        QVERIFY(expected.bitsPerWeight < 32.0);
        const QString editedText = bar->text();
        QCOMPARE(editedText, QStringLiteral("%1 of 1.04 MB · %2 bpw · %3% smaller")
                                 .arg(cwb::formatBytes(expected.totalBytes))
                                 .arg(expected.bitsPerWeight, 0, 'f', 2)
                                 .arg(100 * expected.savingVsFp32(), 0, 'f', 1));

        // Ctrl+Z and Ctrl+Shift+Z, as the Edit menu binds them.
        QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(precisionOf(*w, tensor), QStringLiteral("fp32"));
        QCOMPARE(bar->text(), fp32Text);
        QCOMPARE(bar->bitsPerWeight(), 32.0);
        QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(precisionOf(*w, tensor), QStringLiteral("int4_g32"));
        QCOMPARE(bar->text(), editedText);
        QCOMPARE(bar->bitsPerWeight(), expected.bitsPerWeight);
        QCOMPARE(cwbtest::findAction(w.get(), QStringLiteral("undoAction"))->text(),
                 QStringLiteral("&Undo Set blk.0.ffn_gate.weight to int4_g32"));
        cwbtest::saveScreenshot(budget(*w), QStringLiteral("budget-bar.png"));
    }

    void normsAreNotEditable() {
        auto w = cwbtest::openDemoWindow();
        const QModelIndex norm = precisionCell(*w, QStringLiteral("blk.3.ffn_norm.weight"));
        QCOMPARE(norm.data().toString(), QStringLiteral("fp32"));
        QVERIFY(!(norm.flags() & Qt::ItemIsEditable));
        QVERIFY(norm.data(Qt::ToolTipRole).toString().contains(QLatin1String("stay f32")));
        QTableView* table = w->tensorView()->tableView();
        const QRect rect = table->visualRect(norm);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, rect.center());
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, rect.center());
        QVERIFY(!table->viewport()->findChild<QComboBox*>());
        // The cell next to it, a matrix, opens the editor on a double-click.
        const QModelIndex matrix = precisionCell(*w, QStringLiteral("blk.3.ffn_gate.weight"));
        const QPoint at = table->visualRect(matrix).center();
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, at);
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, at);
        QTRY_VERIFY(table->viewport()->findChild<QComboBox*>(QStringLiteral("precisionEditor")));
    }

    void applyingToSelectedRowsIsOneUndoStep() {
        auto w = cwbtest::openDemoWindow();
        TensorView* view = w->tensorView();
        view->filterEdit()->setText(QStringLiteral("^blk\\.1\\."));
        QCOMPARE(view->proxyModel()->rowCount(), 9); // seven matrices, two norms
        QComboBox* apply = view->applyCombo();
        QVERIFY(!apply->isEnabled()); // nothing selected yet
        view->tableView()->selectAll();
        QCOMPARE(view->selectedRows().size(), 9);
        QVERIFY(apply->isEnabled());
        QCOMPARE(apply->placeholderText(), QStringLiteral("Set 7 selected to…"));
        cwbtest::saveScreenshot(w->planPage(), QStringLiteral("plan-selection.png"));

        const int int4 = apply->findData(int(PrecisionId::Int4G32));
        apply->setCurrentIndex(int4);
        emit apply->activated(int4);
        QCOMPARE(apply->currentIndex(), -1); // an action, not a state
        QCOMPARE(w->planModel()->undoStack()->count(), 1);
        for (const char* kind :
             {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_down", "ffn_up"})
            QCOMPARE(precisionOf(*w, QStringLiteral("blk.1.%1.weight").arg(QLatin1String(kind))),
                     QStringLiteral("int4_g32"));
        QCOMPARE(precisionOf(*w, QStringLiteral("blk.1.attn_norm.weight")), QStringLiteral("fp32"));
        QCOMPARE(precisionOf(*w, QStringLiteral("blk.2.attn_q.weight")), QStringLiteral("fp32"));
        QCOMPARE(budget(*w)->bitsPerWeight(), coreSize(*w).bitsPerWeight);

        // The context menu's Set Precision ▸ does the same for the same selection.
        std::unique_ptr<QMenu> menu(view->createPrecisionMenu(nullptr));
        QVERIFY(menu);
        QCOMPARE(menu->title(), QStringLiteral("Set &Precision of 7 Tensors"));
        QAction* int8 = menu->findChild<QAction*>(QStringLiteral("setPrecision-int8"));
        QVERIFY(int8);
        QVERIFY(menu->findChild<QAction*>(QStringLiteral("setPrecision-int4_g32"))->isChecked());
        int8->trigger();
        QCOMPARE(w->planModel()->undoStack()->count(), 2);
        QCOMPARE(precisionOf(*w, QStringLiteral("blk.1.ffn_up.weight")), QStringLiteral("int8"));

        // One step back restores all seven at once.
        cwbtest::findAction(w.get(), QStringLiteral("undoAction"))->trigger();
        QCOMPARE(precisionOf(*w, QStringLiteral("blk.1.ffn_up.weight")),
                 QStringLiteral("int4_g32"));
        cwbtest::findAction(w.get(), QStringLiteral("undoAction"))->trigger();
        QVERIFY(w->planModel()->isAllFp32());
        QCOMPARE(budget(*w)->bitsPerWeight(), 32.0);
    }

    void presetsSetTheWholePlan_data() {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QString>("matrices");
        QTest::addColumn<QString>("embedding");
        QTest::newRow("all int8") << "all-int8"
                                  << "int8"
                                  << "int8";
        QTest::newRow("all int4_g32") << "all-int4_g32"
                                      << "int4_g32"
                                      << "int4_g32";
        QTest::newRow("all w8a8") << "all-w8a8"
                                  << "w8a8"
                                  << "w8a8";
        QTest::newRow("8-bit ends") << "int4-8bit-ends"
                                    << "int4_g32"
                                    << "int8";
    }
    void presetsSetTheWholePlan() {
        QFETCH(QString, preset);
        QFETCH(QString, matrices);
        QFETCH(QString, embedding);
        auto w = cwbtest::openDemoWindow();
        w->planModel()->setPrecision({w->planModel()->rowOf(QStringLiteral("blk.4.attn_k.weight"))},
                                     PrecisionId::Int2G16);
        applyPreset(*w, preset);
        QCOMPARE(w->planModel()->undoStack()->count(), 2);
        for (const cwb::TensorChoice& c : w->planModel()->choices()) {
            const QString want = !c.quantizable ? QStringLiteral("fp32")
                                 : c.name == QLatin1String("token_embd.weight") ? embedding
                                                                                : matrices;
            QCOMPARE(precisionOf(*w, c.name), want);
        }
        QVERIFY(
            !cwbtest::findAction(w.get(), QStringLiteral("preset-") + preset)->toolTip().isEmpty());
        // The tied model has no output.weight; the preset's rule for it is no news to the user.
        QVERIFY(w->planPage()->warningStrip()->isHidden());
        QCOMPARE(budget(*w)->bitsPerWeight(), coreSize(*w).bitsPerWeight);
        // An untitled plan takes the preset's name; the evaluation says what it will compare.
        QVERIFY(!w->planModel()->name().isEmpty());
        const QLabel* target =
            w->evaluationPanel()->findChild<QLabel*>(QStringLiteral("evaluationTarget"));
        const QString bpw = QString::number(budget(*w)->bitsPerWeight(), 'f', 2);
        QVERIFY2(target->text().contains(bpw), qPrintable(target->text()));
        QVERIFY2(target->toolTip().contains(w->planModel()->name()), qPrintable(target->toolTip()));
        if (preset == QLatin1String("int4-8bit-ends"))
            cwbtest::saveScreenshot(w.get(), QStringLiteral("plan-preset-8bit-ends.png"));

        cwbtest::findAction(w.get(), QStringLiteral("preset-all-fp32"))->trigger();
        QVERIFY(w->planModel()->isAllFp32());
        QVERIFY(w->evaluationPanel()
                    ->findChild<QLabel*>(QStringLiteral("evaluationTarget"))
                    ->text()
                    .contains(QLatin1String("perplexity")));
    }

    void aSavedPlanLoadsBack() {
        auto w = cwbtest::openDemoWindow();
        applyPreset(*w, QStringLiteral("int4-8bit-ends"));
        w->planModel()->setPrecision(
            {w->planModel()->rowOf(QStringLiteral("blk.2.attn_output.weight"))}, PrecisionId::Fp16);
        QLineEdit* name = w->planPage()->nameEdit();
        name->selectAll();
        QTest::keyClicks(name, QStringLiteral("ends int8, one fp16"));
        QCOMPARE(w->planModel()->name(), QStringLiteral("ends int8, one fp16"));
        const std::vector<PrecisionId> saved = choices(*w);
        QVERIFY(!w->planModel()->undoStack()->isClean());

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("plan.json"));
        QVERIFY(w->savePlan(path));
        QVERIFY(w->planModel()->undoStack()->isClean());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(json.value(QStringLiteral("name")).toString(),
                 QStringLiteral("ends int8, one fp16"));
        QCOMPARE(json.value(QStringLiteral("default")).toString(), QStringLiteral("int4_g32"));
        QCOMPARE(json.value(QStringLiteral("rules")).toArray().size(), 2); // embedding, one fp16

        applyPreset(*w, QStringLiteral("all-fp32"));
        w->planModel()->setName({});
        QVERIFY(w->openPlan(path));
        QCOMPARE(choices(*w), saved);
        QCOMPARE(w->planModel()->name(), QStringLiteral("ends int8, one fp16"));
        QCOMPARE(name->text(), QStringLiteral("ends int8, one fp16"));
        QVERIFY(w->planPage()->warningStrip()->isHidden());
        QVERIFY(!cwbtest::errorBox(w.get()));
        // Loading is one step back, like any edit.
        cwbtest::findAction(w.get(), QStringLiteral("undoAction"))->trigger();
        QVERIFY(w->planModel()->isAllFp32());
    }

    void rulesThatMatchNothingAreShown() {
        auto w = cwbtest::openDemoWindow();
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("typo.json"));
        writeFile(path, R"({"name": "ffn at 4 bits", "default": "int8", "rules": [
            {"match": "blk\\.[0-9]+\\.fnn_.*", "precision": "int4_g32"},
            {"match": "blk\\.0\\.ffn_.*", "precision": "int4_g32"},
            {"match": "output\\.weight", "precision": "fp16"}]})");
        QVERIFY(w->openPlan(path));
        WarningStrip* strip = w->planPage()->warningStrip();
        QVERIFY(strip->isVisible());
        QCOMPARE(strip->warnings().size(), 2);
        QVERIFY2(strip->text().contains(QLatin1String("rule 1 (\"blk\\.[0-9]+\\.fnn_.*\") matches "
                                                      "no tensor")),
                 qPrintable(strip->text()));
        QVERIFY2(strip->text().contains(QLatin1String("rule 3")), qPrintable(strip->text()));
        QVERIFY2(strip->findChild<QLabel*>(QStringLiteral("warningText"))
                     ->text()
                     .contains(QLatin1String("typo.json: 2 rules of the plan match no tensor of "
                                             "stories260K.bin")),
                 qPrintable(strip->findChild<QLabel*>(QStringLiteral("warningText"))->text()));
        // What matched is applied.
        QCOMPARE(precisionOf(*w, QStringLiteral("blk.0.ffn_up.weight")),
                 QStringLiteral("int4_g32"));
        QCOMPARE(precisionOf(*w, QStringLiteral("blk.1.ffn_up.weight")), QStringLiteral("int8"));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("plan-unmatched-rules.png"));

        QTest::mouseClick(strip->findChild<QToolButton*>(QStringLiteral("dismissWarnings")),
                          Qt::LeftButton);
        QVERIFY(strip->isHidden());
    }

    void aBadPlanFileChangesNothing_data() {
        QTest::addColumn<QByteArray>("content"); // empty: no file at all
        QTest::addColumn<QString>("reason");
        QTest::newRow("not JSON") << QByteArray("{ \"default\": int8 ") << "not valid JSON";
        QTest::newRow("unknown precision")
            << QByteArray(R"({"default": "int3"})") << "unknown precision";
        // Not a raw string: moc (6.4) loses its way on the unbalanced parenthesis inside one.
        QTest::newRow("bad expression")
            << QByteArray("{\"rules\": [{\"match\": \"blk.(\", \"precision\": \"int8\"}]}")
            << "not a valid regular expression";
        QTest::newRow("missing") << QByteArray() << "no such file";
    }
    void aBadPlanFileChangesNothing() {
        QFETCH(QByteArray, content);
        QFETCH(QString, reason);
        auto w = cwbtest::openDemoWindow();
        applyPreset(*w, QStringLiteral("all-int8"));
        const std::vector<PrecisionId> before = choices(*w);
        const QString name = w->planModel()->name();
        const int steps = w->planModel()->undoStack()->count();

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bad-plan.json"));
        if (!content.isEmpty())
            writeFile(path, content);
        QVERIFY(!w->openPlan(path));
        QTRY_VERIFY(cwbtest::errorBox(w.get()));
        QMessageBox* box = cwbtest::errorBox(w.get());
        QTRY_VERIFY(box->isVisible());
        QVERIFY2(!box->text().contains(QLatin1Char('\n')), qPrintable(box->text()));
        QVERIFY2(box->text().contains(QLatin1String("bad-plan.json")), qPrintable(box->text()));
        QVERIFY2(box->text().contains(reason), qPrintable(box->text()));
        QCOMPARE(choices(*w), before);
        QCOMPARE(w->planModel()->name(), name);
        QCOMPARE(w->planModel()->undoStack()->count(), steps);
        box->close();
        QTRY_VERIFY(!cwbtest::errorBox(w.get()));
    }

    void evaluatesAnInt8PlanAgainstTheBaseline() {
        auto w = cwbtest::openDemoWindow();
        applyPreset(*w, QStringLiteral("all-int8"));
        EvaluationPanel* panel = w->evaluationPanel();
        cwb::EvalOptions o;
        o.split = cwb::SplitMode::Documents;
        o.maxTokens = 2000;
        panel->setOptions(o);
        QTest::mouseClick(panel->findChild<QPushButton*>(QStringLiteral("evaluateButton")),
                          Qt::LeftButton);
        QVERIFY(panel->isRunning());
        EvaluationResultView* result = panel->resultView();
        QCOMPARE(result->mode(), EvaluationResultView::Mode::Comparison);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QVERIFY2(result->statusText().startsWith(QLatin1String("Finished")),
                 qPrintable(result->statusText()));
        QVERIFY(!cwbtest::errorBox(w.get()));

        const ComparisonModel* table = result->comparisonModel();
        auto cell = [table](ComparisonModel::Row row, ComparisonModel::Column column) {
            return table->index(row, column).data().toString();
        };
        const double kld = leadingNumber(cell(ComparisonModel::KldMean, ComparisonModel::Plan));
        QVERIFY2(kld > 0 && kld < 0.01,
                 qPrintable(cell(ComparisonModel::KldMean, ComparisonModel::Plan)));
        const double top1 = leadingNumber(cell(ComparisonModel::Top1, ComparisonModel::Plan)) / 100;
        QVERIFY2(top1 > 0.9, qPrintable(cell(ComparisonModel::Top1, ComparisonModel::Plan)));
        QCOMPARE(cell(ComparisonModel::Bpw, ComparisonModel::Plan),
                 QString::number(budget(*w)->bitsPerWeight(), 'f', 2));
        QCOMPARE(table->index(ComparisonModel::Bpw, ComparisonModel::Plan)
                     .data(ComparisonModel::ValueRole)
                     .toDouble(),
                 budget(*w)->bitsPerWeight());
        QCOMPARE(cell(ComparisonModel::Bpw, ComparisonModel::Baseline), QStringLiteral("32.00"));
        const QString ppl = cell(ComparisonModel::Perplexity, ComparisonModel::Baseline);
        QVERIFY2(ppl.contains(QStringLiteral(" ± ")) && leadingNumber(ppl) > 1, qPrintable(ppl));
        QVERIFY(
            cell(ComparisonModel::Size, ComparisonModel::Plan).contains(QLatin1String("smaller")));
        QVERIFY(table->headerData(ComparisonModel::Plan, Qt::Horizontal, Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("“int8”")));
        QVERIFY2(result->statusText().endsWith(QStringLiteral("plan “int8”")),
                 qPrintable(result->statusText()));
        for (int r = 0; r < ComparisonModel::RowCount; ++r)
            QVERIFY(
                !table->index(r, ComparisonModel::Plan).data(Qt::ToolTipRole).toString().isEmpty());
        QVERIFY2(result->tokensText().startsWith(QLatin1String("2,000 scored")),
                 qPrintable(result->tokensText()));
        QVERIFY2(result->baselineText().startsWith(QLatin1String("computed")),
                 qPrintable(result->baselineText()));
        // Copy Table gives the numbers as shown, tab-separated, for a note or a spreadsheet.
        result->comparisonView()->findChild<QAction*>(QStringLiteral("copyComparison"))->trigger();
        const QStringList copied = QGuiApplication::clipboard()->text().split(QLatin1Char('\n'));
        QCOMPARE(copied.value(0), QStringLiteral("Metric\tFP32 baseline\tPlan"));
        QCOMPARE(copied.value(1 + ComparisonModel::Bpw),
                 QStringLiteral("Bits per weight\t32.00\t%1")
                     .arg(cell(ComparisonModel::Bpw, ComparisonModel::Plan)));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("plan-evaluation.png"));
        cwbtest::saveScreenshot(panel, QStringLiteral("plan-comparison.png"));

        // The same plan again: the baseline comes from the cache, the numbers are the same bits.
        const double kldMean = table->result()->metrics.kldMean;
        panel->evaluate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QVERIFY2(result->baselineText().startsWith(QLatin1String("from the cache")),
                 qPrintable(result->baselineText()));
        QCOMPARE(table->result()->metrics.kldMean, kldMean);

        // Back to f32 everywhere, Evaluate measures the perplexity alone.
        applyPreset(*w, QStringLiteral("all-fp32"));
        panel->evaluate();
        QCOMPARE(result->mode(), EvaluationResultView::Mode::Perplexity);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kEvaluationTimeoutMs);
        QVERIFY2(result->perplexityText().contains(QStringLiteral(" ± ")),
                 qPrintable(result->perplexityText()));
    }

    void cancelsAPlanEvaluationMidway() {
        auto w = cwbtest::openDemoWindow();
        applyPreset(*w, QStringLiteral("all-int4_g32"));
        cwbtest::evaluateThenCancel(*w, QStringLiteral("plan-evaluation-running.png"),
                                    kEvaluationTimeoutMs);
        if (QTest::currentTestFailed())
            return;
        EvaluationPanel* panel = w->evaluationPanel();
        QVERIFY(!panel->resultView()->comparisonModel()->result());
        QVERIFY(!cwbtest::errorBox(w.get()));
    }
};

QTEST_MAIN(TestPlanEditing)
#include "tst_planediting.moc"
