"""Small ONNX voices built by the tests, in the layouts users download, through onnx's helpers.

A Piper voice here has Piper's real inputs and output (`input` [1, T] int64, `input_lengths` [1],
`scales` [3] float: noise, length, noise_w; optional `sid` [1]; `output` [1, 1, samples]) and a
config with the real keys. Its "model" is a tone per phoneme id: each id lasts
ceil(256 * length_scale) samples, at a pitch set by the id (and the speaker), so tests can see
that speed, speakers and the id sequence reach the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import onnx
from onnx import TensorProto, helper

HOP = 256
# Every symbol espeak-ng writes for English and French, plus punctuation and Piper's specials.
SYMBOLS = (
    "_^$ !'(),-.:;?"
    "abcdefghijklmnopqrstuvwxyz"
    "æçðøħŋœǀǁǂǃɐɑɒɓɔɕɖɗɘəɚɛɜɞɟɠɡɢɣɤɥɦɧɨɪɫɬɭɮɯɰɱɲɳɴɵɶɸɹɺɻɽɾʀʁʂʃʄʈʉʊʋʌʍʎʏʐʑʒʔʕʘʙʛʜʝʟʡʢʰʲʷˈˌːˑ˞ˠˤ̩̃θχᵻⱱ"
)


def phoneme_id_map() -> dict[str, list[int]]:
    return {symbol: [i] for i, symbol in enumerate(SYMBOLS)}


def _piper_graph(with_speakers: bool) -> onnx.ModelProto:
    c = helper.make_tensor
    nodes = [
        helper.make_node("Cast", ["input"], ["ids"], to=TensorProto.FLOAT),
        helper.make_node("Gather", ["scales", "one"], ["length_scale"], axis=0),
        helper.make_node("Mul", ["length_scale", "hop"], ["hop_f"]),
        helper.make_node("Ceil", ["hop_f"], ["hop_c"]),
        helper.make_node("Cast", ["hop_c"], ["hop_i"], to=TensorProto.INT64),
        helper.make_node("Reshape", ["hop_i", "one_dim"], ["hop_1"]),
        helper.make_node("Concat", ["ones2", "hop_1"], ["reps"], axis=0),
        helper.make_node("Unsqueeze", ["ids", "axis2"], ["ids3"]),
        helper.make_node("Tile", ["ids3", "reps"], ["tiled"]),
        helper.make_node("Reshape", ["tiled", "flat_shape"], ["flat"]),
        helper.make_node("Mul", ["flat", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "unit"], ["ones"]),
        helper.make_node("CumSum", ["ones", "axis2"], ["index"]),
        helper.make_node("Mul", ["flat", "per_id"], ["pitch_ids"]),
        helper.make_node("Add", ["pitch_ids", "base"], ["pitch"]),
    ]
    inputs = [
        helper.make_tensor_value_info("input", TensorProto.INT64, [1, "T"]),
        helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
        helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
    ]
    constants = [
        c("one", TensorProto.INT64, [], [1]),
        c("hop", TensorProto.FLOAT, [], [float(HOP)]),
        c("ones2", TensorProto.INT64, [2], [1, 1]),
        c("one_dim", TensorProto.INT64, [1], [1]),
        c("axis2", TensorProto.INT64, [1], [2]),
        c("flat_shape", TensorProto.INT64, [3], [1, 1, -1]),
        c("zero", TensorProto.FLOAT, [], [0.0]),
        c("unit", TensorProto.FLOAT, [], [1.0]),
        c("per_id", TensorProto.FLOAT, [], [0.002]),
        c("base", TensorProto.FLOAT, [], [0.03]),
        c("amplitude", TensorProto.FLOAT, [], [0.4]),
    ]
    pitch = "pitch"
    if with_speakers:
        constants.append(c("per_speaker", TensorProto.FLOAT, [], [0.01]))
        inputs.append(helper.make_tensor_value_info("sid", TensorProto.INT64, [1]))
        nodes += [
            helper.make_node("Cast", ["sid"], ["sid_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["sid_f", "per_speaker"], ["sid_pitch"]),
            helper.make_node("Add", ["pitch", "sid_pitch"], ["pitch_s"]),
        ]
        pitch = "pitch_s"
    nodes += [
        helper.make_node("Mul", ["index", pitch], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "amplitude"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "piper_test_voice",
        inputs,
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "samples"])],
        initializer=constants,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what Piper's exports carry; onnxruntime reads up to its own maximum
    onnx.checker.check_model(model)
    return model


def piper_voice(
    folder: Path,
    name: str = "fr_FR-test-medium",
    *,
    espeak_voice: str = "fr",
    language: str = "fr_FR",
    sample_rate: int = 22050,
    speakers: dict[str, int] | None = None,
    config: dict | None = None,
) -> Path:
    """Write `<name>.onnx` and `<name>.onnx.json` into `folder`; returns the .onnx path."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.onnx"
    onnx.save(_piper_graph(with_speakers=bool(speakers)), model)
    settings = {
        "audio": {"sample_rate": sample_rate, "quality": "medium"},
        "espeak": {"voice": espeak_voice},
        "language": {"code": language},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_id_map": phoneme_id_map(),
        "num_symbols": len(SYMBOLS),
        "num_speakers": len(speakers) if speakers else 1,
        "speaker_id_map": speakers or {},
        "dataset": "test",
    }
    if config is not None:
        settings = config
    (folder / f"{name}.onnx.json").write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")
    return model


