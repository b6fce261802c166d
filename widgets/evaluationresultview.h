// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class ComparisonModel;
class QBoxLayout;
class MethodReportModel;
class QFormLayout;
class QLabel;
class QTableView;

namespace cwb {
struct PerplexityResult;
struct PlanEvaluation;
} // namespace cwb

// The outcome of the last evaluation: its state, and the metrics once it finished. A plan's
// evaluation shows as a table beside the FP32 baseline; the FP32 model alone as its perplexity.
// A plan with calibrated methods adds what they did at each input, and whether the calibration
// text is like the evaluation text.
class EvaluationResultView : public QWidget {
    Q_OBJECT
public:
    enum class Mode { Perplexity, Comparison };

    explicit EvaluationResultView(QWidget* parent = nullptr);

    // Which kind of result the rows are laid out for; showResult() and showComparison() set it.
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }

    void showIdle();
    void showRunning();
    void showStage(const QString& stage);
    void showCancelled();
    void showFailed(const QString& reason);
    void showResult(const cwb::PerplexityResult& result);
    void showComparison(const cwb::PlanEvaluation& result, const QString& planName);

    QString statusText() const;
    QString perplexityText() const;
    QString tokensText() const;
    QString speedText() const;
    QString baselineText() const;
    QString warningsText() const;
    ComparisonModel* comparisonModel() const { return m_comparison; }
    QTableView* comparisonView() const { return m_comparisonView; }
    MethodReportModel* methodReportModel() const { return m_methodReports; }
    // Shown after a plan with calibrated methods; its table is hidden when no input was rescaled.
    QWidget* methodsBox() const { return m_methodsBox; }
    QTableView* methodReportView() const { return m_methodsView; }
    // The calibration text against the evaluation text: empty unless measured.
    QString mismatchText() const;
    bool isMismatchWarning() const { return m_mismatchWarning; }

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void arrangeMetrics();
    void clearMetrics();
    void setWarnings(const QStringList& warnings);
    QLabel* addValue(const QString& label, const QString& name, const QString& tip);
    QTableView* createComparisonView();
    QWidget* createMethodsBox();
    void showMethods(const cwb::PlanEvaluation& result);

    QFormLayout* m_form;
    QBoxLayout* m_metrics = nullptr;
    Mode m_mode = Mode::Perplexity;
    QLabel* m_status;
    ComparisonModel* m_comparison;
    QTableView* m_comparisonView;
    MethodReportModel* m_methodReports;
    QWidget* m_methodsBox = nullptr;
    QLabel* m_methodsNote = nullptr;
    QTableView* m_methodsView = nullptr;
    QLabel* m_mismatch;
    bool m_mismatchWarning = false;
    QLabel* m_ppl;
    QLabel* m_tokens;
    QLabel* m_speed;
    QLabel* m_method;
    QLabel* m_baseline;
    QLabel* m_warnings;
};
