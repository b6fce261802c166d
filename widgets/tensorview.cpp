// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorview.h"

#include "methoddelegate.h"
#include "methodstyle.h"
#include "precisiondelegate.h"
#include "precisionplanmodel.h"
#include "precisionstyle.h"
#include "tensortablemodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QRegularExpression>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

TensorView::TensorView(QWidget* parent)
    : QWidget(parent)
    , m_model(new TensorTableModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_filter(new QLineEdit(this))
    , m_count(new QLabel(this))
    , m_apply(new QComboBox(this))
    , m_applyMethod(new QComboBox(this))
    , m_table(new QTableView(this)) {
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(TensorTableModel::SortRole);
    m_proxy->setFilterKeyColumn(TensorTableModel::Name);

    m_filter->setObjectName(QStringLiteral("tensorFilter"));
    m_filter->setPlaceholderText(tr("Filter by name (regular expression, as plans match)"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, &TensorView::applyFilter);

    m_apply->setObjectName(QStringLiteral("applyToSelected"));
    PrecisionDelegate::fillPrecisionCombo(m_apply);
    m_apply->setCurrentIndex(-1);
    m_apply->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_apply->hide(); // until there is a plan to apply precisions to
    connect(m_apply, &QComboBox::activated, this, [this](int i) {
        applyToSelection(cwb::PrecisionId(m_apply->itemData(i).toInt()));
        // Back to the prompt: the combo box is an action, not a state.
        m_apply->setCurrentIndex(-1);
    });

    m_applyMethod->setObjectName(QStringLiteral("applyMethodToSelected"));
    fillMethodCombo(m_applyMethod, true);
    m_applyMethod->setItemText(0, tr("plan default"));
    m_applyMethod->setCurrentIndex(-1);
    m_applyMethod->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_applyMethod->hide();
    connect(m_applyMethod, &QComboBox::activated, this, [this](int i) {
        const int id = m_applyMethod->itemData(i).toInt();
        applyMethodToSelection(id < 0 ? std::nullopt : std::optional(cwb::QuantMethod(id)));
        m_applyMethod->setCurrentIndex(-1);
    });

    m_table->setObjectName(QStringLiteral("tensorTable"));
    m_table->setModel(m_proxy);
    m_table->setAlternatingRowColors(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked |
                             QAbstractItemView::EditKeyPressed);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QWidget::customContextMenuRequested, this, &TensorView::showContextMenu);
    auto* header = m_table->horizontalHeader();
    // Names are what rows are told apart by: shown whole (a narrow pane scrolls sideways), the
    // last column taking what room is left.
    for (int c = TensorTableModel::Name; c < TensorTableModel::ColumnCount; ++c)
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    header->setStretchLastSection(true);
    // Room for the widest name and the editor's arrow, whatever the rows hold now.
    header->setSectionResizeMode(TensorTableModel::Precision, QHeaderView::Fixed);
    header->resizeSection(
        TensorTableModel::Precision,
        m_table->fontMetrics().horizontalAdvance(QStringLiteral("int4_g32_asym")) + 64);
    header->setSectionResizeMode(TensorTableModel::Method, QHeaderView::Fixed);
    header->resizeSection(TensorTableModel::Method,
                          m_table->fontMetrics().horizontalAdvance(QStringLiteral("smoothquant")) +
                              40);
    // No sort indicator: the table starts in file order, blocks in sequence.
    header->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);

    connect(m_proxy, &QAbstractItemModel::modelReset, this, &TensorView::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &TensorView::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &TensorView::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &TensorView::updateCount);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &TensorView::updateSelectionActions);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &TensorView::updateSelectionActions);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this] { emit currentTensorChanged(currentTensor()); });
    connect(m_proxy, &QAbstractItemModel::modelReset, this,
            [this] { emit currentTensorChanged(currentTensor()); });

    auto* top = new QHBoxLayout;
    top->addWidget(m_filter, 1);
    top->addWidget(m_count);
    top->addSpacing(12);
    top->addWidget(m_apply);
    top->addWidget(m_applyMethod);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);
    updateCount();
    updateSelectionActions();
}

