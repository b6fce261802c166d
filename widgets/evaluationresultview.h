// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QLabel;

namespace cwb {
struct PerplexityResult;
}

// The outcome of the last evaluation: its state, and the metrics once it finished.
class EvaluationResultView : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationResultView(QWidget* parent = nullptr);

    void showIdle();
    void showRunning();
    void showStage(const QString& stage);
    void showCancelled();
    void showFailed(const QString& reason);
    void showResult(const cwb::PerplexityResult& result);

    QString statusText() const;
    QString perplexityText() const;
    QString tokensText() const;
    QString speedText() const;
    QString warningsText() const;

private:
    void clearMetrics();
    void setWarnings(const QStringList& warnings);
    QLabel* addValue(const QString& label, const QString& name, const QString& tip);

    QLabel* m_status;
    QLabel* m_ppl;
    QLabel* m_tokens;
    QLabel* m_speed;
    QLabel* m_method;
    QLabel* m_warnings;
};
