// SPDX-License-Identifier: GPL-3.0-or-later
#include "precision.h"

#include "halffloat.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace cwb {
namespace {

constexpr double kHalfMax = 65504.0;

// Round half away from zero, as C's roundf and ggml's quantizers do.
inline std::int32_t roundAway(float x) {
    return std::int32_t(std::round(x));
}

// A group of `size` values from `row` at `start`, zero-padded past the row's end.
template <int size> std::array<float, size> groupAt(std::span<const float> row, std::size_t start) {
    std::array<float, size> g{};
    const std::size_t n = std::min<std::size_t>(size, row.size() - start);
    std::copy_n(row.begin() + std::ptrdiff_t(start), n, g.begin());
    return g;
}
template <int size> std::size_t groupLength(std::size_t rowLength, std::size_t start) {
    return std::min<std::size_t>(size, rowLength - start);
}
inline std::size_t groups(std::size_t rowLength, int size) {
    return (rowLength + std::size_t(size) - 1) / std::size_t(size);
}

// --- floats -----------------------------------------------------------------------------------

void quantizeFp32(std::span<const float> row, std::span<std::uint8_t> out) {
    std::memcpy(out.data(), row.data(), row.size_bytes());
}
void dequantizeFp32(std::span<const std::uint8_t> in, std::span<float> row) {
    std::memcpy(row.data(), in.data(), row.size_bytes());
}
void quantizeFp16(std::span<const float> row, std::span<std::uint8_t> out) {
    for (std::size_t i = 0; i < row.size(); ++i) {
        const std::uint16_t h = floatToHalf(row[i]);
        std::memcpy(out.data() + 2 * i, &h, 2);
    }
}
void dequantizeFp16(std::span<const std::uint8_t> in, std::span<float> row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
        std::uint16_t h;
        std::memcpy(&h, in.data() + 2 * i, 2);
        row[i] = halfToFloat(h);
    }
}
void quantizeBf16(std::span<const float> row, std::span<std::uint8_t> out) {
    for (std::size_t i = 0; i < row.size(); ++i) {
        const std::uint16_t b = floatToBf16(row[i]);
        std::memcpy(out.data() + 2 * i, &b, 2);
    }
}
void dequantizeBf16(std::span<const std::uint8_t> in, std::span<float> row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
        std::uint16_t b;
        std::memcpy(&b, in.data() + 2 * i, 2);
        row[i] = bf16ToFloat(b);
    }
}

// --- int8, one f32 scale per row (int8 and w8a8 store their weights alike) ---------------------

void quantizeInt8Row(std::span<const float> row, std::span<std::uint8_t> out) {
    float amax = 0.0f;
    for (float v : row)
        amax = std::max(amax, std::abs(v));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    std::memcpy(out.data(), &d, 4);
    for (std::size_t i = 0; i < row.size(); ++i)
        out[4 + i] = std::uint8_t(std::int8_t(roundAway(row[i] * id)));
}
void dequantizeInt8Row(std::span<const std::uint8_t> in, std::span<float> row) {
    float d;
    std::memcpy(&d, in.data(), 4);
    for (std::size_t i = 0; i < row.size(); ++i)
        row[i] = float(std::int8_t(in[4 + i])) * d;
}

// --- GGUF's Q8_0, Q4_0 and Q4_1, as ggml's reference quantizers write them --------------------

void quantizeQ8_0(std::span<const float> row, std::span<std::uint8_t> out) {
    for (std::size_t b = 0; b < groups(row.size(), 32); ++b) {
        const auto x = groupAt<32>(row, b * 32);
        float amax = 0.0f;
        for (float v : x)
            amax = std::max(amax, std::abs(v));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ8_0 block;
        block.d = floatToHalf(d);
        for (int j = 0; j < 32; ++j)
            block.qs[j] = std::int8_t(roundAway(x[std::size_t(j)] * id));
        std::memcpy(out.data() + b * sizeof block, &block, sizeof block);
    }
}
void dequantizeQ8_0Row(std::span<const std::uint8_t> in, std::span<float> row) {
    for (std::size_t b = 0; b < groups(row.size(), 32); ++b) {
        BlockQ8_0 block;
        std::memcpy(&block, in.data() + b * sizeof block, sizeof block);
        const float d = halfToFloat(block.d);
        for (std::size_t j = 0; j < groupLength<32>(row.size(), b * 32); ++j)
            row[b * 32 + j] = float(block.qs[j]) * d;
    }
}

