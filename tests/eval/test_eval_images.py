"""An image classifier evaluated with `--labels`: shapes drawn here (circles, squares, triangles
at random sizes and places), a small Keras model trained on other drawings of them, converted to
TFLite, and compiled into two runes: one whose output is the scores (read by argmax), one whose
`argmax` proc block outputs the index."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from evalkit import runec
from PIL import Image, ImageDraw
from rune.eval import evaluate
from rune.runtime.cli import main

SHAPES = ("circle", "square", "triangle")
SIDE = 24

RUNEFILE = """version: 1
image: runicos/base
pipeline:
  image:
    capability: FLOAT_IMAGE
    outputs:
      - type: F32
        dimensions: [1, {side}, {side}, 1]
    args:
      pixel-format: "@PixelFormat::GrayScale"
      width: {side}
      height: {side}
  classify:
    model: "./shapes.tflite"
    inputs: [image]
    outputs:
      - type: F32
        dimensions: [1, 3]
{tail}"""
SCORES = """  serial:
    out: serial
    inputs: [classify]
"""
INDEX = """  best:
    proc-block: "hotg-ai/proc-blocks@v0.11.3#argmax"
    inputs: [classify]
    outputs:
      - type: U32
        dimensions: [1]
  serial:
    out: serial
    inputs: [best]
"""


def draw(shape: str, rng: random.Random) -> Image.Image:
    """A white shape on black, of random size and position."""
    picture = Image.new("L", (SIDE, SIDE), 0)
    pen = ImageDraw.Draw(picture)
    size = rng.randint(9, 16)
    x, y = rng.randint(1, SIDE - size - 1), rng.randint(1, SIDE - size - 1)
    box = (x, y, x + size, y + size)
    if shape == "circle":
        pen.ellipse(box, fill=255)
    elif shape == "square":
        pen.rectangle(box, fill=255)
    else:
        pen.polygon([(x + size / 2, y), (x, y + size), (x + size, y + size)], fill=255)
    return picture


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tf = pytest.importorskip("tensorflow")
    root = tmp_path_factory.mktemp("shapes")
    rng = random.Random(7)
    train_x, train_y = [], []
    for label, shape in enumerate(SHAPES):
        for _ in range(150):
            train_x.append(np.asarray(draw(shape, rng), np.float32)[..., None] / 255)
            train_y.append(label)
        (root / "data" / shape).mkdir(parents=True)
        for n in range(20):
            draw(shape, rng).save(root / "data" / shape / f"{n:02d}.png")
    tf.keras.utils.set_random_seed(0)

    def network(batch: int | None) -> object:
        return tf.keras.Sequential([
            tf.keras.Input((SIDE, SIDE, 1), batch_size=batch),
            tf.keras.layers.Conv2D(8, 3, activation="relu"),
            tf.keras.layers.MaxPooling2D(2),
            tf.keras.layers.Conv2D(16, 3, activation="relu"),
            tf.keras.layers.GlobalMaxPooling2D(),
            tf.keras.layers.Dense(3, activation="softmax"),
        ])  # fmt: skip

    trained = network(None)
    trained.compile(tf.keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    trained.fit(np.stack(train_x), np.array(train_y), epochs=15, batch_size=16, verbose=0)
    model = network(1)  # the rune's tensors have a fixed batch of one
    model.set_weights(trained.get_weights())
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    (root / "shapes.tflite").write_bytes(tflite)
    (root / "labels.txt").write_text("\n".join(SHAPES) + "\n")
    runes = {}
    for name, tail in (("scores", SCORES), ("index", INDEX)):
        folder = root / name
        folder.mkdir()
        (folder / "shapes.tflite").write_bytes(tflite)
        (folder / "Runefile.yml").write_text(RUNEFILE.format(side=SIDE, tail=tail))
        runes[name] = runec(folder / "Runefile.yml", root / f"{name}.rune")
    return {**runes, "data": root / "data", "labels": root / "labels.txt"}


def test_scores_and_index_outputs_read_through_labels(shapes: dict[str, Path]) -> None:
    scores = evaluate(shapes["scores"], shapes["data"], labels=shapes["labels"], workers=0,
                      progress=False).data  # fmt: skip
    index = evaluate(shapes["index"], shapes["data"], labels=shapes["labels"], workers=0,
                     progress=False).data  # fmt: skip
    assert (scores["rune"]["reads"], index["rune"]["reads"]) == ("scores", "index")
    assert scores["labels"] == index["labels"] == list(SHAPES)
    assert scores["confusion"] == index["confusion"]
    assert [sum(row) for row in scores["confusion"]] == [20, 20, 20]
    assert scores["accuracy"] >= 0.8, scores["confusion"]


def test_index_output_needs_labels(capsys, shapes: dict[str, Path], tmp_path: Path) -> None:
    assert main(["eval", str(shapes["index"]), str(shapes["data"])]) == 1
    err = capsys.readouterr().err
    assert '"serial" gives u32[1]' in err and "with --labels FILE, an integer index" in err
    short = tmp_path / "two.txt"
    short.write_text("circle\nsquare\n")  # "triangle" is missing
    assert main(["eval", str(shapes["index"]), str(shapes["data"]), "--labels", str(short)]) == 1
    assert 'triangle/00.png: label "triangle" is not in' in capsys.readouterr().err


def test_cli_with_labels_on_two_workers(capsys, shapes: dict[str, Path], tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    argv = ["eval", shapes["index"], shapes["data"], "--labels", shapes["labels"], "--workers",
            "2", "-o", report, "--no-progress"]  # fmt: skip
    code = main([str(arg) for arg in argv])
    assert code == 0, capsys.readouterr().err
    data = json.loads(report.read_text())
    assert data["dataset"]["examples"] == 60 and data["timing"]["mode"] == "local"
    assert data["accuracy"] >= 0.8
