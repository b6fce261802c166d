// SPDX-License-Identifier: GPL-3.0-or-later
#include "metricinfo.h"

#include <array>

namespace cwb {
namespace {

constexpr std::array kMetrics = {
    MetricInfo{"ppl", "Perplexity", "", true, true,
               "exp of the mean negative log-likelihood of the scored tokens: how surprised the "
               "model is by the text"},
    MetricInfo{"base_ppl", "FP32 perplexity", "", true, true,
               "the perplexity of the unquantized model on the same scored tokens"},
    MetricInfo{"ppl_ratio", "PPL ratio", "", true, true,
               "the compressed model's perplexity divided by the FP32 model's"},
    MetricInfo{"delta_ppl_percent", "ΔPPL", "%", true, true,
               "how much the perplexity rose against the FP32 model, in percent"},
    MetricInfo{"kld_mean", "Mean KLD", "nats", true, true,
               "the mean Kullback-Leibler divergence of the compressed model's next-token "
               "distribution from the FP32 model's, over every scored token"},
    MetricInfo{"kld_median", "Median KLD", "nats", true, true,
               "the median of the per-token KL divergences"},
    MetricInfo{"kld_p99", "KLD p99", "nats", true, true,
               "the 99th percentile of the per-token KL divergences: the bad tail"},
    MetricInfo{"kld_max", "Max KLD", "nats", true, true, "the largest per-token KL divergence"},
    MetricInfo{"top1_agreement", "Top-1 agreement", "", false, true,
               "the share of tokens where both models rank the same next token first"},
    MetricInfo{"delta_p_mean", "Mean Δp", "", false, true,
               "the mean change in the probability given to the token that came next"},
    MetricInfo{"size_bytes", "Size", "bytes", true, true,
               "the bytes of every weight at its chosen precision, scales included"},
    MetricInfo{"base_size_bytes", "FP32 size", "bytes", true, true,
               "the bytes of every weight at FP32"},
    MetricInfo{"bpw", "Bits per weight", "bits", true, true,
               "the size in bits divided by the number of weights, scales included"},
    MetricInfo{"nll_mean", "Mean NLL", "nats", true, true,
               "the mean negative log-likelihood of the scored tokens"},
    MetricInfo{"tokens_scored", "Tokens scored", "", false, true,
               "how many tokens the metrics were computed over"},
    MetricInfo{"tokens_processed", "Tokens processed", "", false, true,
               "how many tokens went through the model, context included"},
    MetricInfo{"calibration_mismatch_bits", "Calibration mismatch", "bits", true, true,
               "the Jensen-Shannon divergence between the token frequencies of the calibration "
               "and evaluation texts"},
    MetricInfo{"tok_per_s", "Tokens/s", "tok/s", false, false,
               "tokens evaluated per second on this machine"},
    MetricInfo{"seconds", "Time", "s", true, false, "wall-clock time of the run"},
    MetricInfo{"prefill_tok_s", "Prefill", "tok/s", false, false,
               "prompt tokens processed per second"},
    MetricInfo{"decode_tok_s", "Decode", "tok/s", false, false,
               "tokens generated per second, one at a time"},
    MetricInfo{"peak_rss_bytes", "Peak memory", "bytes", true, false,
               "the most resident memory the process used"},
};

} // namespace

std::span<const MetricInfo> metricTable() {
    return kMetrics;
}

const MetricInfo* metricInfo(const QString& name) {
    for (const MetricInfo& m : kMetrics)
        if (name == QLatin1String(m.name))
            return &m;
    return nullptr;
}

} // namespace cwb
