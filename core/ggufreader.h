// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"
#include "tensor.h"

#include <QString>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cwb {

// GGUF metadata value types, numbered as the specification numbers them.
enum class GgufType : std::uint32_t {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12,
};
const char* ggufTypeName(GgufType type);

struct GgufArray {
    GgufType elementType = GgufType::U8;
    std::uint64_t count = 0;
    std::span<const std::uint8_t> raw; // the elements of a numeric array, in the file
    std::vector<std::string> strings;  // the elements of a string array
};

struct GgufValue {
    GgufType type = GgufType::U8;
    std::variant<std::uint64_t, std::int64_t, double, bool, std::string, GgufArray> value;
};

class GgufMetadata {
public:
    std::vector<std::pair<QString, GgufValue>> entries; // in file order

    const GgufValue* find(const QString& key) const;
    // Integer-typed values of any width; nullopt if absent, not an integer, or out of range.
    std::optional<std::int64_t> integer(const QString& key) const;
    std::optional<double> number(const QString& key) const; // integer or float types
    std::optional<std::string> string(const QString& key) const;
    const GgufArray* array(const QString& key) const;
    // Human-readable value, arrays summarised ("[512 × string]").
    static QString toText(const GgufValue& value);
};

// Limits on what a file may ask for, checked before anything is allocated from its claims.
struct GgufLimits {
    std::uint64_t maxTensors = 65536;
    std::uint64_t maxMetadata = 65536;
    std::uint64_t maxKeyLength = 65535; // the specification's own limit
    std::uint64_t maxStringLength = 64ull << 20;
    std::uint64_t maxArrayElements = 1ull << 26;
    std::int64_t maxDimension = std::int64_t(1) << 40;
    std::int64_t maxElements = std::int64_t(1) << 44;
    int maxArrayDepth = 3;
};

struct GgufFile {
    std::uint32_t version = 0;
    std::uint64_t alignment = 32;
    std::uint64_t dataOffset = 0;
    GgufMetadata metadata;
    std::vector<Tensor> tensors; // data spans into `bytes`
};

// Parses a whole GGUF v2 or v3 file held in memory. Every count, length, dimension and offset is
// checked against the bytes there are; nothing is read out of bounds.
Result<GgufFile> parseGguf(std::span<const std::uint8_t> bytes, const GgufLimits& limits = {});

} // namespace cwb
