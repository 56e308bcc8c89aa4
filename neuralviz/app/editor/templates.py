"""Networks to start drawing from: each is a plain spec (DESIGN.md §4) with the data it suits.

They open without a layout (the editor lays them out), and every one builds with the engine (a test
checks this), so "Train this network" works on them as they are.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

FORMAT = "neuralviz.network/1"


@dataclass(frozen=True)
class Template:
    title: str
    summary: str
    dataset: str  # what the studio trains it on
    spec: dict

    def network(self) -> dict:
        return copy.deepcopy(self.spec)


def _spec(name: str, input_shape: list[int], layers: list[dict], description: str) -> dict:
    return {"format": FORMAT, "name": name, "description": description, "input_shape": input_shape, "layers": layers}


TEMPLATES: dict[str, Template] = {
    "mlp": Template(
        "MLP",
        "two hidden tanh layers for 2-D points (XOR, circles, spirals)",
        "xor",
        _spec(
            "mlp",
            [2],
            [
                {"id": "h1", "type": "dense", "units": 8},
                {"id": "a1", "type": "tanh"},
                {"id": "h2", "type": "dense", "units": 8},
                {"id": "a2", "type": "tanh"},
                {"id": "out", "type": "dense", "units": 1},
            ],
            "A multi-layer perceptron: dense layers with a non-linearity between them.",
        ),
    ),
    "lenet": Template(
        "LeNet-style CNN",
        "two conv + pool stages, then dense layers, for 8×8 digits",
        "digits",
        _spec(
            "lenet",
            [1, 8, 8],
            [
                {"id": "conv1", "type": "conv2d", "channels": 8, "kernel_size": 3, "padding": 1},
                {"id": "relu1", "type": "relu"},
                {"id": "pool1", "type": "maxpool2d", "kernel_size": 2},
                {"id": "conv2", "type": "conv2d", "channels": 16, "kernel_size": 3, "padding": 1},
                {"id": "relu2", "type": "relu"},
                {"id": "pool2", "type": "maxpool2d", "kernel_size": 2},
                {"id": "flat", "type": "flatten"},
                {"id": "fc", "type": "dense", "units": 32},
                {"id": "relu3", "type": "relu"},
                {"id": "out", "type": "dense", "units": 10},
            ],
            "LeCun's recipe: convolutions find local features, pooling shrinks the map, dense layers decide.",
        ),
    ),
    "residual": Template(
        "Residual block",
        "a conv block whose input is added back to its output (a skip)",
        "digits",
        _spec(
            "residual-block",
            [1, 8, 8],
            [
                {"id": "stem", "type": "conv2d", "channels": 8, "kernel_size": 3, "padding": 1},
                {"id": "act0", "type": "relu"},
                {"id": "conv1", "type": "conv2d", "channels": 8, "kernel_size": 3, "padding": 1},
                {"id": "act1", "type": "relu"},
                {"id": "conv2", "type": "conv2d", "channels": 8, "kernel_size": 3, "padding": 1},
                {"id": "skip", "type": "add", "inputs": ["conv2", "act0"]},
                {"id": "act2", "type": "relu"},
                {"id": "pool", "type": "avgpool2d", "kernel_size": 2},
                {"id": "flat", "type": "flatten"},
                {"id": "out", "type": "dense", "units": 10},
            ],
            "He et al.'s residual block: the block learns a correction added to its input, so gradients "
            "flow back through the skip unchanged.",
        ),
    ),
    "lstm": Template(
        "LSTM sequence model",
        "an LSTM reads a sequence, a dense layer answers (the adding problem)",
        "adding",
        _spec(
            "lstm-sequence",
            [20, 2],
            [{"id": "lstm", "type": "lstm", "hidden": 32}, {"id": "out", "type": "dense", "units": 1}],
            "A long short-term memory reads the sequence step by step; its last state feeds the answer.",
        ),
    ),
    "autoencoder": Template(
        "Auto-encoder",
        "squeezes 8×8 images through a 4-number code and widens them back",
        "digits",
        _spec(
            "autoencoder",
            [1, 8, 8],
            [
                {"id": "flat", "type": "flatten"},
                {"id": "enc1", "type": "dense", "units": 32},
                {"id": "enc_act", "type": "relu"},
                {"id": "code", "type": "dense", "units": 4},
                {"id": "code_act", "type": "tanh"},
                {"id": "dec1", "type": "dense", "units": 32},
                {"id": "dec_act", "type": "relu"},
                {"id": "out", "type": "dense", "units": 64},
            ],
            "An encoder squeezes the input through a narrow code; the decoder rebuilds it. The studio "
            "trains on labels, so there the last layer is refit to the classes: the code must then keep "
            "what tells the digits apart.",
        ),
    ),
}
