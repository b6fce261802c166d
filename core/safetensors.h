// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "mappedfile.h"
#include "result.h"
#include "storedtype.h"

#include <QString>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace cwb {

// A tensor of a safetensors file as the file states it: PyTorch's shape order (the last
// dimension varies fastest) and a view of its bytes in the mapped file.
struct SafetensorsEntry {
    QString name;
    StoredType type = StoredType::F32;
    std::vector<std::int64_t> shape; // as written, [rows, row length] for a matrix
    std::span<const std::uint8_t> data;
};

struct SafetensorsLimits {
    std::uint64_t maxHeaderBytes = 100ull << 20;
    std::uint64_t maxTensors = 1 << 20;
    int maxRank = 8;
};

// Parses a safetensors file held in memory: an 8-byte little-endian header length, a JSON object
// of {name: {dtype, shape, data_offsets}} and "__metadata__", then the tensor bytes. Checks the
// header length against the limit and the file, each dtype (F32, F16, BF16), that every span lies
// in the file, matches its shape and overlaps no other.
Result<std::vector<SafetensorsEntry>> parseSafetensors(std::span<const std::uint8_t> bytes,
                                                       const SafetensorsLimits& limits = {});

// The safetensors weights of a Hugging Face folder: model.safetensors, or the shards that
// model.safetensors.index.json names, each mapped.
struct SafetensorsSet {
    std::vector<SafetensorsEntry> tensors; // shard by shard, each in file order
    std::vector<std::shared_ptr<const MappedFile>> files;
    QString indexPath; // empty for a single file
};
Result<SafetensorsSet> openSafetensorsFolder(const QString& folder);

} // namespace cwb
