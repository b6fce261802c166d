// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "listdelegate.h"

// Edits a Method cell with a list: the plan's default, then every method, each with its summary
// as tooltip.
class MethodDelegate : public ListDelegate {
    Q_OBJECT
public:
    explicit MethodDelegate(QObject* parent = nullptr);

protected:
    void fillList(QComboBox* combo, const QModelIndex& index) const override;
    // The tensor's own method, or -1 (the "plan default" entry) when it follows the plan's.
    QVariant currentChoice(const QModelIndex& index) const override;
};
