// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>
#include <QWidget>

class QComboBox;
class QLabel;
class QTableView;
class QToolButton;
class RunDiffMetricsModel;
class RunDiffTensorsModel;
class RunLibrary;
class WarningStrip;

// Two runs side by side (the Run Diff dock): every metric either has, with B − A and its
// uncertainty, and every tensor whose precision or method differs, as core's diffRuns finds
// them. The runs are picked here or sent by the run list's Compare; notes say when they are not
// comparable (other model, text or settings).
class RunDiffView : public QWidget {
    Q_OBJECT
public:
    explicit RunDiffView(RunLibrary* library, QWidget* parent = nullptr);

    // Shows run `a` against run `b`; returns whether both could be read.
    bool compare(qint64 a, qint64 b);
    qint64 runA() const { return m_a; }
    qint64 runB() const { return m_b; }

    RunDiffMetricsModel* metricsModel() const { return m_metrics; }
    RunDiffTensorsModel* tensorsModel() const { return m_tensors; }
    QTableView* metricsView() const { return m_metricsView; }
    QTableView* tensorsView() const { return m_tensorsView; }
    QString summaryText() const;
    QStringList notes() const { return m_notes; }

public slots:
    // Reads the run choices again; a compared run that was deleted clears the diff.
    void refresh();
    void swap();

signals:
    // The runs compared changed (0 when none).
    void compared(qint64 a, qint64 b);

private:
    void fillChoices();
    void onChoice();
    void clearDiff(const QString& message);
    QTableView* createTable(QWidget* parent);

    RunLibrary* m_library;
    RunDiffMetricsModel* m_metrics;
    RunDiffTensorsModel* m_tensors;
    QComboBox* m_pickA;
    QComboBox* m_pickB;
    QToolButton* m_swap;
    QLabel* m_summary;
    WarningStrip* m_notesStrip;
    QTableView* m_metricsView;
    QTableView* m_tensorsView;
    QLabel* m_tensorsTitle;
    qint64 m_a = 0, m_b = 0;
    QStringList m_notes;
};
