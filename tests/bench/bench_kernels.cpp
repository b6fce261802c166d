// SPDX-License-Identifier: GPL-3.0-or-later
// bench_kernels: packed matrix kernel speed on TinyLlama-1.1B shapes, for every precision, with
// random weights (PackedMatrix::random), so it runs without a model file. Prints the machine's
// read bandwidth, per-shape decode (GEMV) time and bandwidth, prefill (m = 128) GFLOP/s, and a
// whole-model decode line per precision with its ratio to fp32.
#include "kernels/membandwidth.h"
#include "kernels/packedmatrix.h"
#include "precision.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace cwb;
using namespace cwb::kernels;

namespace {

struct Options {
    int threads = 2;
    int runs = 7;
    int prefillTokens = 128;
    std::string precisions; // comma-separated names; empty: all
};

// The options table drives both parsing and --help.
struct OptionSpec {
    const char* name;
    const char* help;
    void (*set)(Options&, const char*);
};
const OptionSpec kOptions[] = {
    {"--threads", "N   threads for every kernel (default 2)",
     [](Options& o, const char* v) { o.threads = std::max(1, std::atoi(v)); }},
    {"--runs", "N      timed repetitions; the median is reported (default 7)",
     [](Options& o, const char* v) { o.runs = std::max(1, std::atoi(v)); }},
    {"--tokens", "N    prefill tokens (default 128)",
     [](Options& o, const char* v) { o.prefillTokens = std::max(1, std::atoi(v)); }},
    {"--precisions", "a,b  only these precisions (fp32 is always run first, for the ratios)",
     [](Options& o, const char* v) { o.precisions = v; }},
};

bool parse(int argc, char** argv, Options& options) {
    for (int i = 1; i < argc; ++i) {
        const OptionSpec* spec = nullptr;
        for (const OptionSpec& s : kOptions)
            if (std::strcmp(argv[i], s.name) == 0)
                spec = &s;
        if (!spec || i + 1 >= argc) {
            std::printf("usage: bench_kernels [options]\n");
            for (const OptionSpec& s : kOptions)
                std::printf("  %s %s\n", s.name, s.help);
            return false;
        }
        spec->set(options, argv[++i]);
    }
    return true;
}

// TinyLlama-1.1B: 22 layers of q, k, v, o, gate, up, down, then the output matrix.
struct Shape {
    const char* name;
    std::int64_t k, n;
    int perToken; // matrices of this shape in one decode token
};
const Shape kShapes[] = {
    {"2048x2048 (q, o)", 2048, 2048, 44},     {"2048x256 (k, v)", 2048, 256, 44},
    {"2048x5632 (gate, up)", 2048, 5632, 44}, {"5632x2048 (down)", 5632, 2048, 22},
    {"2048x32000 (output)", 2048, 32000, 1},
};
constexpr int kLayers = 22;

double seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

template <typename F> double medianSeconds(int runs, F&& body) {
    std::vector<double> t;
    body(); // warm up: primitives, scratch, page faults
    for (int r = 0; r < runs; ++r) {
        const double start = seconds();
        body();
        t.push_back(seconds() - start);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

double residentGiB() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    return double(resident) * 4096.0 / double(1ull << 30);
}

// Every matrix of one decode token, in model order, each shape's instances listed for timing.
struct Model {
    std::vector<PackedMatrix> matrices;
    std::map<int, std::vector<const PackedMatrix*>> byShape; // index into kShapes
    std::uint64_t bytes = 0;
};

Model buildModel(PrecisionId id) {
    Model model;
    const int layerShapes[] = {0, 1, 1, 0, 2, 2, 3}; // q, k, v, o, gate, up, down
    std::uint64_t seed = 1;
    for (int layer = 0; layer < kLayers; ++layer)
        for (int s : layerShapes)
            model.matrices.push_back(PackedMatrix::random(id, kShapes[s].k, kShapes[s].n, seed++));
    model.matrices.push_back(PackedMatrix::random(id, kShapes[4].k, kShapes[4].n, seed++));
    for (std::size_t i = 0; i < model.matrices.size(); ++i) {
        const PackedMatrix& m = model.matrices[i];
        model.bytes += m.bytes();
        for (int s = 0; s < 5; ++s)
            if (kShapes[s].k == m.rowLength() && kShapes[s].n == m.rows())
                model.byShape[s].push_back(&m);
    }
    return model;
}

struct Totals {
    double tokenSeconds = 0.0;
    double prefillSeconds = 0.0; // all matrices of the model at m tokens
    double prefillFlops = 0.0;
    std::uint64_t bytes = 0;
    double resident = 0.0;
};

Totals benchPrecision(PrecisionId id, const Options& o, double bandwidth) {
    const char* name = precisionInfo(id).name;
    Model model = buildModel(id);
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(std::size_t(o.prefillTokens) * 5632),
        y(std::size_t(o.prefillTokens) * 32000);
    for (float& v : x)
        v = normal(rng);
    Totals totals;
    totals.bytes = model.bytes;
    for (int s = 0; s < 5; ++s) {
        const Shape& shape = kShapes[s];
        const auto& instances = model.byShape[s];
        // Decode: one pass over every instance of the shape, so weights come from memory.
        const double pass = medianSeconds(o.runs, [&] {
            for (const PackedMatrix* m : instances)
                m->multiply(x.data(), 1, y.data(), o.threads);
        });
        const double perMatrix = pass / double(instances.size());
        const double gbs = double(instances.front()->bytes()) / perMatrix / 1e9;
        const PackedMatrix& first = *instances.front();
        const double prefill = medianSeconds(std::max(3, o.runs / 2), [&] {
            first.multiply(x.data(), o.prefillTokens, y.data(), o.threads);
        });
        const double flops = 2.0 * double(o.prefillTokens) * double(shape.k) * double(shape.n);
        totals.prefillSeconds += prefill * shape.perToken;
        totals.prefillFlops += flops * shape.perToken;
        std::printf("%-14s %-22s %10.1f %8.1f %6.0f%% %10.1f\n", name, shape.name, perMatrix * 1e6,
                    gbs, 100.0 * gbs / bandwidth, flops / prefill / 1e9);
        std::fflush(stdout);
    }
    // One decode token: every matrix in model order, each fed the activation length it takes.
    totals.tokenSeconds = medianSeconds(o.runs, [&] {
        for (const PackedMatrix& m : model.matrices)
            m.multiply(x.data(), 1, y.data(), o.threads);
    });
    totals.resident = residentGiB();
    return totals;
}

} // namespace

int main(int argc, char** argv) {
    Options options;
    if (!parse(argc, argv, options))
        return 2;
    // Big buffers always come from mmap and go back on free, so one precision's model does not
    // stay resident under the next one's numbers.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);

    std::vector<PrecisionId> ids{PrecisionId::Fp32};
    for (const PrecisionInfo& p : precisions())
        if (p.id != PrecisionId::Fp32 &&
            (options.precisions.empty() ||
             ("," + options.precisions + ",").find(std::string(",") + p.name + ",") !=
                 std::string::npos))
            ids.push_back(p.id);

    const double bandwidth = measureReadBandwidth(options.threads, 2ull << 30);
    std::printf("memory read bandwidth, %d threads: %.1f GB/s\n", options.threads, bandwidth);
    std::printf("decode = one token (m = 1), weights streamed from memory; prefill m = %d\n\n",
                options.prefillTokens);
    std::printf("%-14s %-22s %10s %8s %7s %10s\n", "precision", "shape K x N", "decode us", "GB/s",
                "of bw", "prefill GFLOP/s");
    std::map<PrecisionId, Totals> totals;
    for (PrecisionId id : ids)
        totals[id] = benchPrecision(id, options, bandwidth);

    std::printf(
        "\nwhole model, one decode token = %d layers x (q, k, v, o, gate, up, down) + output\n",
        kLayers);
    std::printf("%-14s %10s %9s %10s %8s %8s %14s %8s\n", "precision", "packed MB", "RSS/packed",
                "ms/token", "tok/s", "x fp32", "prefill GFLOP/s", "x fp32");
    const Totals& fp32 = totals[PrecisionId::Fp32];
    for (PrecisionId id : ids) {
        const Totals& t = totals[id];
        std::printf("%-14s %10.0f %9.2f %10.2f %8.2f %8.2f %14.1f %8.2f\n", precisionInfo(id).name,
                    double(t.bytes) / 1e6, t.resident * double(1ull << 30) / double(t.bytes),
                    t.tokenSeconds * 1e3, 1.0 / t.tokenSeconds, fp32.tokenSeconds / t.tokenSeconds,
                    t.prefillFlops / t.prefillSeconds / 1e9,
                    fp32.prefillSeconds / t.prefillSeconds);
    }
    return 0;
}
