// SPDX-License-Identifier: GPL-3.0-or-later
#include "precisionplanmodel.h"
#include "tensortablemodel.h"
#include "tensorview.h"

#include "model.h"
#include "testassets.h"

#include <QAbstractItemModelTester>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>
#include <QUndoStack>

#include <tuple>

class TestTensorTableModel : public QObject {
    Q_OBJECT

private:
    static std::shared_ptr<const cwb::Model> load(const QString& path) {
        auto model = cwb::loadModel(path);
        if (!model)
            qFatal("%s", qPrintable(model.error().message));
        return model.value();
    }
    static QString cell(const QAbstractItemModel& m, int row, int column) {
        return m.index(row, column).data().toString();
    }

private slots:
    void rowsFollowTheFile_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("rows");
        QTest::addColumn<QString>("lastName");
        QTest::addColumn<QStringList>("types");
        // The checkpoint ties the classifier to the embedding; the GGUF files store
        // output.weight, and list the head before the blocks.
        QTest::newRow("llama2.c") << cwbtest::stories260KBin() << 47 << "output_norm.weight"
                                  << QStringList{"F32"};
        QTest::newRow("gguf") << cwbtest::stories260KGguf() << 48 << "blk.4.ffn_norm.weight"
                              << QStringList{"F32"};
        QTest::newRow("gguf q8_0") << cwbtest::asset("stories260K-llamacpp/stories260K.Q8_0.gguf")
                                   << 48 << "blk.4.ffn_norm.weight" << QStringList{"F32", "Q8_0"};
    }
    void rowsFollowTheFile() {
        QFETCH(QString, path);
        QFETCH(int, rows);
        QFETCH(QString, lastName);
        QFETCH(QStringList, types);

        const auto model = load(path);
        TensorTableModel table;
        QAbstractItemModelTester tester(&table,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        table.setRows(tensorRows(*model));

        QCOMPARE(table.rowCount(), rows);
        QCOMPARE(table.columnCount(), 8);
        const QStringList headers{"Name",  "Shape",     "Parameters", "Type",
                                  "Bytes", "Precision", "Method",     "Sensitivity"};
        for (int c = 0; c < headers.size(); ++c)
            QCOMPARE(table.headerData(c, Qt::Horizontal).toString(), headers.at(c));
        QCOMPARE(cell(table, 0, TensorTableModel::Name), QStringLiteral("token_embd.weight"));
        QCOMPARE(cell(table, 0, TensorTableModel::Shape), QStringLiteral("512 × 64"));
        QCOMPARE(cell(table, 0, TensorTableModel::Parameters), QStringLiteral("32,768"));
        QCOMPARE(cell(table, rows - 1, TensorTableModel::Name), lastName);
        // Without a plan every tensor is shown as the FP32 model has it, and nothing is editable.
        QCOMPARE(cell(table, 0, TensorTableModel::Precision), QStringLiteral("fp32"));
        QVERIFY(!(table.flags(table.index(0, TensorTableModel::Precision)) & Qt::ItemIsEditable));
        QCOMPARE(cell(table, 0, TensorTableModel::Method), QStringLiteral("rtn"));
        QVERIFY(!(table.flags(table.index(0, TensorTableModel::Method)) & Qt::ItemIsEditable));

        QSet<QString> seen;
        std::int64_t parameters = 0;
        for (int r = 0; r < rows; ++r) {
            seen.insert(cell(table, r, TensorTableModel::Type));
            parameters += table.index(r, TensorTableModel::Parameters)
                              .data(TensorTableModel::SortRole)
                              .toLongLong();
        }
        QCOMPARE(seen, QSet<QString>(types.begin(), types.end()));
        QCOMPARE(parameters, model->parameterCount());
    }

    void numbersAreRightAlignedAndSortAsNumbers() {
        const auto model = load(cwbtest::stories260KBin());
        TensorTableModel table;
        table.setRows(tensorRows(*model));
        for (int c : {int(TensorTableModel::Parameters), int(TensorTableModel::Bytes)}) {
            const QModelIndex i = table.index(0, c);
            QCOMPARE(i.data(Qt::TextAlignmentRole).toInt(), int(Qt::AlignRight | Qt::AlignVCenter));
            QVERIFY(i.data(TensorTableModel::SortRole).canConvert<qlonglong>());
        }
        QCOMPARE(
            table.index(0, TensorTableModel::Bytes).data(TensorTableModel::SortRole).toULongLong(),
            131072ull);
        QCOMPARE(cell(table, 0, TensorTableModel::Bytes), QStringLiteral("131,072"));
        QVERIFY(!table.index(0, TensorTableModel::Name).data(Qt::TextAlignmentRole).isValid());
    }

    void sortByBytesPutsTheEmbeddingFirst() {
        const auto model = load(cwbtest::stories260KBin());
        TensorView view;
        QAbstractItemModelTester tester(view.proxyModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setRows(tensorRows(*model));
        view.tableView()->sortByColumn(TensorTableModel::Bytes, Qt::DescendingOrder);
        const QAbstractItemModel& proxy = *view.proxyModel();
        QCOMPARE(cell(proxy, 0, TensorTableModel::Name), QStringLiteral("token_embd.weight"));
        // Numeric, not text order: "44,032" sorts below "131,072" and above "8,192".
        quint64 previous = std::numeric_limits<quint64>::max();
        for (int r = 0; r < proxy.rowCount(); ++r) {
            const quint64 bytes = proxy.index(r, TensorTableModel::Bytes)
                                      .data(TensorTableModel::SortRole)
                                      .toULongLong();
            QVERIFY(bytes <= previous);
            previous = bytes;
        }
        view.tableView()->sortByColumn(TensorTableModel::Parameters, Qt::AscendingOrder);
        QCOMPARE(cell(proxy, 0, TensorTableModel::Parameters), QStringLiteral("64"));
    }

    void namesSortNaturally() {
        TensorTableModel table;
        QList<TensorRow> rows;
        for (const char* name : {"blk.10.attn_q.weight", "blk.2.attn_q.weight", "token_embd.weight",
                                 "blk.1.attn_q.weight"})
            rows.append(TensorRow{QString::fromLatin1(name),
                                  {4, 4},
                                  QStringLiteral("4 × 4"),
                                  16,
                                  QStringLiteral("F32"),
                                  64});
        table.setRows(rows);
        QSortFilterProxyModel proxy;
        QAbstractItemModelTester tester(&proxy,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setSourceModel(&table);
        proxy.setSortRole(TensorTableModel::SortRole);
        proxy.sort(TensorTableModel::Name, Qt::AscendingOrder);
        QStringList order;
        for (int r = 0; r < proxy.rowCount(); ++r)
            order << cell(proxy, r, TensorTableModel::Name);
        QCOMPARE(order, (QStringList{"blk.1.attn_q.weight", "blk.2.attn_q.weight",
                                     "blk.10.attn_q.weight", "token_embd.weight"}));
    }

    void filterMatchesNamesByRegularExpression_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<int>("rows");
        QTest::newRow("everything") << "" << 47;
        QTest::newRow("attention of every block") << "blk\\.[0-9]+\\.attn_.*" << 25;
        QTest::newRow("one block") << "^blk\\.3\\." << 9;
        QTest::newRow("case-insensitive") << "TOKEN_EMBD" << 1;
        QTest::newRow("half-typed pattern keeps the last filter") << "blk\\.[0-9" << 47;
    }
    void filterMatchesNamesByRegularExpression() {
        QFETCH(QString, pattern);
        QFETCH(int, rows);
        const auto model = load(cwbtest::stories260KBin());
        TensorView view;
        view.setRows(tensorRows(*model));
        view.filterEdit()->setText(pattern);
        QCOMPARE(view.proxyModel()->rowCount(), rows);
    }

    // A sensitivity analysis fills the column with the int4_g32 loss (sorting as a number, the
    // tooltip every candidate); a search's reason shows while the tensor keeps its precision.
    void sensitivityColumnAndReasons() {
        const auto model = load(cwbtest::stories260KBin());
        PrecisionPlanModel plan;
        plan.setModel(model);
        TensorTableModel table;
        QAbstractItemModelTester tester(&table,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        table.setRows(tensorRows(*model));
        table.setPlanModel(&plan);
        const int q = plan.rowOf(QStringLiteral("blk.0.attn_q.weight"));
        const int k = plan.rowOf(QStringLiteral("blk.0.attn_k.weight"));
        QVERIFY(table.index(q, TensorTableModel::Sensitivity).data().toString().isEmpty());

        auto result = std::make_shared<cwb::SensitivityResult>();
        result->precisions = {cwb::PrecisionId::Int8G32, cwb::PrecisionId::Int4G32};
        for (const auto& [name, int8, int4] :
             {std::tuple{QStringLiteral("blk.0.attn_q.weight"), 1e-5, 0.004},
              std::tuple{QStringLiteral("blk.0.attn_k.weight"), 2e-5, 0.0005}}) {
            cwb::TensorSensitivity t;
            t.name = name;
            t.losses = {{cwb::PrecisionId::Int8G32, int8}, {cwb::PrecisionId::Int4G32, int4}};
            result->tensors.push_back(t);
        }
        table.setSensitivity(result);
        QCOMPARE(table.index(q, TensorTableModel::Sensitivity).data().toString(),
                 QStringLiteral("0.004"));
        QCOMPARE(table.index(k, TensorTableModel::Sensitivity).data().toString(),
                 QStringLiteral("0.0005"));
        QCOMPARE(table.index(q, TensorTableModel::Sensitivity)
                     .data(TensorTableModel::SortRole)
                     .toDouble(),
                 0.004);
        QCOMPARE(table.index(0, TensorTableModel::Sensitivity)
                     .data(TensorTableModel::SortRole)
                     .toDouble(),
                 -1.0);
        const QString tip =
            table.index(q, TensorTableModel::Sensitivity).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QLatin1String("int8_g32: 1e-05")), qPrintable(tip));
        QVERIFY2(tip.contains(QLatin1String("int4_g32: 0.004")), qPrintable(tip));

        plan.setPrecision({q}, cwb::PrecisionId::Int8G32);
        table.setSearchReasons({{QStringLiteral("blk.0.attn_q.weight"), cwb::PrecisionId::Int8G32,
                                 1e-5, 0, QStringLiteral("kept at int8_g32: sensitive")}});
        QCOMPARE(table.reason(q), QStringLiteral("kept at int8_g32: sensitive"));
        QVERIFY(table.index(q, TensorTableModel::Precision)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QLatin1String("kept at int8_g32: sensitive")));
        QVERIFY(table.reason(k).isEmpty());
        plan.setPrecision({q}, cwb::PrecisionId::Int4G32); // edited since: the reason is stale
        QVERIFY(table.reason(q).isEmpty());
        plan.undoStack()->undo();
        QCOMPARE(table.reason(q), QStringLiteral("kept at int8_g32: sensitive"));
        table.setSensitivity(nullptr);
        QVERIFY(table.index(q, TensorTableModel::Sensitivity).data().toString().isEmpty());
    }
};

QTEST_MAIN(TestTensorTableModel)
#include "tst_tensortablemodel.moc"
