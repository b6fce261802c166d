// SPDX-License-Identifier: GPL-3.0-or-later
// Hugging Face config.json: architecture, dimensions, rope and the fields refused by name.
#include "fuzzsupport.h"

#include "hfconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    (void)cwb::parseHfConfig(
        QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size)));
    return 0;
}
