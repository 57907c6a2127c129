"""The lecture's character-level RNN: learn "hello", then sample it back.

What it shows: lecture 004's char-RNN example. The vocabulary is h, e, l, o (ids 1-4, 0 is
padding), the input "hell" enters one-hot, an Elman RNN (`zoo.build("char_rnn",
cell="simple_rnn")`) predicts at every step the next character, and the target is "ello". Note
that the two l's need different answers (after "hel" comes "l", after "hell" comes "o"): only the
recurrent state tells them apart. After training, the script prints the predicted next
character and its probability at every step, then generates text with `zoo.models.char_rnn.sample`:
greedily (temperature 0) from "h", and at temperature 1 from a fixed seed.

Lectures: seed 004 (KAIST AI602) "RNN character-level language model" ("hello"); seed 000
eq. 30-38 (RNN forward and BPTT); Karpathy 2015, "The unreasonable effectiveness of recurrent
neural networks"; Elman 1990.

Run:
    python examples/char_rnn_hello.py            # 300 updates
    python examples/char_rnn_hello.py --quick    # 100 updates
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

import zoo
from zoo.models.char_rnn import Vocabulary, sample


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 updates instead of 300")
    parser.add_argument("--steps", type=int, default=None, help="number of SGD updates")
    parser.add_argument("--units", type=int, default=8, help="hidden state size (8)")
    parser.add_argument("--text", default="hello", help="the word to learn (hello)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = args.steps or (100 if args.quick else 300)

    keras.utils.set_random_seed(args.seed)
    vocab = Vocabulary.from_text(args.text)
    inputs_text, targets_text = args.text[:-1], args.text[1:]
    print(f"vocabulary {vocab.characters!r} (ids 1..{vocab.size - 1}, 0 = padding)")
    print(f"train: {inputs_text!r} -> {targets_text!r}, {steps} Adam updates of one sequence")
    model = zoo.build(
        "char_rnn",
        vocab_size=vocab.size,
        cell="simple_rnn",
        units=args.units,
        num_layers=1,
        input_shape=(len(inputs_text),),
    )
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    inputs = np.repeat(vocab.encode(inputs_text)[None], steps, axis=0)
    targets = np.repeat(vocab.encode(targets_text)[None], steps, axis=0)
    before = model.evaluate(inputs[:1], targets[:1], verbose=0)
    model.fit(inputs, targets, batch_size=1, epochs=1, verbose=0, shuffle=False)
    after = model.evaluate(inputs[:1], targets[:1], verbose=0)
    print(f"cross-entropy {before:.4f} -> {after:.4f} ({model.count_params()} parameters)")

    probabilities = model.predict(vocab.encode(inputs_text)[None], verbose=0)[0]
    for position, row in enumerate(probabilities):
        seen = inputs_text[: position + 1]
        guess = vocab.decode([int(row.argmax())])
        print(f"  after {seen!r:8s} next {guess!r} with p = {row.max():.3f}")
    predicted = vocab.decode(probabilities.argmax(axis=-1))
    print(f"predicted next characters: {predicted!r} (target {targets_text!r})")
    greedy = sample(model, vocab, args.text[0], len(args.text) - 1, temperature=0)
    print(f"greedy sample from {args.text[0]!r}: {greedy!r}")
    drawn = sample(model, vocab, args.text[0], 2 * len(args.text), temperature=1.0, seed=args.seed)
    print(f"sample at temperature 1 (seed {args.seed}): {drawn!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
