// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

namespace cwb::linalg {

// Dense symmetric positive-definite matrices of doubles, row-major n × n.

// Lower-triangular L with A = L Lᵀ, in place (the upper triangle is zeroed). False if A is not
// positive definite.
bool cholesky(std::vector<double>& a, std::int64_t n);

// A⁻¹ from A's Cholesky factor L.
std::vector<double> inverseFromCholesky(const std::vector<double>& l, std::int64_t n);

// Upper-triangular U with A = Uᵀ U (U = Lᵀ of the Cholesky factor). False if not positive definite.
bool upperCholesky(std::vector<double>& a, std::int64_t n);

} // namespace cwb::linalg
