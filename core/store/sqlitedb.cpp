// SPDX-License-Identifier: GPL-3.0-or-later
#include "sqlitedb.h"

#include <sqlite3.h>

#include <QFileInfo>

namespace cwb::store {

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const QString& path, Mode mode) {
    sqlite3* db = nullptr;
    const int flags = (mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY
                                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        const QString why =
            db ? QString::fromUtf8(sqlite3_errmsg(db)) : QString::fromUtf8(sqlite3_errstr(rc));
        sqlite3_close(db);
        return Error{QStringLiteral("%1: cannot open the run database: %2").arg(path, why)};
    }
    sqlite3_busy_timeout(db, 10000); // another process writing waits, not fails
    sqlite3_extended_result_codes(db, 1);
    return std::unique_ptr<SqliteDb>(new SqliteDb(db, path));
}

SqliteDb::~SqliteDb() {
    sqlite3_close(m_db);
}

Result<void> SqliteDb::exec(const QString& sql) {
    char* message = nullptr;
    if (sqlite3_exec(m_db, sql.toUtf8().constData(), nullptr, nullptr, &message) != SQLITE_OK) {
        const QString why = message ? QString::fromUtf8(message) : lastError();
        sqlite3_free(message);
        return Error{why};
    }
    return {};
}

QString SqliteDb::lastError() const {
    return QString::fromUtf8(sqlite3_errmsg(m_db));
}
std::int64_t SqliteDb::lastInsertId() const {
    return sqlite3_last_insert_rowid(m_db);
}
int SqliteDb::changes() const {
    return sqlite3_changes(m_db);
}

Result<Statement> Statement::prepare(SqliteDb& db, const QString& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db.handle(), sql.toUtf8().constData(), -1, &s, nullptr) != SQLITE_OK)
        return Error{db.lastError()};
    return Statement(db, s);
}

Statement::Statement(Statement&& other) noexcept
    : m_db(other.m_db)
    , m_stmt(other.m_stmt) {
    other.m_stmt = nullptr;
}
Statement::~Statement() {
    sqlite3_finalize(m_stmt);
}

Statement& Statement::bind(int index, const QVariant& value) {
    if (value.isNull() || !value.isValid()) {
        sqlite3_bind_null(m_stmt, index);
    } else if (value.typeId() == QMetaType::Double || value.typeId() == QMetaType::Float) {
        sqlite3_bind_double(m_stmt, index, value.toDouble());
    } else if (value.typeId() == QMetaType::Int || value.typeId() == QMetaType::LongLong ||
               value.typeId() == QMetaType::UInt || value.typeId() == QMetaType::ULongLong ||
               value.typeId() == QMetaType::Bool) {
        sqlite3_bind_int64(m_stmt, index, value.toLongLong());
    } else {
        const QByteArray utf8 = value.toString().toUtf8();
        sqlite3_bind_text(m_stmt, index, utf8.constData(), int(utf8.size()), SQLITE_TRANSIENT);
    }
    return *this;
}

Result<bool> Statement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    return Error{m_db->lastError()};
}

Result<void> Statement::run() {
    for (;;) {
        auto r = step();
        if (!r)
            return r.error();
        if (!*r)
            return {};
    }
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(m_stmt, column);
}
double Statement::real(int column) const {
    return sqlite3_column_double(m_stmt, column);
}
bool Statement::isNull(int column) const {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}
QString Statement::text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
    return p ? QString::fromUtf8(p, sqlite3_column_bytes(m_stmt, column)) : QString();
}
std::optional<double> Statement::optionalReal(int column) const {
    return isNull(column) ? std::nullopt : std::optional(real(column));
}

Result<Transaction> Transaction::begin(SqliteDb& db) {
    if (auto r = db.exec(QStringLiteral("BEGIN IMMEDIATE")); !r)
        return r.error();
    return Transaction(db);
}

Transaction::~Transaction() {
    if (m_db)
        (void)m_db->exec(QStringLiteral("ROLLBACK"));
}

Result<void> Transaction::commit() {
    auto r = m_db->exec(QStringLiteral("COMMIT"));
    if (r)
        m_db = nullptr; // a failed COMMIT leaves the transaction open: the destructor rolls back
    return r;
}

} // namespace cwb::store