KOKORO_FRAME = 600  # samples per duration frame in the test model


# A Kokoro-style vocab over the same symbols (0 is the pad the engine puts at both ends).
def kokoro_vocab() -> dict[str, int]:
    return {symbol: i + 1 for i, symbol in enumerate(SYMBOLS[3:])}


def _kokoro_graph(with_durations: bool, tokens_name: str) -> onnx.ModelProto:
    """tokens [1, N] int64, style [1, 256] float, speed [1] float → audio [samples] (and durations
    [N] int64: 4 frames per token at speed 1). The style's sum shifts the pitch."""
    c = helper.make_tensor
    constants = [
        c("frames_per_token", TensorProto.FLOAT, [], [4.0]),
        c("frame", TensorProto.FLOAT, [], [float(KOKORO_FRAME)]),
        c("zero_i", TensorProto.INT64, [], [0]),
        c("one_dim", TensorProto.INT64, [1], [1]),
        c("ones2", TensorProto.INT64, [2], [1, 1]),
        c("axis2", TensorProto.INT64, [1], [2]),
        c("flat", TensorProto.INT64, [1], [-1]),
        c("zero", TensorProto.FLOAT, [], [0.0]),
        c("unit", TensorProto.FLOAT, [], [1.0]),
        c("per_id", TensorProto.FLOAT, [], [0.002]),
        c("base", TensorProto.FLOAT, [], [0.03]),
        c("per_style", TensorProto.FLOAT, [], [0.0001]),
        c("amplitude", TensorProto.FLOAT, [], [0.4]),
    ]
    nodes = [
        helper.make_node("Cast", [tokens_name], ["ids"], to=TensorProto.FLOAT),
        helper.make_node("Gather", ["speed", "zero_i"], ["speed0"], axis=0),
        helper.make_node("Div", ["frames_per_token", "speed0"], ["frames_f"]),
        helper.make_node("Ceil", ["frames_f"], ["frames_c"]),
        helper.make_node("Mul", ["frames_c", "frame"], ["samples_f"]),
        helper.make_node("Cast", ["samples_f"], ["samples_i"], to=TensorProto.INT64),
        helper.make_node("Reshape", ["samples_i", "one_dim"], ["samples_1"]),
        helper.make_node("Concat", ["ones2", "samples_1"], ["reps"], axis=0),
        helper.make_node("Unsqueeze", ["ids", "axis2"], ["ids3"]),
        helper.make_node("Tile", ["ids3", "reps"], ["tiled"]),
        helper.make_node("Reshape", ["tiled", "flat"], ["wave_ids"]),
        helper.make_node("Mul", ["wave_ids", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "unit"], ["ones"]),
        helper.make_node("CumSum", ["ones", "zero_i"], ["index"]),
        helper.make_node("ReduceSum", ["style"], ["style_sum"], keepdims=0),
        helper.make_node("Mul", ["style_sum", "per_style"], ["style_pitch"]),
        helper.make_node("Mul", ["wave_ids", "per_id"], ["id_pitch"]),
        helper.make_node("Add", ["id_pitch", "base"], ["pitch0"]),
        helper.make_node("Add", ["pitch0", "style_pitch"], ["pitch"]),
        helper.make_node("Mul", ["index", "pitch"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "amplitude"], ["audio"]),
    ]
    outputs = [helper.make_tensor_value_info("audio", TensorProto.FLOAT, ["samples"])]
    if with_durations:
        nodes += [
            helper.make_node("Reshape", [tokens_name, "flat"], ["ids_flat"]),
            helper.make_node("Mul", ["ids_flat", "zero_i"], ["zero_ids"]),
            helper.make_node("Cast", ["frames_c"], ["frames_i"], to=TensorProto.INT64),
            helper.make_node("Add", ["zero_ids", "frames_i"], ["durations"]),
        ]
        outputs.append(helper.make_tensor_value_info("durations", TensorProto.INT64, ["N"]))
    graph = helper.make_graph(
        nodes,
        "kokoro_test_voice",
        [
            helper.make_tensor_value_info(tokens_name, TensorProto.INT64, [1, "N"]),
            helper.make_tensor_value_info("style", TensorProto.FLOAT, [1, 256]),
            helper.make_tensor_value_info("speed", TensorProto.FLOAT, [1]),
        ],
        outputs,
        initializer=constants,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def kokoro_files(
    folder: Path,
    voices: tuple[str, ...] = ("ff_siwis", "af_heart", "bm_george"),
    *,
    with_durations: bool = True,
    tokens_name: str = "tokens",
    vocab: bool = True,
) -> Path:
    """kokoro-v1.0.onnx, voices-v1.0.bin (510 x 1 x 256 per voice) and config.json (the vocab)."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(_kokoro_graph(with_durations, tokens_name), folder / "kokoro-v1.0.onnx")
    rng = np.random.default_rng(0)
    styles = {name: rng.normal(0, 0.1, (510, 1, 256)).astype(np.float32) for name in voices}
    with (folder / "voices-v1.0.bin").open("wb") as out:
        np.savez(out, **styles)
    if vocab:
        (folder / "config.json").write_text(
            json.dumps({"n_token": 178, "vocab": kokoro_vocab()}, ensure_ascii=False)
        )
    return folder / "kokoro-v1.0.onnx"
