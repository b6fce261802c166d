// SPDX-License-Identifier: GPL-3.0-or-later
#include "hugepagebuffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace cwb::kernels {
namespace {

constexpr std::uint64_t kHugePage = 2u << 20;
constexpr std::uint64_t kPage = 4096;

std::uint64_t roundUp(std::uint64_t v, std::uint64_t to) {
    return (v + to - 1) / to * to;
}

} // namespace

HugePageBuffer::HugePageBuffer(std::uint64_t size) {
    if (size >= kHugePage) {
        const std::uint64_t whole = roundUp(size, kHugePage);
        const bool wholeHugePages = whole - size <= size / 16;
        const std::uint64_t length = wholeHugePages ? whole : roundUp(size, kPage);
        // Map a huge page more than needed, then trim to a 2 MiB aligned start.
        const std::uint64_t reserve = length + kHugePage;
        void* base =
            mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base != MAP_FAILED) {
            const auto start = reinterpret_cast<std::uintptr_t>(base);
            const std::uintptr_t aligned = roundUp(start, kHugePage);
            if (aligned > start)
                munmap(base, aligned - start);
            if (start + reserve > aligned + length)
                munmap(reinterpret_cast<void*>(aligned + length),
                       start + reserve - aligned - length);
            m_data = reinterpret_cast<std::uint8_t*>(aligned);
            m_mapped = length;
#ifdef MADV_HUGEPAGE
            madvise(m_data, length / kHugePage * kHugePage, MADV_HUGEPAGE);
#endif
            return;
        }
    }
    m_data = static_cast<std::uint8_t*>(
        std::aligned_alloc(64, std::max<std::uint64_t>(64, roundUp(size, 64))));
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr))
    , m_mapped(std::exchange(other.m_mapped, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
    if (this != &other) {
        release();
        m_data = std::exchange(other.m_data, nullptr);
        m_mapped = std::exchange(other.m_mapped, 0);
    }
    return *this;
}

HugePageBuffer::~HugePageBuffer() {
    release();
}

void HugePageBuffer::release() {
    if (m_mapped)
        munmap(m_data, m_mapped);
    else
        std::free(m_data);
    m_data = nullptr;
    m_mapped = 0;
}

} // namespace cwb::kernels
