// SPDX-License-Identifier: GPL-3.0-or-later
// Hugging Face tokenizer.json (SentencePiece-style and byte-level BPE, added tokens,
// normalizers, pre-tokenizers, post-processor); what parses is then used to encode and decode a
// text with spaces, digits, punctuation, non-ASCII and invalid UTF-8.
#include "fuzzsupport.h"

#include "hftokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cwbfuzz::ensureApplication();
    auto parsed = cwb::parseHfTokenizer(
        QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size)));
    if (!parsed)
        return 0;
    static const std::string text = "Once upon a time, 1234 cats\n\n  said \"h\xc3\xa9llo\" "
                                    "\xf0\x9f\x98\x80 <s> \xff\xfe end.";
    const std::vector<std::int32_t> ids = parsed->tokenizer.encode(text, true);
    (void)parsed->tokenizer.decode(ids);
    return 0;
}