// Symmetric 4-bit groups: the value of largest magnitude maps to -8, so d = max / -8.
template <int size, typename Block>
void quantizeSymmetric4(std::span<const float> row, std::span<std::uint8_t> out) {
    constexpr int half = size / 2;
    for (std::size_t b = 0; b < groups(row.size(), size); ++b) {
        const auto x = groupAt<size>(row, b * size);
        float amax = 0.0f, max = 0.0f;
        for (float v : x)
            if (amax < std::abs(v)) {
                amax = std::abs(v);
                max = v;
            }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        Block block;
        block.d = floatToHalf(d);
        for (int j = 0; j < half; ++j) {
            const auto lo =
                std::uint8_t(std::min(15, int(std::int8_t(x[std::size_t(j)] * id + 8.5f))));
            const auto hi =
                std::uint8_t(std::min(15, int(std::int8_t(x[std::size_t(j + half)] * id + 8.5f))));
            block.qs[j] = std::uint8_t(lo | (hi << 4));
        }
        std::memcpy(out.data() + b * sizeof block, &block, sizeof block);
    }
}
template <int size, typename Block>
void dequantizeSymmetric4(std::span<const std::uint8_t> in, std::span<float> row) {
    constexpr int half = size / 2;
    for (std::size_t b = 0; b < groups(row.size(), size); ++b) {
        Block block;
        std::memcpy(&block, in.data() + b * sizeof block, sizeof block);
        const float d = halfToFloat(block.d);
        float x[size];
        for (int j = 0; j < half; ++j) {
            x[j] = float(int(block.qs[j] & 0x0f) - 8) * d;
            x[j + half] = float(int(block.qs[j] >> 4) - 8) * d;
        }
        std::copy_n(x, groupLength<size>(row.size(), b * size),
                    row.begin() + std::ptrdiff_t(b * size));
    }
}

// An asymmetric group's padding repeats a real value, so it moves neither the minimum nor the
// maximum.
template <int size>
std::array<float, size> asymmetricGroupAt(std::span<const float> row, std::size_t start) {
    auto g = groupAt<size>(row, start);
    for (std::size_t j = groupLength<size>(row.size(), start); j < std::size_t(size); ++j)
        g[j] = g[0];
    return g;
}

void quantizeQ4_1(std::span<const float> row, std::span<std::uint8_t> out) {
    for (std::size_t b = 0; b < groups(row.size(), 32); ++b) {
        const auto x = asymmetricGroupAt<32>(row, b * 32);
        float min = std::numeric_limits<float>::max(), max = -std::numeric_limits<float>::max();
        for (float v : x) {
            min = std::min(min, v);
            max = std::max(max, v);
        }
        const float d = (max - min) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ4_1 block;
        block.d = floatToHalf(d);
        block.m = floatToHalf(min);
        for (int j = 0; j < 16; ++j) {
            const auto lo =
                std::uint8_t(std::min(15, int(std::int8_t((x[std::size_t(j)] - min) * id + 0.5f))));
            const auto hi = std::uint8_t(
                std::min(15, int(std::int8_t((x[std::size_t(j + 16)] - min) * id + 0.5f))));
            block.qs[j] = std::uint8_t(lo | (hi << 4));
        }
        std::memcpy(out.data() + b * sizeof block, &block, sizeof block);
    }
}
void dequantizeQ4_1Row(std::span<const std::uint8_t> in, std::span<float> row) {
    for (std::size_t b = 0; b < groups(row.size(), 32); ++b) {
        BlockQ4_1 block;
        std::memcpy(&block, in.data() + b * sizeof block, sizeof block);
        const float d = halfToFloat(block.d), m = halfToFloat(block.m);
        float x[32];
        for (int j = 0; j < 16; ++j) {
            x[j] = float(block.qs[j] & 0x0f) * d + m;
            x[j + 16] = float(block.qs[j] >> 4) * d + m;
        }
        std::copy_n(x, groupLength<32>(row.size(), b * 32), row.begin() + std::ptrdiff_t(b * 32));
    }
}

// --- int2, asymmetric groups of 16 ---------------------------------------------------------------

