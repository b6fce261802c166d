#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the hand-made seed inputs of the fuzz harnesses into fuzz/corpus/<harness>/.

Small valid files of each format (so the fuzzer starts deep inside each reader) and a few broken
ones. Seeds made by the application itself (a run database, a report, saved statistics) are made
by `cwb`: run with the path of a built `cwb` as the first argument to refresh those too.
"""
import json, os, struct, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
corpus = os.path.join(here, "corpus")


def put(harness, name, data):
    d = os.path.join(corpus, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def tiny_gguf(version=3):
    """A valid llama model: dim 8, 1 block, 2 heads, vocab 4, every tensor F32."""
    kv = []
    def add(key, type_id, payload):
        kv.append(gguf_string(key) + struct.pack("<I", type_id) + payload)
    add("general.architecture", 8, gguf_string("llama"))
    for key, v in [("llama.embedding_length", 8), ("llama.feed_forward_length", 16),
                   ("llama.block_count", 1), ("llama.attention.head_count", 2),
                   ("llama.context_length", 32)]:
        add(key, 4, struct.pack("<I", v))
    add("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-5))
    add("tokenizer.ggml.model", 8, gguf_string("llama"))
    tokens = ["<unk>", "<s>", "</s>", "\u2581a"]
    add("tokenizer.ggml.tokens", 9,
        struct.pack("<IQ", 8, len(tokens)) + b"".join(gguf_string(t) for t in tokens))
    add("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 4) + struct.pack("<4f", 0, 0, 0, -1))
    tensors = [("token_embd.weight", [8, 4]), ("output_norm.weight", [8]),
               ("blk.0.attn_norm.weight", [8]), ("blk.0.attn_q.weight", [8, 8]),
               ("blk.0.attn_k.weight", [8, 8]), ("blk.0.attn_v.weight", [8, 8]),
               ("blk.0.attn_output.weight", [8, 8]), ("blk.0.ffn_norm.weight", [8]),
               ("blk.0.ffn_gate.weight", [8, 16]), ("blk.0.ffn_up.weight", [8, 16]),
               ("blk.0.ffn_down.weight", [16, 8])]
    infos, data = b"", b""
    for name, dims in tensors:
        n = 1
        for d in dims:
            n *= d
        infos += gguf_string(name) + struct.pack("<I", len(dims)) + \
            b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", 0, len(data))
        data += struct.pack("<%df" % n, *[((i * 7) % 13 - 6) / 20.0 for i in range(n)])
        while len(data) % 32:
            data += b"\0"
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kv)) + b"".join(kv) + infos
    while len(out) % 32:
        out += b"\0"
    return out + data


def tiny_llama2c(vocab=512, shared=True):
    dim, hidden, layers, heads, kv_heads, seq = 8, 16, 1, 2, 2, 32
    header = struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab if shared else -vocab, seq)
    head = dim // heads
    counts = [vocab * dim, layers * dim, layers * dim * dim, layers * dim * dim,
              layers * dim * dim, layers * dim * dim, layers * dim, layers * hidden * dim,
              layers * dim * hidden, layers * hidden * dim, dim, seq * head // 2, seq * head // 2]
    if not shared:
        counts.append(vocab * dim)
    n = sum(counts)
    return header + struct.pack("<%df" % n, *[((i * 5) % 11 - 5) / 30.0 for i in range(n)])


def gpt2_chars():
    """GPT-2's map of bytes to printable characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def hf_seeds():
    config = {"architectures": ["LlamaForCausalLM"], "hidden_size": 8, "intermediate_size": 16,
              "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2,
              "vocab_size": 4, "max_position_embeddings": 32, "rms_norm_eps": 1e-5,
              "rope_theta": 10000.0, "tie_word_embeddings": True}
    put("fuzz_hfconfig", "llama.json", json.dumps(config))
    put("fuzz_hfconfig", "mistral.json", json.dumps(dict(config, architectures=["MistralForCausalLM"],
                                                         sliding_window=4096)))
    put("fuzz_hfconfig", "rope-scaling.json", json.dumps(dict(config, rope_scaling={"type": "linear", "factor": 2})))
    put("fuzz_hfconfig", "qwen2.json", json.dumps(dict(config, architectures=["Qwen2ForCausalLM"])))

    shapes = [("model.embed_tokens.weight", [4, 8]), ("model.norm.weight", [8]),
              ("model.layers.0.input_layernorm.weight", [8]),
              ("model.layers.0.self_attn.q_proj.weight", [8, 8]),
              ("model.layers.0.self_attn.k_proj.weight", [8, 8]),
              ("model.layers.0.self_attn.v_proj.weight", [8, 8]),
              ("model.layers.0.self_attn.o_proj.weight", [8, 8]),
              ("model.layers.0.post_attention_layernorm.weight", [8]),
              ("model.layers.0.mlp.gate_proj.weight", [16, 8]),
              ("model.layers.0.mlp.up_proj.weight", [16, 8]),
              ("model.layers.0.mlp.down_proj.weight", [8, 16])]
    for dtype, size, fmt in [("F32", 4, "<f"), ("BF16", 2, None)]:
        header, data = {"__metadata__": {"format": "pt"}}, b""
        for name, shape in shapes:
            n = 1
            for d in shape:
                n *= d
            values = [((i * 3) % 7 - 3) / 10.0 for i in range(n)]
            if fmt:
                blob = b"".join(struct.pack(fmt, v) for v in values)
            else:
                blob = b"".join(struct.pack("<f", v)[2:] for v in values)
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
            data += blob
        h = json.dumps(header).encode()
        h += b" " * ((8 - len(h) % 8) % 8)
        put("fuzz_safetensors", "tiny-%s.safetensors" % dtype.lower(), struct.pack("<Q", len(h)) + h + data)
    put("fuzz_safetensors", "huge-header.safetensors", struct.pack("<Q", 1 << 40) + b"{}")

    # SentencePiece-style: the ▁ normalizer, byte fallback, merges by rank.
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for piece in ["\u2581", "a", "b", "\u2581a", "\u2581ab", "ab"]:
        vocab[piece] = len(vocab)
    sp = {"version": "1.0",
          "added_tokens": [{"id": i, "content": t, "special": True} for t, i in
                           [("<unk>", 0), ("<s>", 1), ("</s>", 2)]],
          "normalizer": {"type": "Sequence", "normalizers": [
              {"type": "Prepend", "prepend": "\u2581"},
              {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
          "pre_tokenizer": None,
          "post_processor": {"type": "TemplateProcessing",
                             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                        {"Sequence": {"id": "A", "type_id": 0}}],
                             "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
          "decoder": {"type": "Sequence", "decoders": [
              {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
              {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
          "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": True, "fuse_unk": True,
                    "vocab": vocab, "merges": ["\u2581 a", "a b", "\u2581a b"]}}
    put("fuzz_hftokenizer", "sentencepiece.json", json.dumps(sp, ensure_ascii=False))

    chars = gpt2_chars()
    bl_vocab = {chars[b]: b for b in range(256)}
    merges = []
    for left, right in [(" ", "t"), ("h", "e"), (" t", "he"), ("1", "2")]:
        l = "".join(chars[c] for c in left.encode())
        r = "".join(chars[c] for c in right.encode())
        bl_vocab[l + r] = len(bl_vocab)
        merges.append(l + " " + r)
    bl_vocab["<|endoftext|>"] = len(bl_vocab)
    bl = {"added_tokens": [{"id": bl_vocab["<|endoftext|>"], "content": "<|endoftext|>", "special": True}],
          "normalizer": None,
          "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
          "decoder": {"type": "ByteLevel"},
          "model": {"type": "BPE", "vocab": bl_vocab, "merges": merges}}
    put("fuzz_hftokenizer", "bytelevel.json", json.dumps(bl, ensure_ascii=False))


def main():
    g = tiny_gguf()
    put("fuzz_gguf", "tiny-v3.gguf", g)
    put("fuzz_gguf", "tiny-v2.gguf", tiny_gguf(2))
    put("fuzz_gguf", "truncated.gguf", g[: len(g) // 2])
    put("fuzz_gguf", "header-only.gguf", g[:24])

    m = tiny_llama2c()
    put("fuzz_llama2c", "tiny.bin", m)
    put("fuzz_llama2c", "tiny-untied.bin", tiny_llama2c(shared=False))
    put("fuzz_llama2c", "truncated.bin", m[:100])
    with open(os.path.join(root, "resources/models/stories260K/tok512.bin"), "rb") as f:
        put("fuzz_llama2c", "tok512-head.bin", f.read(2048))

    put("fuzz_plan", "design.json", json.dumps({
        "name": "mixed", "default": "int4_g32",
        "rules": [{"match": "token_embd.weight", "precision": "int8"},
                  {"match": "blk\\.(0|1)\\..*", "precision": "w8a8", "method": "smoothquant"},
                  {"match": "output.weight", "precision": "fp16"}],
        "calibration": {"method": "awq", "smoothquant_alpha": 0.5}}))
    put("fuzz_plan", "rtn.json", json.dumps({"name": "rtn", "default": "int4_g32", "rules": [
        {"match": "token_embd.weight", "precision": "int8"}]}))
    put("fuzz_plan", "gptq.json", json.dumps({"default": "int4_g32", "calibration": {"method": "gptq"}}))
    put("fuzz_plan", "bad-regex.json", '{"default": "int8", "rules": [{"match": "(", "precision": "int8"}]}')
    put("fuzz_plan", "nested.json", "[" * 64 + "]" * 64)

    put("fuzz_calibtext", "lines.jsonl",
        '{"text": "Once upon a time"}\n{"text": "there was a cat", "id": 2}\n\n{"text": "\\u00e9t\\u00e9"}\n')
    put("fuzz_calibtext", "bad-line.jsonl", '{"text": "ok"}\n{"text": 3}\nnot json\n')
    put("fuzz_calibtext", "plain.txt", "Once upon a time there was a little cat.\n\nThe end.\n")

    if len(sys.argv) > 1:
        cwb = sys.argv[1]
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "runs.sqlite")
            env = dict(os.environ, CWB_CACHE_DIR=os.path.join(tmp, "cache"))
            model = os.path.join(root, "resources/models/stories260K/stories260K.bin")
            text = os.path.join(root, "resources/texts/tinystories-valid-200.txt")
            run = lambda *a: subprocess.run([cwb, *a], check=True, env=env, capture_output=True)
            run("eval", model, "--text", text, "--plan", os.path.join(corpus, "fuzz_plan", "rtn.json"),
                "--max-tokens", "64", "--ctx", "32", "--db", db)
            stats = os.path.join(tmp, "s.stats")
            run("calibrate", model, "--text", text, "--sequences", "1", "--length", "16",
                "--no-hessians", "--out", stats, "--db", db)
            report = os.path.join(tmp, "r.json")
            run("report", "1", "--out", report, "--db", db)
            subprocess.run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;"], check=True)
            for src, harness, name in [(db, "fuzz_store", "runs.sqlite"),
                                       (stats, "fuzz_stats", "tiny.stats"),
                                       (report, "fuzz_report", "report.json")]:
                with open(src, "rb") as f:
                    put(harness, name, f.read())
    hf_seeds()
    put("fuzz_report", "not-object.json", "[1, 2, 3]")
    put("fuzz_store", "not-sqlite.sqlite", "SQLite format 3\0" + "x" * 100)


main()
