// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"
#include "storedtype.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace cwb {

// Every precision a weight matrix can be given. The names (not these numbers) are what plan
// files, the run store and the command line use.
enum class PrecisionId : int {
    Fp32,
    Fp16,
    Bf16,
    Int8,
    W8A8,
    Int8G32,
    Int4G32,
    Int4G32Asym,
    Int4G128,
    Int2G16,
};

// The grid a group of values is quantized onto: value(q) = q · scale + offset for integer q in
// [qmin, qmax], with scale and offset as the layout stores them (f16-rounded where it stores f16).
struct QuantGrid {
    float scale = 0;
    float offset = 0;
    int qmin = 0;
    int qmax = 0;
    float value(int q) const { return float(q) * scale + offset; }
    int nearest(float x) const;
};

// One row of the precision table. A matrix is quantized row by row (a row holds one output
// channel's K input weights); groups run along the row. A last group shorter than the group size
// is stored as a whole block, zero-padded, and its padding is counted in the size.
struct PrecisionInfo {
    PrecisionId id;
    const char* name;    // "int4_g32"
    const char* summary; // one line for help texts and tooltips
    int weightBits;      // bits of each stored value, scales excluded
    int groupSize;       // values sharing a scale: 0 = the whole row, 1 = none (floats)
    bool symmetric;
    bool quantizesActivations;
    int blockBytes;       // bytes of one group, scales included (floats: bytes per value)
    int rowOverheadBytes; // bytes per row outside the groups (the per-channel scale)
    std::optional<StoredType> ggufType; // the GGUF tensor type with exactly this layout
    // The largest magnitude a tensor may hold and still be stored (scales are f16 in most
    // layouts, so a huge outlier would turn the whole group into Inf).
    double maxMagnitude;
    void (*quantizeRow)(std::span<const float> row, std::span<std::uint8_t> out);
    void (*dequantizeRow)(std::span<const std::uint8_t> in, std::span<float> row);
    // Integer formats only (null for floats), for methods that choose the integers themselves
    // (GPTQ): the grid the reference quantizer would pick for a group (a whole row when
    // groupSize is 0), and the packing of a row from its integers and its groups' grids.
    QuantGrid (*grid)(std::span<const float> group);
    void (*packRow)(std::span<const int> q, std::span<const QuantGrid> grids,
                    std::span<std::uint8_t> out);
};

std::span<const PrecisionInfo> precisions();
const PrecisionInfo& precisionInfo(PrecisionId id);
std::optional<PrecisionId> precisionByName(const QString& name);
// The colour every view and report draws the precision in (0xRRGGBB), by its weight bits: grey
// 32, blue 16, green 8, amber 4, red below.
std::uint32_t precisionRgb(PrecisionId id);
QStringList precisionNames();

// Values sharing one grid along a row: the group size, or the whole row for per-channel formats.
inline std::int64_t gridSpan(const PrecisionInfo& p, std::int64_t rowLength) {
    return p.groupSize > 1 ? p.groupSize : rowLength;
}

// Bytes of one packed row of `rowLength` values.
std::uint64_t packedRowBytes(PrecisionId id, std::int64_t rowLength);

// Block layouts beyond GGUF's (storedtype.h holds Q8_0, Q4_0 and Q4_1).
struct BlockInt4G128 {
    std::uint16_t d;     // f16 scale; value = (nibble - 8) · d
    std::uint8_t qs[64]; // element j in the low nibble of byte j, element j+64 in the high
};
struct BlockInt2G16 {
    std::uint16_t d;    // f16 scale; value = q · d + m
    std::uint16_t m;    // f16 minimum
    std::uint8_t qs[4]; // byte j holds elements j, j+4, j+8, j+12 in bits 0-1, 2-3, 4-5, 6-7
};
static_assert(sizeof(BlockInt4G128) == 66);
static_assert(sizeof(BlockInt2G16) == 8);

// A matrix packed in a precision's reference layout: N rows of packedRowBytes(K) bytes.
struct QuantizedMatrix {
    PrecisionId precision = PrecisionId::Fp32;
    std::int64_t rowLength = 0; // K
    std::int64_t rows = 0;      // N
    std::vector<std::uint8_t> data;

    std::uint64_t rowBytes() const { return packedRowBytes(precision, rowLength); }
    std::span<const std::uint8_t> row(std::int64_t r) const {
        return std::span(data).subspan(std::size_t(r) * rowBytes(), rowBytes());
    }
};

// Checks that every value is finite and within the precision's range; the reason names the
// tensor, the offending value and where it is.
Result<void> checkRepresentable(PrecisionId id, std::span<const float> values,
                                std::int64_t rowLength, const QString& tensorName);

// Quantizes f32 rows (row-major, `rowLength` per row) with the reference quantizer.
Result<QuantizedMatrix> quantizeMatrix(PrecisionId id, std::span<const float> values,
                                       std::int64_t rowLength, const QString& tensorName);
std::vector<float> dequantizeMatrix(const QuantizedMatrix& matrix);

} // namespace cwb
