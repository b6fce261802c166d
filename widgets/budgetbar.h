// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plan.h"

#include <QWidget>

#include <optional>

// The plan's size at a glance: a line of text ("276 kB of 1.04 MB · 8.43 bpw · 73.4% smaller")
// over a bar whose filled part is the packed size and whose whole length is the FP32 size.
class BudgetBar : public QWidget {
    Q_OBJECT
public:
    explicit BudgetBar(QWidget* parent = nullptr);

    // Nothing to show: no model is open.
    void clear();
    void setSize(const cwb::SizeSummary& size);

    QString text() const { return m_text; }
    // The exact value the text rounds; NaN when cleared.
    double bitsPerWeight() const;
    std::optional<cwb::SizeSummary> size() const { return m_size; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    int barHeight() const;

    std::optional<cwb::SizeSummary> m_size;
    QString m_text;
};
