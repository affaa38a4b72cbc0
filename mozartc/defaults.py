"""The defaults of a training step, in one place (PAPER.md section 9: batch 32 of sequence length 256).

The paper trains on batches of 32 sequences of 256 tokens; it does not say how a batch is cut into
micro-batches. mozartc's default is 4 micro-batches of 8 sequences (``micro_batch x micro_batches =
32``), a modelling choice (docs/schedule.md) every command and API uses from here.
"""

from __future__ import annotations

#: tokens per sequence (PAPER.md section 9)
SEQ_LEN = 256
#: sequences per micro-batch (batch 32 = 4 micro-batches of 8; the split is ours)
MICRO_BATCH = 8
#: micro-batches per training step
MICRO_BATCHES = 4
