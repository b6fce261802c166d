// SPDX-License-Identifier: GPL-3.0-or-later
#include "hftokenizer.h"

#include "bytelevel.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace cwb {
namespace {

constexpr std::int64_t kLimitVocab = 1 << 22;
const QString kMetaspace = QStringLiteral("\u2581");

Error refuse(const QString& why) {
    return Error{QStringLiteral("tokenizer.json: %1").arg(why)};
}

std::string spacesFromMetaspace(const QString& piece) {
    QString p = piece;
    return p.replace(kMetaspace, QStringLiteral(" ")).toStdString();
}

// The steps of a normalizer or pre-tokenizer, Sequences flattened.
void flatten(const QJsonValue& v, const char* listKey, QList<QJsonObject>& out) {
    const QJsonObject o = v.toObject();
    if (o.isEmpty())
        return;
    if (o.value(QLatin1String("type")).toString() == QLatin1String("Sequence")) {
        for (const QJsonValue step : o.value(QLatin1String(listKey)).toArray())
            flatten(step, listKey, out);
        return;
    }
    out.push_back(o);
}

// A token named in tokenizer_config.json: a string or {"content": ...}.
QString namedToken(const QJsonValue& v) {
    return v.isObject() ? v.toObject().value(QLatin1String("content")).toString() : v.toString();
}

Result<void> readSentencePieceSteps(const QList<QJsonObject>& normalizers,
                                    const QList<QJsonObject>& preTokenizers,
                                    Tokenizer::Vocabulary& v) {
    bool spaces = false;
    v.dummyPrefix = false;
    for (const QJsonObject& n : normalizers) {
        const QString type = n.value(QLatin1String("type")).toString();
        if (type == QLatin1String("Prepend") &&
            n.value(QLatin1String("prepend")).toString() == kMetaspace) {
            v.dummyPrefix = true;
        } else if (type == QLatin1String("Replace") &&
                   n.value(QLatin1String("pattern")).toObject().value(QLatin1String("String")) ==
                       QLatin1String(" ") &&
                   n.value(QLatin1String("content")).toString() == kMetaspace) {
            spaces = true;
        } else {
            return refuse(QStringLiteral("normalizer step %1 is not supported").arg(type));
        }
    }
    for (const QJsonObject& p : preTokenizers) {
        const QString type = p.value(QLatin1String("type")).toString();
        if (type != QLatin1String("Metaspace") ||
            p.value(QLatin1String("replacement")).toString(kMetaspace) != kMetaspace)
            return refuse(QStringLiteral("pre_tokenizer step %1 is not supported here").arg(type));
        spaces = true;
        const QString scheme = p.value(QLatin1String("prepend_scheme"))
                                   .toString(p.value(QLatin1String("add_prefix_space")).toBool(true)
                                                 ? QStringLiteral("always")
                                                 : QStringLiteral("never"));
        if (scheme != QLatin1String("always") && scheme != QLatin1String("first") &&
            scheme != QLatin1String("never"))
            return refuse(
                QStringLiteral("Metaspace prepend_scheme %1 is not supported").arg(scheme));
        v.dummyPrefix = scheme != QLatin1String("never");
        v.prefixFirstOnly = scheme == QLatin1String("first");
        v.splitAtSpaces = p.value(QLatin1String("split")).toBool(true);
    }
    if (!spaces)
        return refuse(QStringLiteral("the BPE has neither a ByteLevel pre-tokenizer nor "
                                     "SentencePiece's ▁ for spaces, and is not supported"));
    return {};
}

Result<void> readByteLevelSteps(const QList<QJsonObject>& normalizers,
                                const QList<QJsonObject>& preTokenizers, Tokenizer::Vocabulary& v) {
    for (const QJsonObject& n : normalizers) {
        const QString type = n.value(QLatin1String("type")).toString();
        if (type != QLatin1String("NFC"))
            return refuse(QStringLiteral("normalizer step %1 is not supported").arg(type));
        v.nfc = true;
    }
    for (const QJsonObject& p : preTokenizers) {
        const QString type = p.value(QLatin1String("type")).toString();
        if (type == QLatin1String("ByteLevel")) {
            if (p.value(QLatin1String("add_prefix_space")).toBool(false))
                return refuse(QStringLiteral("ByteLevel add_prefix_space = true is not supported"));
            if (p.value(QLatin1String("use_regex")).toBool(true))
                v.splitPatterns << gpt2Pattern();
        } else if (type == QLatin1String("Split")) {
            const QJsonObject pattern = p.value(QLatin1String("pattern")).toObject();
            const QString behavior = p.value(QLatin1String("behavior")).toString();
            if (behavior != QLatin1String("Isolated") || p.value(QLatin1String("invert")).toBool())
                return refuse(QStringLiteral("Split with behavior %1%2 is not supported (Isolated "
                                             "is)")
                                  .arg(behavior, p.value(QLatin1String("invert")).toBool()
                                                     ? QStringLiteral(", inverted")
                                                     : QString()));
            if (pattern.contains(QLatin1String("Regex")))
                v.splitPatterns << pattern.value(QLatin1String("Regex")).toString();
            else if (pattern.contains(QLatin1String("String")))
                v.splitPatterns << QRegularExpression::escape(
                    pattern.value(QLatin1String("String")).toString());
            else
                return refuse(QStringLiteral("a Split pre-tokenizer has no pattern"));
        } else if (type == QLatin1String("Digits")) {
            v.splitPatterns << (p.value(QLatin1String("individual_digits")).toBool()
                                    ? QStringLiteral("\\p{N}")
                                    : QStringLiteral("\\p{N}+"));
        } else {
            return refuse(QStringLiteral("pre_tokenizer step %1 is not supported").arg(type));
        }
    }
    return {};
}

// The BOS template of the post-processor: {"found", "adds BOS", "its id"}.
struct Template {
    bool found = false;
    bool addsBos = false;
    std::int32_t bos = -1;
};

Template readTemplate(const QJsonValue& processor) {
    QList<QJsonObject> steps;
    flatten(processor, "processors", steps);
    for (const QJsonObject& p : steps) {
        if (p.value(QLatin1String("type")).toString() != QLatin1String("TemplateProcessing"))
            continue;
        Template t;
        t.found = true;
        const QJsonObject first = p.value(QLatin1String("single")).toArray().first().toObject();
        const QString special = first.value(QLatin1String("SpecialToken"))
                                    .toObject()
                                    .value(QLatin1String("id"))
                                    .toString();
        if (special.isEmpty())
            return t;
        const QJsonArray ids = p.value(QLatin1String("special_tokens"))
                                   .toObject()
                                   .value(special)
                                   .toObject()
                                   .value(QLatin1String("ids"))
                                   .toArray();
        t.addsBos = true;
        t.bos = ids.isEmpty() ? -1 : std::int32_t(ids.first().toInt(-1));
        return t;
    }
    return {};
}

} // namespace

