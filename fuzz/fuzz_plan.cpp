// SPDX-License-Identifier: GPL-3.0-or-later
// Plan files: parsed, then resolved against a model's tensor names and priced.
#include "fuzzsupport.h"

#include "modelshapes.h"
#include "plan.h"
#include "weightset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    static const auto model = [] {
        const auto shape = cwb::modelShape(QStringLiteral("smollm-135m"));
        if (!shape)
            std::abort();
        return cwb::syntheticModel(shape->config, QStringLiteral("smollm-135m"));
    }();
    auto plan = cwb::parsePlan(
        QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size)));
    if (plan) {
        const cwb::ResolvedPlan resolved = cwb::resolvePlan(*plan, *model);
        (void)cwb::sizeOf(*model, resolved);
        (void)plan->toJson();
    }
    return 0;
}