void quantizeInt2G16(std::span<const float> row, std::span<std::uint8_t> out) {
    for (std::size_t b = 0; b < groups(row.size(), 16); ++b) {
        const auto x = asymmetricGroupAt<16>(row, b * 16);
        float min = std::numeric_limits<float>::max(), max = -std::numeric_limits<float>::max();
        for (float v : x) {
            min = std::min(min, v);
            max = std::max(max, v);
        }
        const float d = (max - min) / 3.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockInt2G16 block;
        block.d = floatToHalf(d);
        block.m = floatToHalf(min);
        for (int j = 0; j < 4; ++j) {
            std::uint8_t byte = 0;
            for (int k = 0; k < 4; ++k) {
                const int q =
                    std::min(3, int(std::int8_t((x[std::size_t(j + 4 * k)] - min) * id + 0.5f)));
                byte = std::uint8_t(byte | (q << (2 * k)));
            }
            block.qs[j] = byte;
        }
        std::memcpy(out.data() + b * sizeof block, &block, sizeof block);
    }
}
void dequantizeInt2G16(std::span<const std::uint8_t> in, std::span<float> row) {
    for (std::size_t b = 0; b < groups(row.size(), 16); ++b) {
        BlockInt2G16 block;
        std::memcpy(&block, in.data() + b * sizeof block, sizeof block);
        const float d = halfToFloat(block.d), m = halfToFloat(block.m);
        float x[16];
        for (int j = 0; j < 4; ++j)
            for (int k = 0; k < 4; ++k)
                x[j + 4 * k] = float((block.qs[j] >> (2 * k)) & 3) * d + m;
        std::copy_n(x, groupLength<16>(row.size(), b * 16), row.begin() + std::ptrdiff_t(b * 16));
    }
}

// --- grids and packing from chosen integers (GPTQ) ---------------------------------------------

inline float asStoredHalf(float x) {
    return halfToFloat(floatToHalf(x));
}

float absMax(std::span<const float> g) {
    float amax = 0.0f;
    for (float v : g)
        amax = std::max(amax, std::abs(v));
    return amax;
}

// The value of largest magnitude, sign kept (the first one on ties, as ggml picks it).
float signedMax(std::span<const float> g) {
    float amax = 0.0f, max = 0.0f;
    for (float v : g)
        if (amax < std::abs(v)) {
            amax = std::abs(v);
            max = v;
        }
    return max;
}

std::pair<float, float> minMax(std::span<const float> g) {
    float min = std::numeric_limits<float>::max(), max = -std::numeric_limits<float>::max();
    for (float v : g) {
        min = std::min(min, v);
        max = std::max(max, v);
    }
    return {min, max};
}

QuantGrid gridInt8Row(std::span<const float> g) {
    return {absMax(g) / 127.0f, 0.0f, -127, 127};
}
QuantGrid gridQ8_0(std::span<const float> g) {
    return {asStoredHalf(absMax(g) / 127.0f), 0.0f, -127, 127};
}
QuantGrid gridSymmetric4(std::span<const float> g) {
    return {asStoredHalf(signedMax(g) / -8.0f), 0.0f, -8, 7};
}
QuantGrid gridQ4_1(std::span<const float> g) {
    const auto [min, max] = minMax(g);
    return {asStoredHalf((max - min) / 15.0f), asStoredHalf(min), 0, 15};
}
QuantGrid gridInt2G16(std::span<const float> g) {
    const auto [min, max] = minMax(g);
    return {asStoredHalf((max - min) / 3.0f), asStoredHalf(min), 0, 3};
}

void packInt8Row(std::span<const int> q, std::span<const QuantGrid> grids,
                 std::span<std::uint8_t> out) {
    std::memcpy(out.data(), &grids[0].scale, 4);
    for (std::size_t i = 0; i < q.size(); ++i)
        out[4 + i] = std::uint8_t(std::int8_t(q[i]));
}

void packQ8_0(std::span<const int> q, std::span<const QuantGrid> grids,
              std::span<std::uint8_t> out) {
    for (std::size_t b = 0; b < grids.size(); ++b) {
        BlockQ8_0 block{};
        block.d = floatToHalf(grids[b].scale);
        for (std::size_t j = 0; j < groupLength<32>(q.size(), b * 32); ++j)
            block.qs[j] = std::int8_t(q[b * 32 + j]);
        std::memcpy(out.data() + b * sizeof block, &block, sizeof block);
    }
}

// Nibbles hold q + bias (8 for the symmetric formats, 0 for the asymmetric); padding holds the
// bias, which the symmetric formats decode to zero.
template <int size, typename Block, int bias>
void packFourBit(std::span<const int> q, std::span<const QuantGrid> grids,
                 std::span<std::uint8_t> out) {
    constexpr int half = size / 2;
    for (std::size_t b = 0; b < grids.size(); ++b) {
        int n[size];
        std::fill_n(n, size, bias);
        for (std::size_t j = 0; j < groupLength<size>(q.size(), b * size); ++j)
            n[j] = q[b * size + j] + bias;
        Block block{};
        block.d = floatToHalf(grids[b].scale);
        if constexpr (requires { block.m; })
            block.m = floatToHalf(grids[b].offset);
        for (int j = 0; j < half; ++j)
            block.qs[j] = std::uint8_t(n[j] | (n[j + half] << 4));
        std::memcpy(out.data() + b * sizeof block, &block, sizeof block);
    }
}