void TensorView::setRows(QList<TensorRow> rows) {
    m_model->setRows(std::move(rows));
}

void TensorView::setPlanModel(PrecisionPlanModel* plan) {
    m_plan = plan;
    m_model->setPlanModel(plan);
    m_table->setItemDelegateForColumn(TensorTableModel::Precision, new PrecisionDelegate(m_table));
    m_table->setItemDelegateForColumn(TensorTableModel::Method, new MethodDelegate(m_table));
    m_apply->setVisible(plan != nullptr);
    m_applyMethod->setVisible(plan != nullptr);
    updateSelectionActions();
}

QList<int> TensorView::selectedRows() const {
    QList<int> rows;
    for (const QModelIndex& i : m_table->selectionModel()->selectedRows())
        rows << m_proxy->mapToSource(i).row();
    std::sort(rows.begin(), rows.end());
    return rows;
}

int TensorView::selectedQuantizable() const {
    if (!m_plan)
        return 0;
    const QList<int> rows = selectedRows();
    return int(std::count_if(rows.begin(), rows.end(),
                             [this](int row) { return m_plan->isQuantizable(row); }));
}

void TensorView::updateSelectionActions() {
    const int n = selectedQuantizable();
    m_apply->setEnabled(n > 0);
    m_apply->setPlaceholderText(n > 1 ? tr("Set %1 selected to…").arg(n) : tr("Set selected to…"));
    m_applyMethod->setEnabled(n > 0);
    m_applyMethod->setPlaceholderText(tr("Method…"));
    m_applyMethod->setToolTip(
        n == 0 ? tr("Select rows of the table to give them one quantization method together")
               : tr("Give the %n selected weight matrices one quantization method, as one undo "
                    "step",
                    nullptr, n));
    if (n == 0)
        m_apply->setToolTip(tr("Select rows of the table (Shift or Ctrl for several) to give "
                               "them one precision together"));
    else
        m_apply->setToolTip(n == 1 ? tr("Give the selected weight matrix another precision")
                                   : tr("Give the %1 selected weight matrices one precision, as "
                                        "one undo step")
                                         .arg(n));
}

void TensorView::applyToSelection(cwb::PrecisionId precision) {
    if (m_plan)
        m_plan->setPrecision(selectedRows(), precision);
}

void TensorView::applyMethodToSelection(std::optional<cwb::QuantMethod> method) {
    if (m_plan)
        m_plan->setMethod(selectedRows(), method);
}

QString TensorView::currentTensor() const {
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    if (!current.isValid())
        return {};
    const QModelIndex source = m_proxy->mapToSource(current);
    return m_model->index(source.row(), TensorTableModel::Name).data().toString();
}

bool TensorView::selectTensor(const QString& name) {
    const QList<TensorRow>& rows = m_model->rows();
    const auto it = std::find_if(rows.begin(), rows.end(),
                                 [&name](const TensorRow& r) { return r.name == name; });
    if (it == rows.end())
        return false;
    const QModelIndex source = m_model->index(int(it - rows.begin()), TensorTableModel::Name);
    if (!m_proxy->mapFromSource(source).isValid())
        m_filter->clear();
    const QModelIndex at = m_proxy->mapFromSource(source);
    m_table->selectionModel()->setCurrentIndex(at, QItemSelectionModel::ClearAndSelect |
                                                       QItemSelectionModel::Rows);
    m_table->scrollTo(at);
    return true;
}

