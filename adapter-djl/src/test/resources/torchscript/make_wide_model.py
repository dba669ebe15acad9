"""Make tiny-gpt-wide.pt: a 2 MB byte-level GPT for adapter-djl's memory tests.

The same architecture as make_models.py's tiny-gpt.pt (vocab 256, context 64, traced on an
int64 [1,8] example, any batch size and length 1..64), wider and deeper: d_model 96, 4 heads,
4 layers, about half a million float32 parameters. FootprintIT loads ten of it so that what a
model really takes stands well above what the process does on its own.

Run it from this directory with Debian's python3-torch (`apt-get install -y python3-torch`):
    /usr/bin/python3 make_wide_model.py
CI never runs it: the committed file is what the tests use.
"""

import os
import sys

import torch

from make_models import BYTE_VOCAB, MAX_CTX, TinyGpt, trace_and_check

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(2026)
    model = TinyGpt(BYTE_VOCAB, d=96, n_head=4, n_layer=4, max_ctx=MAX_CTX).float().eval()
    path = os.path.join(HERE, "tiny-gpt-wide.pt")
    trace_and_check(model, path)
    params = sum(p.numel() for p in model.parameters())
    print("torch", torch.__version__, "parameters", params, "file", os.path.getsize(path), "bytes")


if __name__ == "__main__":
    sys.exit(main())
