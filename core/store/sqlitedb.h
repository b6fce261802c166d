// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QString>
#include <QVariant>

#include <cstdint>
#include <memory>
#include <optional>

struct sqlite3;
struct sqlite3_stmt;

namespace cwb::store {

// One SQLite connection. Used from one thread; every failure is a Result, never an exception.
class SqliteDb {
public:
    enum class Mode { ReadWrite, ReadOnly };
    static Result<std::unique_ptr<SqliteDb>> open(const QString& path, Mode mode);
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    Result<void> exec(const QString& sql); // statements without results, separated by ';'
    QString lastError() const;
    std::int64_t lastInsertId() const;
    int changes() const;
    sqlite3* handle() const { return m_db; }
    const QString& path() const { return m_path; }

private:
    explicit SqliteDb(sqlite3* db, QString path)
        : m_db(db)
        , m_path(std::move(path)) {}
    sqlite3* m_db;
    QString m_path;
};

// A prepared statement; values bound by position (from 1), columns read by index (from 0).
class Statement {
public:
    static Result<Statement> prepare(SqliteDb& db, const QString& sql);
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    ~Statement();

    Statement& bind(int index, const QVariant& value); // null, integer, double or text
    // Steps once: true while a row is there, false at the end; an error otherwise.
    Result<bool> step();
    Result<void> run(); // steps to the end
    void reset();

    std::int64_t integer(int column) const;
    double real(int column) const;
    QString text(int column) const;
    bool isNull(int column) const;
    std::optional<double> optionalReal(int column) const;

private:
    Statement(SqliteDb& db, sqlite3_stmt* s)
        : m_db(&db)
        , m_stmt(s) {}
    SqliteDb* m_db;
    sqlite3_stmt* m_stmt;
};

// BEGIN IMMEDIATE … COMMIT, rolled back unless committed.
class Transaction {
public:
    static Result<Transaction> begin(SqliteDb& db);
    Transaction(Transaction&& other) noexcept
        : m_db(other.m_db) {
        other.m_db = nullptr;
    }
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Result<void> commit();

private:
    explicit Transaction(SqliteDb& db)
        : m_db(&db) {}
    SqliteDb* m_db;
};

} // namespace cwb::store