QMenu* TensorView::createPrecisionMenu(QWidget* parent) {
    if (!m_plan || !m_plan->model())
        return nullptr;
    const int n = selectedQuantizable();
    auto* menu = new QMenu(
        n <= 1 ? tr("Set &Precision") : tr("Set &Precision of %1 Tensors").arg(n), parent);
    menu->setObjectName(QStringLiteral("precisionMenu"));
    menu->setToolTipsVisible(true);
    menu->setEnabled(n > 0);
    // The current precision is checked when the selection shares one.
    QSet<int> current;
    for (int row : selectedRows())
        if (m_plan->isQuantizable(row))
            current.insert(int(m_plan->precision(row)));
    for (const cwb::PrecisionInfo& info : cwb::precisions()) {
        QAction* a = menu->addAction(precisionIcon(info.id), QLatin1String(info.name));
        a->setObjectName(QStringLiteral("setPrecision-%1").arg(QLatin1String(info.name)));
        a->setToolTip(QLatin1String(info.summary));
        a->setCheckable(true);
        a->setChecked(current.size() == 1 && current.contains(int(info.id)));
        const cwb::PrecisionId id = info.id;
        connect(a, &QAction::triggered, this, [this, id] { applyToSelection(id); });
    }
    return menu;
}

QMenu* TensorView::createMethodMenu(QWidget* parent) {
    if (!m_plan || !m_plan->model())
        return nullptr;
    const int n = selectedQuantizable();
    auto* menu =
        new QMenu(n <= 1 ? tr("Set &Method") : tr("Set &Method of %1 Tensors").arg(n), parent);
    menu->setObjectName(QStringLiteral("methodMenu"));
    menu->setToolTipsVisible(true);
    menu->setEnabled(n > 0);
    // The current choice is checked when the selection shares one; -1 is the plan's default.
    QSet<int> current;
    for (int row : selectedRows())
        if (m_plan->isQuantizable(row)) {
            const auto own = m_plan->explicitMethod(row);
            current.insert(own ? int(*own) : -1);
        }
    auto add = [&](const QString& text, const QString& id, const QString& tip,
                   std::optional<cwb::QuantMethod> method) {
        QAction* a = menu->addAction(text);
        a->setObjectName(QStringLiteral("setMethod-%1").arg(id));
        a->setToolTip(tip);
        a->setCheckable(true);
        a->setChecked(current.size() == 1 && current.contains(method ? int(*method) : -1));
        connect(a, &QAction::triggered, this, [this, method] { applyMethodToSelection(method); });
    };
    add(tr("Plan default (%1)").arg(cwb::methodName(m_plan->defaultMethod())),
        QStringLiteral("default"), tr("Follow the plan's default method"), std::nullopt);
    menu->addSeparator();
    for (auto m : {cwb::QuantMethod::Rtn, cwb::QuantMethod::SmoothQuant, cwb::QuantMethod::Awq,
                   cwb::QuantMethod::Gptq})
        add(cwb::methodName(m), cwb::methodName(m), methodSummary(m), m);
    return menu;
}

void TensorView::showContextMenu(const QPoint& position) {
    QMenu* precision = createPrecisionMenu(this);
    QMenu* method = createMethodMenu(this);
    if (!precision || !method)
        return;
    QMenu menu(this);
    menu.addMenu(precision);
    menu.addMenu(method);
    precision->setParent(&menu, precision->windowFlags());
    method->setParent(&menu, method->windowFlags());
    menu.exec(m_table->viewport()->mapToGlobal(position));
}

void TensorView::applyFilter(const QString& pattern) {
    const QRegularExpression re(pattern, QRegularExpression::CaseInsensitiveOption);
    // Keep the last good filter while a pattern is half typed.
    if (!re.isValid()) {
        m_filter->setToolTip(re.errorString());
        return;
    }
    m_filter->setToolTip({});
    m_proxy->setFilterRegularExpression(re);
    updateCount();
}

void TensorView::updateCount() {
    const int total = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    const QString tensors = total == 1 ? tr("1 tensor") : tr("%1 tensors").arg(total);
    m_count->setText(shown == total ? tensors : tr("%1 of %2").arg(shown).arg(tensors));
}
