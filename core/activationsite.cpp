// SPDX-License-Identifier: GPL-3.0-or-later
#include "activationsite.h"

#include <QRegularExpression>

namespace cwb {

QString Site::name() const {
    switch (kind) {
    case SiteKind::AttnInput:
        return QStringLiteral("blk.%1.attn_in").arg(layer);
    case SiteKind::AttnOutput:
        return QStringLiteral("blk.%1.attn_out").arg(layer);
    case SiteKind::FfnInput:
        return QStringLiteral("blk.%1.ffn_in").arg(layer);
    case SiteKind::DownInput:
        return QStringLiteral("blk.%1.ffn_down_in").arg(layer);
    case SiteKind::ClassifierInput:
        return QStringLiteral("output_in");
    }
    return {};
}

std::optional<Site> siteOfTensor(const QString& name, bool tiedOutput) {
    if (name == QLatin1String("output.weight") ||
        (tiedOutput && name == QLatin1String("token_embd.weight")))
        return Site{-1, SiteKind::ClassifierInput};
    static const QRegularExpression block(QStringLiteral(
        "^blk\\.(\\d+)\\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\\.weight$"));
    const auto m = block.match(name);
    if (!m.hasMatch())
        return std::nullopt;
    const int layer = m.captured(1).toInt();
    const QString kind = m.captured(2);
    if (kind == QLatin1String("attn_output"))
        return Site{layer, SiteKind::AttnOutput};
    if (kind == QLatin1String("ffn_down"))
        return Site{layer, SiteKind::DownInput};
    if (kind.startsWith(QLatin1String("attn")))
        return Site{layer, SiteKind::AttnInput};
    return Site{layer, SiteKind::FfnInput};
}

} // namespace cwb
