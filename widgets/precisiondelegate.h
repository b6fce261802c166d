// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "listdelegate.h"

// Edits a Precision cell with a list of every precision in the table, each with its colour and
// its summary as tooltip.
class PrecisionDelegate : public ListDelegate {
    Q_OBJECT
public:
    explicit PrecisionDelegate(QObject* parent = nullptr);

    // A combo box listing every precision, with its colour and its summary as tooltip; the item
    // data is int(cwb::PrecisionId). Also used outside item views.
    static void fillPrecisionCombo(QComboBox* combo);

protected:
    void fillList(QComboBox* combo, const QModelIndex& index) const override;
    QVariant currentChoice(const QModelIndex& index) const override;
};
