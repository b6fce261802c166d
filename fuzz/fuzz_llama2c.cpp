// SPDX-License-Identifier: GPL-3.0-or-later
// llama2.c checkpoints, with the real demo tokenizer beside them (the loader's own choice), and
// llama2.c tokenizer files on their own.
#include "fuzzsupport.h"

#include "llama2c.h"
#include "model.h"

#include <QFile>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    static const QString tokenizer = [] {
        const QString path = cwbfuzz::scratchDir() + QStringLiteral("/tok512.bin");
        QFile::remove(path);
        if (!QFile::copy(QStringLiteral(CWB_SOURCE_DIR "/resources/models/stories260K/tok512.bin"),
                         path))
            std::abort();
        return path;
    }();
    const QString model = cwbfuzz::writeInput(data, size, QStringLiteral("model.bin"));
    (void)cwb::loadModel(model, cwb::LoadOptions{tokenizer});
    for (int vocab : {16, 512})
        (void)cwb::loadLlama2cTokenizer(std::span(data, size), vocab);
    return 0;
}
