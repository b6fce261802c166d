// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "mappedfile.h"
#include "progress.h"
#include "result.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace cwb {

// Where the workbench keeps what it can recompute: $CWB_CACHE_DIR, or the user's cache folder.
QString cacheDirectory();

// The FP32 model's logits at every scored position of an evaluation, computed once per model,
// text and evaluation settings (the key hashes them all) and reused for every plan evaluated on
// them. Stored as a file named after the key, written whole through a temporary file; a file of
// the wrong size or header is recomputed, never trusted.
class BaselineLogits {
public:
    using RowSink = std::function<void(std::span<const float> logits)>;
    // Produces the rows in order, handing each to the sink.
    using Producer = std::function<Result<void>(const RowSink& sink)>;

    static Result<BaselineLogits> obtain(const QString& directory, const QString& key, int vocab,
                                         std::int64_t rows, const Producer& produce);

    BaselineLogits(BaselineLogits&&) = default;
    BaselineLogits& operator=(BaselineLogits&&) = default;
    BaselineLogits(const BaselineLogits&) = delete; // m_values may point into m_memory

    std::span<const float> row(std::int64_t i) const;
    std::int64_t rows() const { return m_rows; }
    bool fromCache() const { return m_fromCache; }
    const QString& path() const { return m_path; } // empty if kept in memory
    QStringList warnings() const { return m_warnings; }

private:
    BaselineLogits() = default;
    int m_vocab = 0;
    std::int64_t m_rows = 0;
    bool m_fromCache = false;
    QString m_path;
    QStringList m_warnings;
    std::shared_ptr<const MappedFile> m_file;
    std::vector<float> m_memory; // when the cache folder cannot be written
    std::span<const float> m_values;
};

} // namespace cwb