Result<HfTokenizer> parseHfTokenizer(const QByteArray& tokenizerJson,
                                     const QByteArray& tokenizerConfig,
                                     const HfTokenIds& fallback) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(tokenizerJson, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return refuse(QStringLiteral("not valid JSON (%1 at byte %2)")
                          .arg(parseError.errorString())
                          .arg(parseError.offset));
    if (!doc.isObject())
        return refuse(QStringLiteral("not a JSON object"));
    const QJsonObject root = doc.object();
    const QJsonObject model = root.value(QLatin1String("model")).toObject();
    const QString type = model.value(QLatin1String("type")).toString(QStringLiteral("BPE"));
    if (type != QLatin1String("BPE"))
        return refuse(QStringLiteral("model.type = %1 is not supported (BPE is)").arg(type));
    if (!model.value(QLatin1String("dropout")).isNull() &&
        !model.value(QLatin1String("dropout")).isUndefined())
        return refuse(QStringLiteral("model.dropout is not supported"));
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
        if (!model.value(QLatin1String(key)).toString().isEmpty())
            return refuse(QStringLiteral("model.%1 is not supported").arg(QLatin1String(key)));

    HfTokenizer out;
    Tokenizer::Vocabulary v;
    QList<QJsonObject> normalizers, preTokenizers;
    flatten(root.value(QLatin1String("normalizer")), "normalizers", normalizers);
    flatten(root.value(QLatin1String("pre_tokenizer")), "pretokenizers", preTokenizers);
    const bool byteLevel =
        std::any_of(preTokenizers.begin(), preTokenizers.end(), [](const QJsonObject& p) {
            return p.value(QLatin1String("type")).toString() == QLatin1String("ByteLevel");
        });
    v.model = byteLevel ? TokenizerModel::ByteLevel : TokenizerModel::SentencePiece;
    if (auto r = byteLevel ? readByteLevelSteps(normalizers, preTokenizers, v)
                           : readSentencePieceSteps(normalizers, preTokenizers, v);
        !r)
        return r.error();
    const bool byteFallback = model.value(QLatin1String("byte_fallback")).toBool(false);
    v.wholeWordsFirst = model.value(QLatin1String("ignore_merges")).toBool(false);
    auto pieceOf = [&](const QString& s) {
        return byteLevel ? bytesFromByteLevel(s.toStdString()) : spacesFromMetaspace(s);
    };

    // Pieces by id; ids without a piece stay empty and unused.
    const QJsonObject vocab = model.value(QLatin1String("vocab")).toObject();
    const QJsonArray added = root.value(QLatin1String("added_tokens")).toArray();
    if (vocab.isEmpty())
        return refuse(QStringLiteral("model.vocab is missing or empty"));
    std::int64_t size = 0;
    auto idOf = [](const QJsonValue& value) -> std::int64_t {
        const double d = value.toDouble(-1);
        return value.isDouble() && d >= 0 && d < kLimitVocab && std::floor(d) == d ? std::int64_t(d)
                                                                                   : -1;
    };
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        const std::int64_t id = idOf(it.value());
        if (id < 0)
            return refuse(QStringLiteral("the id of piece \"%1\" is not a whole number below %2")
                              .arg(it.key())
                              .arg(kLimitVocab));
        size = std::max(size, id + 1);
    }
    for (const QJsonValue a : added) {
        const std::int64_t id = idOf(a.toObject().value(QLatin1String("id")));
        if (id < 0 || a.toObject().value(QLatin1String("content")).toString().isEmpty())
            return refuse(QStringLiteral("an added token has no content or no valid id"));
        size = std::max(size, id + 1);
    }
    v.pieces.assign(std::size_t(size), {});
    v.scores.assign(std::size_t(size), 0.0f);
    v.kinds.assign(std::size_t(size), TokenKind::Unused);
    std::vector<bool> taken(std::size_t(size), false);
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        const auto id = std::size_t(idOf(it.value()));
        if (taken[id])
            return refuse(QStringLiteral("id %1 is given to two pieces").arg(id));
        taken[id] = true;
        v.pieces[id] = pieceOf(it.key());
        const bool bytePiece = it.key().size() == 6 && it.key().startsWith(QLatin1String("<0x")) &&
                               it.key().endsWith(QLatin1Char('>'));
        v.kinds[id] = !byteLevel && bytePiece
                          ? (byteFallback ? TokenKind::Byte : TokenKind::UserDefined)
                          : TokenKind::Normal;
    }
    bool strips = false;
    for (const QJsonValue a : added) {
        const QJsonObject o = a.toObject();
        const auto id = std::size_t(idOf(o.value(QLatin1String("id"))));
        v.pieces[id] = o.value(QLatin1String("content")).toString().toStdString();
        v.kinds[id] = o.value(QLatin1String("special")).toBool() ? TokenKind::Control
                                                                 : TokenKind::UserDefined;
        v.literals.push_back(std::int32_t(id));
        strips |=
            o.value(QLatin1String("lstrip")).toBool() || o.value(QLatin1String("rstrip")).toBool();
    }
    if (strips)
        out.warnings << QStringLiteral("tokenizer.json: the spaces beside added tokens with lstrip "
                                       "or rstrip are not stripped");

    const QJsonArray merges = model.value(QLatin1String("merges")).toArray();
    v.merges.reserve(std::size_t(merges.size()));
    for (const QJsonValue m : merges) {
        QString left, right;
        if (m.isArray() && m.toArray().size() == 2) {
            left = m.toArray()[0].toString();
            right = m.toArray()[1].toString();
        } else if (m.isString()) {
            const QString s = m.toString();
            const qsizetype space = s.indexOf(QLatin1Char(' '), 1);
            left = space > 0 ? s.left(space) : QString();
            right = space > 0 ? s.mid(space + 1) : QString();
        }
        if (left.isEmpty() || right.isEmpty())
            return refuse(QStringLiteral("merge %1 is not two pieces").arg(v.merges.size() + 1));
        v.merges.emplace_back(pieceOf(left), pieceOf(right));
    }

    // Scores for writers of score-based vocabularies (GGUF "llama"): the earlier the merge that
    // makes a piece, the higher its score, so that merging by score merges in rank order.
    if (!byteLevel) {
        std::unordered_map<std::string, std::int32_t> idOfPiece;
        for (std::size_t id = 0; id < v.pieces.size(); ++id)
            if (v.kinds[id] == TokenKind::Normal)
                idOfPiece.emplace(v.pieces[id], std::int32_t(id));
        std::vector<bool> scored(v.pieces.size(), false);
        for (std::size_t rank = 0; rank < v.merges.size(); ++rank) {
            const auto found = idOfPiece.find(v.merges[rank].first + v.merges[rank].second);
            if (found != idOfPiece.end() && !scored[std::size_t(found->second)]) {
                scored[std::size_t(found->second)] = true;
                v.scores[std::size_t(found->second)] = -float(rank);
            }
        }
        for (std::size_t id = 0; id < v.pieces.size(); ++id) // no merge makes it: merged last
            if (!scored[id] && v.kinds[id] == TokenKind::Normal && v.pieces[id].size() > 1)
                v.scores[id] = -float(v.merges.size());
    }

    // Special tokens: tokenizer_config.json first, then the post-processor, then config.json.
    QJsonObject config;
    if (!tokenizerConfig.isEmpty()) {
        const QJsonDocument c = QJsonDocument::fromJson(tokenizerConfig, &parseError);
        if (parseError.error != QJsonParseError::NoError || !c.isObject())
            return Error{QStringLiteral("tokenizer_config.json is not a JSON object")};
        config = c.object();
    }
    auto find = [&](const QString& content) -> std::int32_t {
        if (content.isEmpty())
            return -1;
        const std::string piece = content.toStdString();
        for (std::int32_t id : v.literals)
            if (v.pieces[std::size_t(id)] == piece)
                return id;
        const QJsonValue id = vocab.value(content);
        return id.isDouble() ? std::int32_t(id.toInt()) : -1;
    };
    const Template tmpl = readTemplate(root.value(QLatin1String("post_processor")));
    const QString unk = model.value(QLatin1String("unk_token")).toString();
    v.unk = find(unk);
    v.bos = find(namedToken(config.value(QLatin1String("bos_token"))));
    if (v.bos < 0)
        v.bos = tmpl.bos >= 0 && tmpl.bos < size ? tmpl.bos : fallback.bos;
    if (v.bos < 0 && !byteLevel)
        v.bos = find(QStringLiteral("<s>"));
    v.eos = find(namedToken(config.value(QLatin1String("eos_token"))));
    if (v.eos < 0)
        v.eos = fallback.eos;
    if (v.eos < 0)
        v.eos = find(byteLevel ? QStringLiteral("<|endoftext|>") : QStringLiteral("</s>"));
    for (std::int32_t* id : {&v.bos, &v.eos, &v.unk})
        if (*id >= size)
            *id = -1;
    if (config.value(QLatin1String("add_bos_token")).isBool())
        v.addBos = config.value(QLatin1String("add_bos_token")).toBool();
    else if (tmpl.found)
        v.addBos = tmpl.addsBos;
    else
        v.addBos = !byteLevel;
    if (v.unk >= 0)
        v.kinds[std::size_t(v.unk)] = TokenKind::Unknown;
    for (std::int32_t id : {v.bos, v.eos})
        if (id >= 0)
            v.kinds[std::size_t(id)] = TokenKind::Control;

    auto tokenizer = Tokenizer::create(std::move(v));
    if (!tokenizer)
        return refuse(tokenizer.error().message);
    out.tokenizer = std::move(tokenizer.value());
    return out;
}

} // namespace cwb
