// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace cwb {

namespace store {
class SqliteDb;
}

enum class RunStatus { Running, Finished, Failed, Cancelled, Interrupted };
QString runStatusName(RunStatus status);

struct MetricValue {
    double value = 0;
    std::optional<double> uncertainty;
};

struct TensorResult {
    QString tensor;
    QString precision;
    QString method = QStringLiteral("rtn");
    std::uint64_t bytes = 0;
    std::optional<double> quantError;
    std::optional<double> sensitivity;
};

struct ModelIdentity {
    QString path;
    std::int64_t sizeBytes = 0;
    QString sha256;
    QString format;
    QString architecture;
    std::int64_t parameters = 0;
    QJsonObject config;
};

struct TextIdentity {
    QString path;
    QString sha256;
    std::int64_t tokens = 0;
    bool isEmpty() const { return sha256.isEmpty(); }
};

// Everything DESIGN.md lists for a run.
struct RunRecord {
    std::int64_t id = 0;
    QString kind; // "evaluation", "calibration", "quantization", "benchmark", "search", …
    RunStatus status = RunStatus::Running;
    std::optional<ModelIdentity> model;
    QString name;
    QJsonObject plan;
    TextIdentity evalText;
    TextIdentity calibText;
    QJsonObject settings; // split, context, options of the kind
    int threads = 0;
    QString cpu;
    QString toolVersion;
    QString toolCommit;
    QString onednnVersion;
    QDateTime startedAt;
    QDateTime finishedAt;
    QString error;
    QString command; // the cwb command that reproduces it
    std::optional<std::int64_t> parentId;
    std::map<QString, MetricValue> metrics;
    std::vector<TensorResult> tensors;
};

// A machine to serve on, for the cost model.
struct HardwareProfile {
    std::int64_t id = 0;
    QString name;
    QString kind = QStringLiteral("cpu"); // "cpu" or "gpu"
    double memoryGiB = 0;
    double bandwidthGBs = 0; // memory bandwidth
    double int8Tops = 0;     // dense int8 peak, tera-ops per second
    double fp16Tflops = 0;   // dense fp16 peak
    double pricePerHour = 0; // dollars
    QString notes;
    bool shipped = false; // from the shipped example list
};

// What a run produced, recorded when it ends.
struct RunOutcome {
    std::map<QString, MetricValue> metrics;
    std::vector<TensorResult> tensors;
    std::int64_t evalTokens = 0; // scored evaluation tokens, when the run counted them
    QJsonObject settings;        // merged into the run's settings
};

struct RunFilter {
    QString model; // a substring of the model's path or a sha256 prefix
    QString kind;
    int limit = 0; // 0 = every run
};

// The SQLite run store: one file, WAL, foreign keys on, numbered migrations each applied in one
// transaction, the schema version in the file. A run is written as "running" when it starts and
// completed when it ends; a run whose process has died is found "interrupted". Use one RunStore
// per thread.
class RunStore {
public:
    static constexpr int kSchemaVersion = 3;

    // $CWB_DB, or runs.sqlite in the user's data folder.
    static QString defaultPath();
    // Creates or migrates the file. A file that is not SQLite is refused and left untouched; a
    // database from a newer version opens read-only, and every write says why it is refused.
    static Result<std::unique_ptr<RunStore>> open(const QString& path);
    // For tests of migrations: a new database at an earlier schema.
    static Result<void> createAtVersion(const QString& path, int version);
    ~RunStore();

    int schemaVersion() const { return m_version; }
    bool readOnly() const { return !m_readOnlyReason.isEmpty(); }
    const QString& readOnlyReason() const { return m_readOnlyReason; }
    const QString& path() const;

    Result<std::int64_t> begin(RunRecord run);
    Result<void> finish(std::int64_t id, RunStatus status, const RunOutcome& outcome,
                        const QString& error = {});
    Result<std::vector<RunRecord>> list(const RunFilter& filter = {});
    Result<RunRecord> get(std::int64_t id);
    // The latest finished run that wrote a model file with this sha256 (its settings'
    // "output_sha256"): the parent of any run made on that file. Nothing if no run did.
    Result<std::optional<std::int64_t>> runProducing(const QString& sha256);
    Result<void> remove(std::int64_t id);
    // Runs left "running" by a process on this host that no longer exists.
    Result<int> markInterrupted();

    Result<std::vector<HardwareProfile>> hardwareProfiles();
    Result<HardwareProfile> hardwareProfile(const QString& name);
    Result<std::int64_t> addHardware(const HardwareProfile& profile);
    Result<void> updateHardware(const HardwareProfile& profile); // by name
    Result<void> removeHardware(const QString& name);

    store::SqliteDb& database() { return *m_db; }

private:
    RunStore() = default;
    Result<void> refuseIfReadOnly() const;
    Result<std::int64_t> modelId(const ModelIdentity& model);
    std::unique_ptr<store::SqliteDb> m_db;
    int m_version = 0;
    QString m_readOnlyReason;
};

} // namespace cwb
