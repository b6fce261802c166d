// SPDX-License-Identifier: GPL-3.0-or-later
#include "runstore.h"

#include "sqlitedb.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLockFile>
#include <QStandardPaths>
#include <QSysInfo>

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace cwb {

using store::SqliteDb;
using store::Statement;
using store::Transaction;

namespace {

const char* const kStatusNames[] = {"running", "finished", "failed", "cancelled", "interrupted"};

RunStatus statusFromName(const QString& name) {
    for (int i = 0; i < 5; ++i)
        if (name == QLatin1String(kStatusNames[i]))
            return RunStatus(i);
    return RunStatus::Failed;
}

QString migrationSql(int version) {
    const QDir dir(QStringLiteral(":/cwb/sql"));
    for (const QString& name : dir.entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name))
        if (name.section(QLatin1Char('_'), 0, 0).toInt() == version) {
            QFile f(dir.filePath(name));
            if (f.open(QIODevice::ReadOnly))
                return QString::fromUtf8(f.readAll());
        }
    return {};
}

QString json(const QJsonObject& o) {
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}
QJsonObject jsonObject(const QString& s) {
    return QJsonDocument::fromJson(s.toUtf8()).object();
}
QString isoNow() {
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

// The process's start time in clock ticks since boot (/proc/PID/stat field 22), which tells a
// live run's process from a later one that reused its pid.
std::int64_t processStart(std::int64_t pid) {
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')'); // the command name may hold spaces
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    return fields.size() > 19 ? fields[19].toLongLong() : -1; // field 22 is the 20th after ')'
}

Result<int> userVersion(SqliteDb& db) {
    auto s = Statement::prepare(db, QStringLiteral("PRAGMA user_version"));
    if (!s)
        return s.error();
    auto row = s->step();
    if (!row)
        return row.error();
    return int(s->integer(0));
}

Result<void> migrate(SqliteDb& db, int from, int to) {
    for (int v = from + 1; v <= to; ++v) {
        const QString sql = migrationSql(v);
        if (sql.isEmpty())
            return Error{QStringLiteral("migration %1 is missing from this build").arg(v)};
        auto t = Transaction::begin(db);
        if (!t)
            return t.error();
        if (auto r = db.exec(sql); !r)
            return Error{QStringLiteral("migration %1 failed: %2").arg(v).arg(r.error().message)};
        if (auto r = db.exec(QStringLiteral("PRAGMA user_version = %1").arg(v)); !r)
            return r.error();
        if (auto r = t->commit(); !r)
            return r.error();
    }
    return {};
}

Result<void> configure(SqliteDb& db) {
    // WAL lets readers and one writer work at once; FULL syncs each commit, so a finished run
    // survives a crash of the machine as well as of the process.
    for (const char* pragma :
         {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"})
        if (auto r = db.exec(QLatin1String(pragma)); !r)
            return r.error();
    return {};
}

} // namespace

QString runStatusName(RunStatus status) {
    return QLatin1String(kStatusNames[int(status)]);
}

QString RunStore::defaultPath() {
    const QByteArray fromEnv = qgetenv("CWB_DB");
    if (!fromEnv.isEmpty())
        return QString::fromLocal8Bit(fromEnv);
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QStringLiteral("/.local/share/compression-workbench");
    return QDir(dir).filePath(QStringLiteral("runs.sqlite"));
}

RunStore::~RunStore() = default;

const QString& RunStore::path() const {
    return m_db->path();
}

Result<std::unique_ptr<RunStore>> RunStore::open(const QString& path) {
    const bool exists = QFileInfo::exists(path);
    if (!exists)
        QDir().mkpath(QFileInfo(path).absolutePath());
    auto db = SqliteDb::open(path, SqliteDb::Mode::ReadWrite);
    if (!db)
        return db.error();
    // Read before writing anything: a file that is not SQLite fails here, untouched.
    auto version = userVersion(**db);
    if (!version)
        return Error{
            QStringLiteral("%1 is not a run database: %2").arg(path, version.error().message)};
    std::unique_ptr<RunStore> store(new RunStore);
    if (*version > kSchemaVersion) {
        auto readOnly = SqliteDb::open(path, SqliteDb::Mode::ReadOnly);
        if (!readOnly)
            return readOnly.error();
        store->m_db = std::move(readOnly.value());
        store->m_version = *version;
        store->m_readOnlyReason =
            QStringLiteral("%1 was written by a newer Compression Workbench (schema %2; this "
                           "one knows schema %3): it is opened read-only")
                .arg(path)
                .arg(*version)
                .arg(kSchemaVersion);
        return store;
    }
    // Setting a file up is done by one opener at a time: two commands started together on a
    // new database would otherwise both see it empty and both create its tables. The version is
    // read again under the lock, where what it says is no longer changing.
    QLockFile setupLock(path + QStringLiteral(".setup-lock"));
    if (*version < kSchemaVersion) {
        setupLock.setStaleLockTime(0); // a crashed opener's lock is taken over (by its PID)
        if (!setupLock.tryLock(30000))
            return Error{
                QStringLiteral("%1: another process has been setting it up for 30 s").arg(path)};
        version = userVersion(**db);
        if (!version)
            return Error{
                QStringLiteral("%1 is not a run database: %2").arg(path, version.error().message)};
    }
    if (*version == 0) {
        // An empty SQLite file is ours to set up; one with tables of its own is not.
        auto tables =
            Statement::prepare(**db, QStringLiteral("SELECT count(*) FROM sqlite_master"));
        if (!tables || !tables->step() || tables->integer(0) != 0)
            return Error{
                QStringLiteral("%1 is an SQLite database of something else, not a run database")
                    .arg(path)};
    }
    if (auto r = configure(**db); !r)
        return Error{QStringLiteral("%1: %2").arg(path, r.error().message)};
    if (auto r = migrate(**db, *version, kSchemaVersion); !r)
        return Error{QStringLiteral("%1: %2").arg(path, r.error().message)};
    store->m_db = std::move(db.value());
    store->m_version = kSchemaVersion;
    if (auto r = store->markInterrupted(); !r)
        return r.error();
    return store;
}

Result<void> RunStore::createAtVersion(const QString& path, int version) {
    auto db = SqliteDb::open(path, SqliteDb::Mode::ReadWrite);
    if (!db)
        return db.error();
    if (auto r = configure(**db); !r)
        return r;
    return migrate(**db, 0, version);
}

Result<void> RunStore::refuseIfReadOnly() const {
    if (readOnly())
        return Error{m_readOnlyReason};
    return {};
}

Result<std::int64_t> RunStore::modelId(const ModelIdentity& m) {
    auto find = Statement::prepare(
        *m_db, QStringLiteral("SELECT id FROM models WHERE sha256 = ? AND path = ?"));
    if (!find)
        return find.error();
    find->bind(1, m.sha256).bind(2, m.path);
    auto row = find->step();
    if (!row)
        return row.error();
    if (*row)
        return find->integer(0);
    auto insert =
        Statement::prepare(*m_db, QStringLiteral("INSERT INTO models (path, size_bytes, sha256, "
                                                 "format, architecture, parameters, config_json) "
                                                 "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    if (!insert)
        return insert.error();
    insert->bind(1, m.path)
        .bind(2, qint64(m.sizeBytes))
        .bind(3, m.sha256)
        .bind(4, m.format)
        .bind(5, m.architecture)
        .bind(6, qint64(m.parameters))
        .bind(7, json(m.config));
    if (auto r = insert->run(); !r)
        return r.error();
    return m_db->lastInsertId();
}

Result<std::int64_t> RunStore::begin(RunRecord run) {
    if (auto r = refuseIfReadOnly(); !r)
        return r.error();
    auto t = Transaction::begin(*m_db);
    if (!t)
        return t.error();
    QVariant model;
    if (run.model) {
        auto id = modelId(*run.model);
        if (!id)
            return id.error();
        model = qint64(*id);
    }
    auto s = Statement::prepare(
        *m_db, QStringLiteral(
                   "INSERT INTO runs (kind, status, model_id, name, plan_json, eval_text_path, "
                   "eval_text_sha256, eval_tokens, "
                   "calib_text_path, calib_text_sha256, calib_tokens, settings_json, threads, cpu, "
                   "tool_version, tool_commit, "
                   "onednn_version, started_at, pid, process_start, host, command, parent_run_id) "
                   "VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                   "?, ?)"));
    if (!s)
        return s.error();
    auto text = [](const QString& v) { return v.isEmpty() ? QVariant() : QVariant(v); };
    const qint64 pid = ::getpid();
    s->bind(1, run.kind)
        .bind(2, model)
        .bind(3, run.name)
        .bind(4, run.plan.isEmpty() ? QVariant() : QVariant(json(run.plan)))
        .bind(5, text(run.evalText.path))
        .bind(6, text(run.evalText.sha256))
        .bind(7, run.evalText.isEmpty() ? QVariant() : QVariant(qint64(run.evalText.tokens)))
        .bind(8, text(run.calibText.path))
        .bind(9, text(run.calibText.sha256))
        .bind(10, run.calibText.isEmpty() ? QVariant() : QVariant(qint64(run.calibText.tokens)))
        .bind(11, json(run.settings))
        .bind(12, run.threads)
        .bind(13, run.cpu)
        .bind(14, run.toolVersion)
        .bind(15, run.toolCommit)
        .bind(16, run.onednnVersion)
        .bind(17, isoNow())
        .bind(18, pid)
        .bind(19, qint64(processStart(pid)))
        .bind(20, QSysInfo::machineHostName())
        .bind(21, text(run.command))
        .bind(22, run.parentId ? QVariant(qint64(*run.parentId)) : QVariant());
    if (auto r = s->run(); !r)
        return r.error();
    const std::int64_t id = m_db->lastInsertId();
    if (auto r = t->commit(); !r)
        return r.error();
    return id;
}

Result<void> RunStore::finish(std::int64_t id, RunStatus status, const RunOutcome& outcome,
                              const QString& error) {
    const auto& metrics = outcome.metrics;
    const auto& tensors = outcome.tensors;
    const QJsonObject& settingsUpdate = outcome.settings;
    if (auto r = refuseIfReadOnly(); !r)
        return r;
    auto t = Transaction::begin(*m_db);
    if (!t)
        return t.error();
    auto metric =
        Statement::prepare(*m_db, QStringLiteral("INSERT OR REPLACE INTO metrics (run_id, name, "
                                                 "value, uncertainty) VALUES (?, ?, ?, ?)"));
    if (!metric)
        return metric.error();
    for (const auto& [name, m] : metrics) {
        metric->bind(1, qint64(id))
            .bind(2, name)
            .bind(3, m.value)
            .bind(4, m.uncertainty ? QVariant(*m.uncertainty) : QVariant());
        if (auto r = metric->run(); !r)
            return r.error();
        metric->reset();
    }
    auto tensor = Statement::prepare(
        *m_db, QStringLiteral("INSERT OR REPLACE INTO tensor_results (run_id, tensor, precision, "
                              "method, bytes, quant_error, sensitivity) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    if (!tensor)
        return tensor.error();
    for (const TensorResult& r : tensors) {
        tensor->bind(1, qint64(id))
            .bind(2, r.tensor)
            .bind(3, r.precision)
            .bind(4, r.method)
            .bind(5, qint64(r.bytes))
            .bind(6, r.quantError ? QVariant(*r.quantError) : QVariant())
            .bind(7, r.sensitivity ? QVariant(*r.sensitivity) : QVariant());
        if (auto ok = tensor->run(); !ok)
            return ok.error();
        tensor->reset();
    }
    if (!settingsUpdate.isEmpty()) {
        auto current = get(id);
        QJsonObject merged = current ? current->settings : QJsonObject{};
        for (auto it = settingsUpdate.begin(); it != settingsUpdate.end(); ++it)
            merged.insert(it.key(), it.value());
        auto update = Statement::prepare(
            *m_db, QStringLiteral("UPDATE runs SET settings_json = ? WHERE id = ?"));
        if (!update)
            return update.error();
        update->bind(1, json(merged)).bind(2, qint64(id));
        if (auto r = update->run(); !r)
            return r.error();
    }
    auto run = Statement::prepare(
        *m_db, QStringLiteral("UPDATE runs SET status = ?, finished_at = ?, error = ?, eval_tokens "
                              "= coalesce(?, eval_tokens) WHERE id = ?"));
    if (!run)
        return run.error();
    run->bind(1, runStatusName(status))
        .bind(2, isoNow())
        .bind(3, error.isEmpty() ? QVariant() : QVariant(error))
        .bind(4, outcome.evalTokens > 0 ? QVariant(qint64(outcome.evalTokens)) : QVariant())
        .bind(5, qint64(id));
    if (auto r = run->run(); !r)
        return r.error();
    if (m_db->changes() != 1)
        return Error{QStringLiteral("there is no run %1").arg(id)};
    return t->commit();
}

namespace {

const char* const kRunColumns =
    "r.id, r.kind, r.status, r.name, r.plan_json, r.eval_text_path, r.eval_text_sha256, "
    "r.eval_tokens, "
    "r.calib_text_path, r.calib_text_sha256, r.calib_tokens, r.settings_json, r.threads, r.cpu, "
    "r.tool_version, "
    "r.tool_commit, r.onednn_version, r.started_at, r.finished_at, r.error, r.command, "
    "r.parent_run_id, "
    "m.path, m.size_bytes, m.sha256, m.format, m.architecture, m.parameters, m.config_json";

RunRecord runFrom(const Statement& s) {
    RunRecord r;
    r.id = s.integer(0);
    r.kind = s.text(1);
    r.status = statusFromName(s.text(2));
    r.name = s.text(3);
    r.plan = jsonObject(s.text(4));
    r.evalText = {s.text(5), s.text(6), s.integer(7)};
    r.calibText = {s.text(8), s.text(9), s.integer(10)};
    r.settings = jsonObject(s.text(11));
    r.threads = int(s.integer(12));
    r.cpu = s.text(13);
    r.toolVersion = s.text(14);
    r.toolCommit = s.text(15);
    r.onednnVersion = s.text(16);
    r.startedAt = QDateTime::fromString(s.text(17), Qt::ISODateWithMs);
    r.finishedAt =
        s.isNull(18) ? QDateTime() : QDateTime::fromString(s.text(18), Qt::ISODateWithMs);
    r.error = s.text(19);
    r.command = s.text(20);
    if (!s.isNull(21))
        r.parentId = s.integer(21);
    if (!s.isNull(22))
        r.model =
            ModelIdentity{s.text(22),    s.integer(23),         s.text(24), s.text(25), s.text(26),
                          s.integer(27), jsonObject(s.text(28))};
    return r;
}

Result<void> loadMetrics(SqliteDb& db, RunRecord& r) {
    auto s = Statement::prepare(
        db, QStringLiteral("SELECT name, value, uncertainty FROM metrics WHERE run_id = ?"));
    if (!s)
        return s.error();
    s->bind(1, qint64(r.id));
    for (;;) {
        auto row = s->step();
        if (!row)
            return row.error();
        if (!*row)
            return {};
        r.metrics[s->text(0)] = MetricValue{s->real(1), s->optionalReal(2)};
    }
}

} // namespace

Result<std::vector<RunRecord>> RunStore::list(const RunFilter& filter) {
    QString sql =
        QStringLiteral("SELECT %1 FROM runs r LEFT JOIN models m ON m.id = r.model_id WHERE 1")
            .arg(QLatin1String(kRunColumns));
    if (!filter.model.isEmpty())
        sql += QStringLiteral(" AND (instr(m.path, ?1) > 0 OR m.sha256 LIKE ?1 || '%')");
    if (!filter.kind.isEmpty())
        sql += QStringLiteral(" AND r.kind = ?2");
    sql += QStringLiteral(" ORDER BY r.id");
    if (filter.limit > 0)
        sql += QStringLiteral(" LIMIT %1").arg(filter.limit);
    auto s = Statement::prepare(*m_db, sql);
    if (!s)
        return s.error();
    if (!filter.model.isEmpty())
        s->bind(1, filter.model);
    if (!filter.kind.isEmpty())
        s->bind(2, filter.kind);
    std::vector<RunRecord> runs;
    for (;;) {
        auto row = s->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        runs.push_back(runFrom(*s));
    }
    for (RunRecord& r : runs)
        if (auto ok = loadMetrics(*m_db, r); !ok)
            return ok.error();
    return runs;
}

Result<RunRecord> RunStore::get(std::int64_t id) {
    auto s = Statement::prepare(
        *m_db, QStringLiteral("SELECT %1 FROM runs r LEFT JOIN models m ON m.id = r.model_id "
                              "WHERE r.id = ?")
                   .arg(QLatin1String(kRunColumns)));
    if (!s)
        return s.error();
    s->bind(1, qint64(id));
    auto row = s->step();
    if (!row)
        return row.error();
    if (!*row)
        return Error{QStringLiteral("there is no run %1").arg(id)};
    RunRecord r = runFrom(*s);
    if (auto ok = loadMetrics(*m_db, r); !ok)
        return ok.error();
    auto t = Statement::prepare(
        *m_db, QStringLiteral("SELECT tensor, precision, method, bytes, quant_error, sensitivity "
                              "FROM tensor_results WHERE run_id = ? "
                              "ORDER BY rowid"));
    if (!t)
        return t.error();
    t->bind(1, qint64(id));
    for (;;) {
        auto tr = t->step();
        if (!tr)
            return tr.error();
        if (!*tr)
            break;
        r.tensors.push_back({t->text(0), t->text(1), t->text(2), std::uint64_t(t->integer(3)),
                             t->optionalReal(4), t->optionalReal(5)});
    }
    return r;
}

Result<std::optional<std::int64_t>> RunStore::runProducing(const QString& sha256) {
    if (sha256.isEmpty())
        return std::optional<std::int64_t>{};
    // A run that wrote back the very model it read (an FP32 "quantization") made nothing new.
    auto s = Statement::prepare(
        *m_db, QStringLiteral("SELECT r.id FROM runs r LEFT JOIN models m ON m.id = r.model_id "
                              "WHERE r.status = 'finished' AND "
                              "json_extract(r.settings_json, '$.output_sha256') = ?1 AND "
                              "(m.sha256 IS NULL OR m.sha256 <> ?1) "
                              "ORDER BY r.id DESC LIMIT 1"));
    if (!s)
        return s.error();
    s->bind(1, sha256);
    auto row = s->step();
    if (!row)
        return row.error();
    if (!*row)
        return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{s->integer(0)};
}

Result<void> RunStore::remove(std::int64_t id) {
    if (auto r = refuseIfReadOnly(); !r)
        return r;
    auto s = Statement::prepare(*m_db, QStringLiteral("DELETE FROM runs WHERE id = ?"));
    if (!s)
        return s.error();
    s->bind(1, qint64(id));
    if (auto r = s->run(); !r)
        return r;
    if (m_db->changes() != 1)
        return Error{QStringLiteral("there is no run %1").arg(id)};
    return {};
}

Result<int> RunStore::markInterrupted() {
    if (readOnly())
        return 0;
    auto s = Statement::prepare(
        *m_db,
        QStringLiteral(
            "SELECT id, pid, process_start FROM runs WHERE status = 'running' AND host = ?"));
    if (!s)
        return s.error();
    s->bind(1, QSysInfo::machineHostName());
    std::vector<std::int64_t> gone;
    for (;;) {
        auto row = s->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        const std::int64_t pid = s->integer(1);
        const bool alive = ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
        if (!alive || processStart(pid) != s->integer(2))
            gone.push_back(s->integer(0));
    }
    auto mark =
        Statement::prepare(*m_db, QStringLiteral("UPDATE runs SET status = 'interrupted', error = "
                                                 "'the process ended before the run finished' "
                                                 "WHERE id = ? AND status = 'running'"));
    if (!mark)
        return mark.error();
    for (std::int64_t id : gone) {
        mark->bind(1, qint64(id));
        if (auto r = mark->run(); !r)
            return r.error();
        mark->reset();
    }
    return int(gone.size());
}

namespace {

Result<void> checkProfile(const HardwareProfile& p) {
    if (p.name.trimmed().isEmpty())
        return Error{QStringLiteral("a hardware profile needs a name")};
    if (p.kind != QLatin1String("cpu") && p.kind != QLatin1String("gpu"))
        return Error{
            QStringLiteral("%1: the kind must be cpu or gpu, not \"%2\"").arg(p.name, p.kind)};
    if (!(p.memoryGiB > 0) || !(p.bandwidthGBs > 0) || !(p.int8Tops > 0) || !(p.fp16Tflops > 0) ||
        !(p.pricePerHour >= 0))
        return Error{
            QStringLiteral(
                "%1: memory, bandwidth and both peaks must be positive, the price not negative")
                .arg(p.name)};
    return {};
}

HardwareProfile profileFrom(const Statement& s) {
    return {s.integer(0), s.text(1), s.text(2), s.real(3), s.real(4),
            s.real(5),    s.real(6), s.real(7), s.text(8), s.integer(9) != 0};
}

// Binds a profile's fields, kind to notes, from parameter `first` on: INSERT and UPDATE name
// them in the same order.
void bindProfileFields(Statement& s, const HardwareProfile& p, int first) {
    s.bind(first, p.kind)
        .bind(first + 1, p.memoryGiB)
        .bind(first + 2, p.bandwidthGBs)
        .bind(first + 3, p.int8Tops)
        .bind(first + 4, p.fp16Tflops)
        .bind(first + 5, p.pricePerHour)
        .bind(first + 6, p.notes);
}

const char* const kProfileColumns = "id, name, kind, memory_gib, bandwidth_gbs, int8_tops, "
                                    "fp16_tflops, price_per_hour, notes, shipped";

} // namespace

Result<std::vector<HardwareProfile>> RunStore::hardwareProfiles() {
    auto s = Statement::prepare(
        *m_db, QStringLiteral("SELECT %1 FROM hardware_profiles ORDER BY price_per_hour, name")
                   .arg(QLatin1String(kProfileColumns)));
    if (!s)
        return s.error();
    std::vector<HardwareProfile> profiles;
    for (;;) {
        auto row = s->step();
        if (!row)
            return row.error();
        if (!*row)
            return profiles;
        profiles.push_back(profileFrom(*s));
    }
}

Result<HardwareProfile> RunStore::hardwareProfile(const QString& name) {
    auto s =
        Statement::prepare(*m_db, QStringLiteral("SELECT %1 FROM hardware_profiles WHERE name = ?")
                                      .arg(QLatin1String(kProfileColumns)));
    if (!s)
        return s.error();
    s->bind(1, name);
    auto row = s->step();
    if (!row)
        return row.error();
    if (!*row)
        return Error{QStringLiteral("there is no hardware profile \"%1\"").arg(name)};
    return profileFrom(*s);
}

Result<std::int64_t> RunStore::addHardware(const HardwareProfile& p) {
    if (auto r = refuseIfReadOnly(); !r)
        return r.error();
    if (auto r = checkProfile(p); !r)
        return r.error();
    if (hardwareProfile(p.name))
        return Error{QStringLiteral("a hardware profile named \"%1\" exists already").arg(p.name)};
    auto s = Statement::prepare(
        *m_db, QStringLiteral("INSERT INTO hardware_profiles (name, kind, memory_gib, "
                              "bandwidth_gbs, int8_tops, fp16_tflops, price_per_hour, "
                              "notes, shipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"));
    if (!s)
        return s.error();
    s->bind(1, p.name);
    bindProfileFields(*s, p, 2);
    if (auto r = s->run(); !r)
        return r.error();
    return m_db->lastInsertId();
}

Result<void> RunStore::updateHardware(const HardwareProfile& p) {
    if (auto r = refuseIfReadOnly(); !r)
        return r;
    if (auto r = checkProfile(p); !r)
        return r;
    auto s = Statement::prepare(
        *m_db, QStringLiteral("UPDATE hardware_profiles SET kind = ?, memory_gib = ?, "
                              "bandwidth_gbs = ?, int8_tops = ?, fp16_tflops = ?, "
                              "price_per_hour = ?, notes = ? WHERE name = ?"));
    if (!s)
        return s.error();
    bindProfileFields(*s, p, 1);
    s->bind(8, p.name);
    if (auto r = s->run(); !r)
        return r;
    if (m_db->changes() != 1)
        return Error{QStringLiteral("there is no hardware profile \"%1\"").arg(p.name)};
    return {};
}

Result<void> RunStore::removeHardware(const QString& name) {
    if (auto r = refuseIfReadOnly(); !r)
        return r;
    auto s =
        Statement::prepare(*m_db, QStringLiteral("DELETE FROM hardware_profiles WHERE name = ?"));
    if (!s)
        return s.error();
    s->bind(1, name);
    if (auto r = s->run(); !r)
        return r;
    if (m_db->changes() != 1)
        return Error{QStringLiteral("there is no hardware profile \"%1\"").arg(name)};
    return {};
}

} // namespace cwb
