// SPDX-License-Identifier: GPL-3.0-or-later
// GGUF files: the header, metadata and tensor table (parseGguf), then the whole model load
// (architecture, tokenizer from metadata, tensor validation) on the same bytes as a file.
#include "fuzzsupport.h"

#include "ggufreader.h"
#include "model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    (void)cwb::parseGguf(std::span(data, size));
    (void)cwb::loadModel(cwbfuzz::writeInput(data, size, QStringLiteral("input.gguf")));
    return 0;
}
