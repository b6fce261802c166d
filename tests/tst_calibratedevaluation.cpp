// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationpanel.h"
#include "comparisonmodel.h"
#include "evaluationpanel.h"
#include "evaluationresultview.h"
#include "mainwindow.h"
#include "methodoptionsbar.h"
#include "methodreportmodel.h"
#include "planpage.h"
#include "precisionplanmodel.h"

#include "guitest.h"
#include "model.h"
#include "testassets.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

namespace {

using cwb::QuantMethod;

constexpr int kTimeoutMs = 600'000; // sanitizer builds run the model ~10× slower

double leadingNumber(const QString& text) {
    return text.section(QLatin1Char(' '), 0, 0).remove(QLatin1Char('%')).toDouble();
}

} // namespace

class TestCalibratedEvaluation : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_cache;

    static std::unique_ptr<MainWindow> openDemo() {
        auto w = cwbtest::openDemoWindow();
        // A short evaluation, and a small calibration: enough to see every part work.
        cwb::EvalOptions o;
        o.split = cwb::SplitMode::Chunks;
        o.ctx = 128;
        o.maxTokens = 2000;
        w->evaluationPanel()->setOptions(o);
        cwb::CalibrationOptions c;
        c.sequences = 8;
        c.sequenceLength = 128;
        w->calibrationPanel()->setOptions(c);
        return w;
    }

    // The whole plan at int4_g32, every tensor by gptq unless it names another method.
    static void gptqPlan(MainWindow& w) {
        cwbtest::findAction(&w, QStringLiteral("preset-all-int4_g32"))->trigger();
        QComboBox* method = w.planPage()->methodOptions()->defaultMethodCombo();
        const int gptq = method->findData(int(QuantMethod::Gptq));
        method->setCurrentIndex(gptq);
        emit method->activated(gptq);
        QVERIFY(w.planModel()->needsCalibration());
    }

    static void calibrate(MainWindow& w) {
        CalibrationPanel* panel = w.calibrationPanel();
        panel->calibrate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kTimeoutMs);
        QVERIFY2(panel->statistics(), qPrintable(panel->statusText()));
    }

    static void evaluate(MainWindow& w) {
        EvaluationPanel* panel = w.evaluationPanel();
        w.bottomTabs()->setCurrentWidget(panel);
        QTest::mouseClick(panel->findChild<QPushButton*>(QStringLiteral("evaluateButton")),
                          Qt::LeftButton);
        QVERIFY(panel->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kTimeoutMs);
        QVERIFY2(panel->resultView()->statusText().startsWith(QLatin1String("Finished")),
                 qPrintable(panel->resultView()->statusText()));
        QVERIFY(!cwbtest::errorBox(&w));
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_calibratedevaluation"));
        QSettings().clear();
        QVERIFY(m_cache.isValid());
        qputenv("CWB_CACHE_DIR", QFile::encodeName(m_cache.path()));
    }

    void evaluatesAGptqPlanWithTheStatistics() {
        auto w = openDemo();
        EvaluationResultView* result = w->evaluationPanel()->resultView();
        QAbstractItemModelTester tester(result->methodReportModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        calibrate(*w);
        const auto stats = w->calibrationPanel()->statistics();
        gptqPlan(*w);
        QLabel* state =
            w->evaluationPanel()->findChild<QLabel*>(QStringLiteral("evaluationCalibration"));
        QVERIFY(state->isVisible());
        QVERIFY2(state->text().startsWith(QLatin1String("1,024 tokens")),
                 qPrintable(state->text()));
        evaluate(*w);

        ComparisonModel* comparison = result->comparisonModel();
        const double kld = comparison->index(ComparisonModel::KldMean, ComparisonModel::Plan)
                               .data(ComparisonModel::ValueRole)
                               .toDouble();
        QVERIFY2(kld > 0 && kld < 1, qPrintable(QString::number(kld)));
        QVERIFY(
            leadingNumber(
                comparison->index(ComparisonModel::Top1, ComparisonModel::Plan).data().toString()) >
            50);
        // The statistics were used as they were: no calibration on the way.
        QCOMPARE(w->calibrationPanel()->statistics(), stats);
        // The methods' part of the result is there; GPTQ scales no input, so it says so.
        QVERIFY(result->methodsBox()->isVisible());
        QCOMPARE(result->methodReportModel()->rowCount(), 0);
        QVERIFY(result->findChild<QLabel*>(QStringLiteral("methodsNote"))->isVisible());
        // The texts were compared; the comparison has its own line, not a warning in the list.
        QVERIFY(!result->mismatchText().isEmpty());
        QVERIFY2(!result->warningsText().contains(QLatin1String("calibration text")),
                 qPrintable(result->warningsText()));

        // AWQ on the first block's attention input: its α search shows per input.
        const auto* plan = w->planModel();
        w->planModel()->setMethod({plan->rowOf(QStringLiteral("blk.0.attn_q.weight")),
                                   plan->rowOf(QStringLiteral("blk.0.attn_k.weight")),
                                   plan->rowOf(QStringLiteral("blk.0.attn_v.weight"))},
                                  QuantMethod::Awq);
        evaluate(*w);
        MethodReportModel* reports = result->methodReportModel();
        QCOMPARE(reports->rowCount(), 1);
        QCOMPARE(reports->index(0, MethodReportModel::Site).data().toString(),
                 QStringLiteral("blk.0.attn_in"));
        QCOMPARE(reports->index(0, MethodReportModel::Method).data().toString(),
                 QStringLiteral("awq"));
        QCOMPARE(reports->index(0, MethodReportModel::Chosen).data().toString(),
                 QStringLiteral("searched"));
        const double alpha = reports->index(0, MethodReportModel::Alpha)
                                 .data(MethodReportModel::ValueRole)
                                 .toDouble();
        QVERIFY(alpha >= 0 && alpha <= 1);
        // The search keeps α = 0 (no scaling) if nothing beats it: never worse than rtn.
        QVERIFY(reports->index(0, MethodReportModel::ErrorMethod)
                    .data(MethodReportModel::ValueRole)
                    .toDouble() <= reports->index(0, MethodReportModel::ErrorRtn)
                                       .data(MethodReportModel::ValueRole)
                                       .toDouble());
        QVERIFY(result->methodReportView()->isVisible());
        cwbtest::saveScreenshot(w->evaluationPanel(), QStringLiteral("evaluation-methods.png"));
        cwbtest::saveScreenshot(w.get(), QStringLiteral("main-evaluation-methods.png"));
    }

    void calibratesFirstWhenThereAreNoStatistics() {
        auto w = openDemo();
        gptqPlan(*w);
        QVERIFY(!w->calibrationPanel()->statistics());
        QLabel* state =
            w->evaluationPanel()->findChild<QLabel*>(QStringLiteral("evaluationCalibration"));
        QVERIFY(state->isVisible());
        QVERIFY2(state->text().contains(QLatin1String("calibrates first")),
                 qPrintable(state->text()));
        evaluate(*w);
        // The statistics of the way are the window's now, for the next evaluation.
        const auto stats = w->calibrationPanel()->statistics();
        QVERIFY(stats);
        QCOMPARE(stats->sequences, 8);
        QVERIFY2(w->calibrationPanel()->statusText().contains(QLatin1String("calibrated to "
                                                                            "evaluate")),
                 qPrintable(w->calibrationPanel()->statusText()));
        QVERIFY(w->evaluationPanel()->resultView()->methodsBox()->isVisible());
        QVERIFY(!w->evaluationPanel()->resultView()->mismatchText().isEmpty());

        // A plan of rtn alone neither needs statistics nor compares texts.
        QComboBox* method = w->planPage()->methodOptions()->defaultMethodCombo();
        const int rtn = method->findData(int(QuantMethod::Rtn));
        method->setCurrentIndex(rtn);
        emit method->activated(rtn);
        QVERIFY(state->isHidden()); // rtn needs no statistics
        evaluate(*w);
        QVERIFY(w->evaluationPanel()->resultView()->methodsBox()->isHidden());
        QVERIFY(w->evaluationPanel()->resultView()->mismatchText().isEmpty());
    }

    void saysWhenTheTextsAreAlike() {
        auto w = openDemo();
        // As many tokens as the mismatch threshold was measured with: fewer, and sampling noise
        // alone moves two texts of one kind apart. AWQ needs no Hessians.
        cwb::CalibrationOptions c;
        c.sequences = 32;
        c.sequenceLength = 256;
        c.hessians = false;
        w->calibrationPanel()->setOptions(c);
        calibrate(*w);
        cwbtest::findAction(w.get(), QStringLiteral("preset-all-int4_g32"))->trigger();
        QComboBox* method = w->planPage()->methodOptions()->defaultMethodCombo();
        const int awq = method->findData(int(QuantMethod::Awq));
        method->setCurrentIndex(awq);
        emit method->activated(awq);
        evaluate(*w);
        EvaluationResultView* result = w->evaluationPanel()->resultView();
        // TinyStories calibration, TinyStories evaluation: a neutral line.
        QVERIFY(!result->isMismatchWarning());
        QVERIFY2(result->mismatchText().contains(QLatin1String("resembles the evaluation text")),
                 qPrintable(result->mismatchText()));
        QVERIFY2(result->mismatchText().contains(QLatin1String("0.08 plus")),
                 qPrintable(result->mismatchText()));
        // Every input AWQ scaled is listed: four per block (the tied classifier cannot be).
        QCOMPARE(result->methodReportModel()->rowCount(), 20);
        cwbtest::saveScreenshot(w->evaluationPanel(), QStringLiteral("evaluation-awq.png"));
    }

    void warnsWhenTheCalibrationTextIsUnlikeTheEvaluationText() {
        auto w = openDemo();
        w->calibrationPanel()->setTextPath(cwbtest::asset(QStringLiteral("kjv-bible/kjv.txt")));
        calibrate(*w);
        QVERIFY2(w->calibrationPanel()->statusText().contains(QLatin1String("kjv.txt")),
                 qPrintable(w->calibrationPanel()->statusText()));
        gptqPlan(*w);
        evaluate(*w);
        EvaluationResultView* result = w->evaluationPanel()->resultView();
        QVERIFY(result->isMismatchWarning());
        QLabel* line = result->findChild<QLabel*>(QStringLiteral("mismatchLine"));
        QVERIFY(line->isVisible());
        const QString text = result->mismatchText();
        QVERIFY2(text.contains(QLatin1String("unlike the evaluation text")), qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("bits")), qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("the threshold is")) &&
                     text.contains(QLatin1String("0.08 plus")),
                 qPrintable(text));
        cwbtest::saveScreenshot(w->evaluationPanel(), QStringLiteral("evaluation-mismatch.png"));
    }
};

QTEST_MAIN(TestCalibratedEvaluation)
#include "tst_calibratedevaluation.moc"
