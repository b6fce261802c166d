// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

namespace cwb::kernels {

// The bytes of a packed matrix: 64-byte aligned, and from 2 MiB on, mapped on transparent huge
// pages. Decode streams each matrix once per token; on 4 KiB pages that costs a TLB miss and a
// prefetcher restart every 4 KiB, which measured 20–40% of the low-bit kernels' speed here.
// A last partial huge page is used only when it wastes at most 1/16 of the buffer, so huge pages
// never grow a model by more than that.
class HugePageBuffer {
public:
    HugePageBuffer() = default;
    explicit HugePageBuffer(std::uint64_t size);
    HugePageBuffer(HugePageBuffer&& other) noexcept;
    HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
    HugePageBuffer(const HugePageBuffer&) = delete;
    HugePageBuffer& operator=(const HugePageBuffer&) = delete;
    ~HugePageBuffer();

    std::uint8_t* data() const { return m_data; }
    explicit operator bool() const { return m_data != nullptr; }

private:
    void release();

    std::uint8_t* m_data = nullptr;
    std::uint64_t m_mapped = 0; // bytes mapped with mmap; 0 when the buffer came from malloc
};

} // namespace cwb::kernels
