"""Make the tiny TorchScript test models for adapter-djl.

What it makes (in the directory of this script):
  tiny-gpt.pt            byte-level GPT (vocab 256, token id = one UTF-8 byte);
                         forward(input_ids int64 [B,T]) -> logits float32 [B,T,256]
  tiny-gpt-tuple.pt      same weights; forward returns a tuple (logits [B,T,256], hidden [B,T,32]),
                         like a traced Hugging Face GPT-2 whose first output is the logits
  wrong-shape.pt         same weights; forward returns only the last position's logits [B,256]
  tiny-gpt-wordlevel.pt  word-level GPT, vocab = size of tokenizer.json's vocab (40)
  tokenizer.json         hand-written Hugging Face tokenizer (WordLevel + Whitespace)
  tokenizer-too-big.json same, with a vocabulary larger than tiny-gpt-wordlevel.pt's (48 > 40)
  expected.json          reference ids, logits and greedy continuations computed here

Every model is float32, CPU, saved with torch.jit.trace on an int64 [1,8] example, and
accepts any batch size B >= 1 and sequence length 1 <= T <= 64 (checked against eager below).
Positions and the causal mask come from registered buffers (no device baked into the trace).

Run it from this directory:
    /usr/bin/python3 make_models.py
(/usr/bin/python3 with Debian's python3-torch: `apt-get install -y python3-torch`.)
Made with torch 1.13.0a0 (Debian bookworm); expected.json records the version used.

CI never runs this script: the committed .pt / .json files are what the tests use.
Re-running it with the same torch version reproduces the same files' numbers.
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

D_MODEL = 32
N_HEAD = 2
N_LAYER = 2
MAX_CTX = 64
BYTE_VOCAB = 256


class Block(nn.Module):
    def __init__(self, d, n_head, max_ctx):
        super().__init__()
        self.n_head = n_head
        self.scale = 1.0 / math.sqrt(d // n_head)
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.fc_out = nn.Linear(4 * d, d)
        # 1 on and below the diagonal: position i may attend to positions <= i.
        self.register_buffer("mask", torch.tril(torch.ones(max_ctx, max_ctx)).view(1, 1, max_ctx, max_ctx))

    def forward(self, x):
        b, t, d = x.size()
        h = self.n_head
        hd = d // h
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(b, t, h, hd).transpose(1, 2)
        k = k.view(b, t, h, hd).transpose(1, 2)
        v = v.view(b, t, h, hd).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).contiguous().view(b, t, d)
        x = x + self.proj(y)
        x = x + self.fc_out(F.gelu(self.fc(self.ln2(x))))
        return x


class TinyGpt(nn.Module):
    def __init__(self, vocab, d=D_MODEL, n_head=N_HEAD, n_layer=N_LAYER, max_ctx=MAX_CTX):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, d)
        self.pos_emb = nn.Embedding(max_ctx, d)
        self.blocks = nn.ModuleList([Block(d, n_head, max_ctx) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.register_buffer("pos_ids", torch.arange(max_ctx, dtype=torch.long).view(1, max_ctx))

    def hidden(self, input_ids):
        t = input_ids.size(1)
        x = self.tok_emb(input_ids) + self.pos_emb(self.pos_ids[:, :t])
        for blk in self.blocks:
            x = blk(x)
        return self.ln_f(x)

    def forward(self, input_ids):
        return self.head(self.hidden(input_ids))


class TupleOutput(nn.Module):
    """(logits, hidden_states), like a traced HF GPT-2 (first element = logits)."""

    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt

    def forward(self, input_ids):
        h = self.gpt.hidden(input_ids)
        return self.gpt.head(h), h


class LastPositionOnly(nn.Module):
    """Wrong contract on purpose: returns [B,V] (last position only)."""

    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt

    def forward(self, input_ids):
        return self.gpt(input_ids)[:, -1, :]


def make_gpt(vocab, seed):
    torch.manual_seed(seed)
    m = TinyGpt(vocab).float().eval()
    # Default init; make the output head a bit larger so logits are clearly spread
    # and greedy argmax is not decided by float noise.
    with torch.no_grad():
        m.head.weight.mul_(4.0)
    return m


def trace_and_check(module, path):
    example = torch.randint(0, 10, (1, 8), dtype=torch.long)
    with torch.no_grad():
        traced = torch.jit.trace(module, example)
    traced.save(path)
    loaded = torch.jit.load(path)
    g = torch.Generator().manual_seed(123)
    for shape in [(1, 8), (3, 5), (1, 64), (2, 1), (4, 37)]:
        vocab = module.gpt.head.out_features if hasattr(module, "gpt") else module.head.out_features
        x = torch.randint(0, vocab, shape, dtype=torch.long, generator=g)
        with torch.no_grad():
            e = module(x)
            t = loaded(x)
        es = e if isinstance(e, tuple) else (e,)
        ts = t if isinstance(t, tuple) else (t,)
        assert len(es) == len(ts), path
        for a, b in zip(es, ts):
            assert a.shape == b.shape, (path, shape, a.shape, b.shape)
            assert torch.equal(a, b) or torch.allclose(a, b, atol=1e-6, rtol=0), (path, shape, (a - b).abs().max())
    return loaded


def greedy(model, ids, n):
    """No cache: run the full sequence each step, argmax of the last position.

    Returns (new_ids, min_margin) where min_margin is the smallest gap between the best and
    second-best logit over the steps (how robust the argmax is to float differences)."""
    seq = list(ids)
    out = []
    min_margin = float("inf")
    with torch.no_grad():
        for _ in range(n):
            logits = model(torch.tensor([seq], dtype=torch.long))
            if isinstance(logits, tuple):
                logits = logits[0]
            last = logits[0, -1]
            top2 = torch.topk(last, 2).values
            min_margin = min(min_margin, float(top2[0] - top2[1]))
            nxt = int(torch.argmax(last))
            out.append(nxt)
            seq.append(nxt)
    return out, min_margin


WORDS = [
    "[UNK]", "the", "king", "queen", "and", "of", "a", "to", "is", "was",
    "in", "his", "her", "he", "she", "it", "that", "with", "for", "on",
    "as", "by", "at", "from", "castle", "crown", "land", "people", "said", "good",
    "old", "young", "man", "woman", "day", "night", "sword", "horse", "river", "forest",
]
EXTRA_WORDS = ["gold", "silver", "north", "south", "east", "west", "storm", "sea"]


def tokenizer_json(words):
    """A Hugging Face tokenizer.json (format of the Rust `tokenizers` crate), written by hand."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": 0,
                "content": "[UNK]",
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        # WordPiece decoder: joins tokens with spaces (no "##" tokens exist here).
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordLevel",
            "vocab": {w: i for i, w in enumerate(words)},
            "unk_token": "[UNK]",
        },
    }


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def main():
    torch.set_num_threads(1)
    p = lambda name: os.path.join(HERE, name)

    # ---- byte-level models -------------------------------------------------
    gpt = make_gpt(BYTE_VOCAB, seed=1234)
    plain = trace_and_check(gpt, p("tiny-gpt.pt"))
    tup = trace_and_check(TupleOutput(gpt), p("tiny-gpt-tuple.pt"))
    wrong = trace_and_check(LastPositionOnly(gpt), p("wrong-shape.pt"))

    expected = {
        "torch_version": torch.__version__,
        "generated_by": "make_models.py",
        "note": "logits are float32 values written as JSON numbers (exact float32 values); "
                "greedy = run the full sequence each step (no cache), argmax of the last position",
    }

    byte_prompts = {}
    for text in ["Hello", "To be"]:
        ids = list(text.encode("utf-8"))
        with torch.no_grad():
            logits = plain(torch.tensor([ids], dtype=torch.long))
            tlogits, hidden = tup(torch.tensor([ids], dtype=torch.long))
            wlogits = wrong(torch.tensor([ids], dtype=torch.long))
        assert torch.equal(logits, tlogits)
        assert torch.equal(logits[:, -1, :], wlogits)
        assert tuple(logits.shape) == (1, len(ids), BYTE_VOCAB)
        assert tuple(hidden.shape) == (1, len(ids), D_MODEL)
        cont, margin = greedy(plain, ids, 20)
        cont_t, _ = greedy(tup, ids, 20)
        assert cont == cont_t
        byte_prompts[text] = {
            "input_ids": ids,
            "logits_last": logits[0, -1].tolist(),
            "logits_first_16": logits[0, 0, :16].tolist(),
            "greedy_20": cont,
            "greedy_min_top2_margin": margin,
        }

    expected["tiny-gpt.pt"] = {
        "vocab_size": BYTE_VOCAB,
        "max_context": MAX_CTX,
        "output": "logits float32 [B,T,256]",
        "prompts": byte_prompts,
    }
    expected["tiny-gpt-tuple.pt"] = {
        "output": "tuple (logits float32 [B,T,256], hidden float32 [B,T,32])",
        "same_as": "tiny-gpt.pt",
        "logits_equal_plain": True,
        "greedy_equal_plain": True,
    }
    expected["wrong-shape.pt"] = {
        "output": "float32 [B,256] (last position only; violates the [B,T,V] contract)",
    }

    # ---- word-level model + tokenizers ------------------------------------
    assert len(WORDS) == len(set(WORDS)) == 40
    write_json(p("tokenizer.json"), tokenizer_json(WORDS))
    big = WORDS + EXTRA_WORDS
    assert len(big) == len(set(big))
    write_json(p("tokenizer-too-big.json"), tokenizer_json(big))

    wgpt = make_gpt(len(WORDS), seed=4321)
    wmodel = trace_and_check(wgpt, p("tiny-gpt-wordlevel.pt"))
    prompt = "the king"
    wids = [WORDS.index(w) for w in prompt.split()]
    with torch.no_grad():
        wlog = wmodel(torch.tensor([wids], dtype=torch.long))
    wcont, wmargin = greedy(wmodel, wids, 10)
    expected["tiny-gpt-wordlevel.pt"] = {
        "vocab_size": len(WORDS),
        "max_context": MAX_CTX,
        "tokenizer": "tokenizer.json",
        "tokenizer_vocab_size": len(WORDS),
        "too_big_tokenizer": "tokenizer-too-big.json",
        "too_big_tokenizer_vocab_size": len(big),
        "prompt": prompt,
        "input_ids": wids,
        "logits_last": wlog[0, -1].tolist(),
        "greedy_10": wcont,
        "greedy_10_words": [WORDS[i] for i in wcont],
        "greedy_10_text": " ".join(WORDS[i] for i in wcont),
        "greedy_min_top2_margin": wmargin,
    }

    write_json(p("expected.json"), expected)

    # ---- report -------------------------------------------------------------
    print("torch", torch.__version__)
    for name in ["tiny-gpt.pt", "tiny-gpt-tuple.pt", "wrong-shape.pt", "tiny-gpt-wordlevel.pt",
                 "tokenizer.json", "tokenizer-too-big.json", "expected.json"]:
        size = os.path.getsize(p(name))
        print(f"{name:24s} {size:8d} bytes")
        if name.endswith(".pt"):
            assert size <= 1_000_000, name
    for text, d in byte_prompts.items():
        print(repr(text), d["input_ids"], "->", d["greedy_20"], "margin %.4f" % d["greedy_min_top2_margin"])
    print(repr(prompt), wids, "->", wcont, expected["tiny-gpt-wordlevel.pt"]["greedy_10_text"],
          "margin %.4f" % wmargin)


if __name__ == "__main__":
    sys.exit(main())
