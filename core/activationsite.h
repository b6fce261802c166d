// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <optional>

namespace cwb {

// The distinct inputs of a block's matrices: q, k and v read the attention norm's output, o reads
// the attention output, gate and up read the feed-forward norm's output, down reads SwiGLU's, and
// the classifier reads the final norm's. Matrices that share an input share its statistics.
enum class SiteKind : int { AttnInput, AttnOutput, FfnInput, DownInput, ClassifierInput };

struct Site {
    int layer = -1; // -1 for the classifier input
    SiteKind kind = SiteKind::ClassifierInput;

    QString name() const; // "blk.3.attn_in", "output_in"
    bool operator==(const Site&) const = default;
};

// The site whose activations a weight matrix multiplies; nullopt for the embedding lookup (when
// the classifier is separate) and for vectors.
std::optional<Site> siteOfTensor(const QString& tensorName, bool tiedOutput);

// Receives every matmul input the engine computes, row by row (one row per token).
class ActivationObserver {
public:
    virtual ~ActivationObserver() = default;
    virtual void observe(Site site, const float* rows, int count, int width) = 0;
};

} // namespace cwb