void packInt2G16(std::span<const int> q, std::span<const QuantGrid> grids,
                 std::span<std::uint8_t> out) {
    for (std::size_t b = 0; b < grids.size(); ++b) {
        int n[16] = {};
        for (std::size_t j = 0; j < groupLength<16>(q.size(), b * 16); ++j)
            n[j] = q[b * 16 + j];
        BlockInt2G16 block{};
        block.d = floatToHalf(grids[b].scale);
        block.m = floatToHalf(grids[b].offset);
        for (int j = 0; j < 4; ++j)
            block.qs[j] = std::uint8_t(n[j] | (n[j + 4] << 2) | (n[j + 8] << 4) | (n[j + 12] << 6));
        std::memcpy(out.data() + b * sizeof block, &block, sizeof block);
    }
}

const std::array<PrecisionInfo, 10> kPrecisions = {{
    {PrecisionId::Fp32, "fp32", "32-bit floats, as trained", 32, 1, true, false, 4, 0,
     StoredType::F32, std::numeric_limits<double>::infinity(), quantizeFp32, dequantizeFp32,
     nullptr, nullptr},
    {PrecisionId::Fp16, "fp16", "16-bit IEEE floats", 16, 1, true, false, 2, 0, StoredType::F16,
     kHalfMax, quantizeFp16, dequantizeFp16, nullptr, nullptr},
    {PrecisionId::Bf16, "bf16", "16-bit brain floats (8-bit exponent)", 16, 1, true, false, 2, 0,
     StoredType::BF16, 3.3e38, quantizeBf16, dequantizeBf16, nullptr, nullptr},
    {PrecisionId::Int8, "int8",
     "8-bit weights, one f32 scale per output channel, float activations", 8, 0, true, false, 1, 4,
     std::nullopt, 3.0e38, quantizeInt8Row, dequantizeInt8Row, gridInt8Row, packInt8Row},
    {PrecisionId::W8A8, "w8a8",
     "int8 weights per output channel and 8-bit activations per token (SmoothQuant's target)", 8, 0,
     true, true, 1, 4, std::nullopt, 3.0e38, quantizeInt8Row, dequantizeInt8Row, gridInt8Row,
     packInt8Row},
    {PrecisionId::Int8G32, "int8_g32", "8-bit, groups of 32 with an f16 scale (GGUF Q8_0)", 8, 32,
     true, false, sizeof(BlockQ8_0), 0, StoredType::Q8_0, kHalfMax * 127, quantizeQ8_0,
     dequantizeQ8_0Row, gridQ8_0, packQ8_0},
    {PrecisionId::Int4G32, "int4_g32",
     "4-bit symmetric, groups of 32 with an f16 scale (GGUF Q4_0)", 4, 32, true, false,
     sizeof(BlockQ4_0), 0, StoredType::Q4_0, kHalfMax * 8, quantizeSymmetric4<32, BlockQ4_0>,
     dequantizeSymmetric4<32, BlockQ4_0>, gridSymmetric4, packFourBit<32, BlockQ4_0, 8>},
    {PrecisionId::Int4G32Asym, "int4_g32_asym",
     "4-bit asymmetric, groups of 32 with f16 scale and minimum (GGUF Q4_1)", 4, 32, false, false,
     sizeof(BlockQ4_1), 0, StoredType::Q4_1, kHalfMax, quantizeQ4_1, dequantizeQ4_1Row, gridQ4_1,
     packFourBit<32, BlockQ4_1, 0>},
    {PrecisionId::Int4G128, "int4_g128", "4-bit symmetric, groups of 128 with an f16 scale", 4, 128,
     true, false, sizeof(BlockInt4G128), 0, std::nullopt, kHalfMax * 8,
     quantizeSymmetric4<128, BlockInt4G128>, dequantizeSymmetric4<128, BlockInt4G128>,
     gridSymmetric4, packFourBit<128, BlockInt4G128, 8>},
    {PrecisionId::Int2G16, "int2_g16",
     "2-bit asymmetric, groups of 16 with f16 scale and minimum (the accuracy cliff)", 2, 16, false,
     false, sizeof(BlockInt2G16), 0, std::nullopt, kHalfMax, quantizeInt2G16, dequantizeInt2G16,
     gridInt2G16, packInt2G16},
}};

} // namespace

