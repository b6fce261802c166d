// SPDX-License-Identifier: GPL-3.0-or-later
#include "linalg.h"

#include <cmath>

namespace cwb::linalg {

bool cholesky(std::vector<double>& a, std::int64_t n) {
    for (std::int64_t j = 0; j < n; ++j) {
        double* rowJ = a.data() + j * n;
        double d = rowJ[j];
        for (std::int64_t k = 0; k < j; ++k)
            d -= rowJ[k] * rowJ[k];
        if (!(d > 0))
            return false;
        d = std::sqrt(d);
        rowJ[j] = d;
        for (std::int64_t i = j + 1; i < n; ++i) {
            double* rowI = a.data() + i * n;
            double s = rowI[j];
            for (std::int64_t k = 0; k < j; ++k)
                s -= rowI[k] * rowJ[k];
            rowI[j] = s / d;
        }
        for (std::int64_t k = j + 1; k < n; ++k)
            rowJ[k] = 0;
    }
    return true;
}

std::vector<double> inverseFromCholesky(const std::vector<double>& l, std::int64_t n) {
    // M = L⁻¹ (lower) by forward substitution, then A⁻¹ = Mᵀ M.
    std::vector<double> m(std::size_t(n * n), 0.0);
    for (std::int64_t c = 0; c < n; ++c) {
        for (std::int64_t i = c; i < n; ++i) {
            double s = i == c ? 1.0 : 0.0;
            for (std::int64_t k = c; k < i; ++k)
                s -= l[std::size_t(i * n + k)] * m[std::size_t(k * n + c)];
            m[std::size_t(i * n + c)] = s / l[std::size_t(i * n + i)];
        }
    }
    std::vector<double> inv(std::size_t(n * n), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j <= i; ++j) {
            double s = 0;
            for (std::int64_t k = i; k < n; ++k) // m[k][i], m[k][j] non-zero for k ≥ max(i, j) = i
                s += m[std::size_t(k * n + i)] * m[std::size_t(k * n + j)];
            inv[std::size_t(i * n + j)] = inv[std::size_t(j * n + i)] = s;
        }
    return inv;
}

bool upperCholesky(std::vector<double>& a, std::int64_t n) {
    if (!cholesky(a, n))
        return false;
    for (std::int64_t i = 0; i < n; ++i) // transpose L into U
        for (std::int64_t j = i + 1; j < n; ++j) {
            a[std::size_t(i * n + j)] = a[std::size_t(j * n + i)];
            a[std::size_t(j * n + i)] = 0;
        }
    return true;
}

} // namespace cwb::linalg
