// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace cwb {

static_assert(std::endian::native == std::endian::little,
              "the model readers assume a little-endian host, as GGUF and llama2.c files are");

// Bounds-checked sequential reads over untrusted bytes. Every read says whether it fit; no
// read ever looks past the end.
class ByteReader {
public:
    explicit ByteReader(std::span<const std::uint8_t> data)
        : m_data(data) {}

    std::uint64_t pos() const { return m_pos; }
    std::uint64_t size() const { return m_data.size(); }
    std::uint64_t remaining() const { return m_data.size() - m_pos; }

    template <typename T> bool read(T& out) {
        static_assert(std::is_trivially_copyable_v<T>);
        if (remaining() < sizeof(T))
            return false;
        std::memcpy(&out, m_data.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return true;
    }

    // A view of the next n bytes, advancing past them.
    bool take(std::uint64_t n, std::span<const std::uint8_t>& out) {
        if (remaining() < n)
            return false;
        out = m_data.subspan(m_pos, n);
        m_pos += n;
        return true;
    }

    bool skip(std::uint64_t n) {
        if (remaining() < n)
            return false;
        m_pos += n;
        return true;
    }

private:
    std::span<const std::uint8_t> m_data;
    std::uint64_t m_pos = 0;
};

} // namespace cwb