int QuantGrid::nearest(float x) const {
    if (scale == 0.0f)
        return std::clamp(0, qmin, qmax);
    // Round half up, as ggml's quantizers do (they truncate x/d + 8.5 or + 0.5).
    const float q = std::floor((x - offset) / scale + 0.5f);
    return int(std::clamp(q, float(qmin), float(qmax)));
}

std::span<const PrecisionInfo> precisions() {
    return kPrecisions;
}

const PrecisionInfo& precisionInfo(PrecisionId id) {
    return kPrecisions[std::size_t(id)];
}

std::optional<PrecisionId> precisionByName(const QString& name) {
    for (const auto& p : kPrecisions)
        if (name == QLatin1String(p.name))
            return p.id;
    return std::nullopt;
}

QStringList precisionNames() {
    QStringList names;
    for (const auto& p : kPrecisions)
        names << QLatin1String(p.name);
    return names;
}

std::uint64_t packedRowBytes(PrecisionId id, std::int64_t rowLength) {
    const PrecisionInfo& p = precisionInfo(id);
    if (rowLength <= 0)
        return 0;
    const auto k = std::uint64_t(rowLength);
    if (p.groupSize <= 1)
        return k * std::uint64_t(p.blockBytes) + std::uint64_t(p.rowOverheadBytes);
    return groups(k, p.groupSize) * std::uint64_t(p.blockBytes) + std::uint64_t(p.rowOverheadBytes);
}

Result<void> checkRepresentable(PrecisionId id, std::span<const float> values,
                                std::int64_t rowLength, const QString& tensorName) {
    const PrecisionInfo& p = precisionInfo(id);
    for (std::size_t i = 0; i < values.size(); ++i) {
        const float v = values[i];
        if (std::isfinite(v) && std::abs(double(v)) <= p.maxMagnitude)
            continue;
        const auto row = std::int64_t(i) / rowLength, column = std::int64_t(i) % rowLength;
        if (!std::isfinite(v))
            return Error{QStringLiteral("%1 holds %2 at row %3, column %4: it cannot be quantized")
                             .arg(tensorName, QString::number(double(v)))
                             .arg(row)
                             .arg(column)};
        return Error{
            QStringLiteral("%1 holds %2 at row %3, column %4, beyond what %5 can store (%6)")
                .arg(tensorName, QString::number(double(v), 'g', 4))
                .arg(row)
                .arg(column)
                .arg(QLatin1String(p.name), QString::number(p.maxMagnitude, 'g', 4))};
    }
    return {};
}

Result<QuantizedMatrix> quantizeMatrix(PrecisionId id, std::span<const float> values,
                                       std::int64_t rowLength, const QString& tensorName) {
    if (rowLength <= 0 || values.size() % std::size_t(rowLength) != 0)
        return Error{QStringLiteral("%1: %2 values do not form rows of %3")
                         .arg(tensorName)
                         .arg(values.size())
                         .arg(rowLength)};
    if (auto ok = checkRepresentable(id, values, rowLength, tensorName); !ok)
        return ok.error();
    QuantizedMatrix m;
    m.precision = id;
    m.rowLength = rowLength;
    m.rows = std::int64_t(values.size()) / rowLength;
    const std::uint64_t rowSize = m.rowBytes();
    m.data.assign(rowSize * std::uint64_t(m.rows), 0);
    const PrecisionInfo& p = precisionInfo(id);
    for (std::int64_t r = 0; r < m.rows; ++r)
        p.quantizeRow(values.subspan(std::size_t(r * rowLength), std::size_t(rowLength)),
                      std::span(m.data).subspan(std::size_t(r) * rowSize, rowSize));
    return m;
}

std::vector<float> dequantizeMatrix(const QuantizedMatrix& m) {
    std::vector<float> out(std::size_t(m.rows * m.rowLength));
    const PrecisionInfo& p = precisionInfo(m.precision);
    for (std::int64_t r = 0; r < m.rows; ++r)
        p.dequantizeRow(m.row(r), std::span(out).subspan(std::size_t(r * m.rowLength),
                                                         std::size_t(m.rowLength)));
    return out;
}

std::uint32_t precisionRgb(PrecisionId id) {
    switch (precisionInfo(id).weightBits) {
    case 32:
        return 0x8a8f98;
    case 16:
        return 0x4a7fc1;
    case 8:
        return 0x2e9d6e;
    case 4:
        return 0xd08c1a;
    default:
        return 0xc8463d;
    }
}

} // namespace cwb
