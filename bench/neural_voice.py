"""Neural voices on the CPU: time to the first sentence's audio and real-time factor, per engine.

Piper: a voice of Piper's "medium" architecture and size (VITS: 192 hidden channels, 6 text
encoder layers, decoder upsampling 8·8·4 from 256 channels, 22.05 kHz) built with random weights
by coqui-tts's VITS and exported to ONNX with the same inputs and output Piper's voices have, then
run through our Piper engine with one onnxruntime thread and with all cores. Random weights
speak noise, but the work per second of audio is the real voice's. espeak-ng, the default, is
measured on the same French sentences beside it.

Kokoro: not measured. Its model (StyleTTS 2 with an iSTFTNet decoder, 82 M parameters) can only
be built by the `kokoro` package, which downloads its weights when it builds one; no model of its
architecture and size can be made here, so no figure would be the real voice's.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

SENTENCES = [
    "Bonjour à tous, et merci d'être là ce soir.",
    "Le pardon n'efface pas le passé, mais il libère l'avenir.",
    "Aimez-vous les uns les autres, comme je vous ai aimés.",
    "Le 25 décembre, nous fêterons Noël ensemble, à vingt heures.",
    "Heureux les artisans de paix, car ils seront appelés fils de Dieu.",
]


def piper_medium(folder: Path) -> tuple[Path, int]:
    """Write a random-weight Piper-medium-sized voice (model + config) into `folder`."""
    import torch
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    from tests.builder.tts.onnx_voices import phoneme_id_map

    symbols = phoneme_id_map()
    args = VitsArgs(
        num_chars=len(symbols),
        hidden_channels=192,
        hidden_channels_ffn_text_encoder=768,
        num_heads_text_encoder=2,
        num_layers_text_encoder=6,
        kernel_size_text_encoder=3,
        resblock_type_decoder="2",
        resblock_kernel_sizes_decoder=[3, 5, 7],
        resblock_dilation_sizes_decoder=[[1, 2], [2, 6], [3, 12]],
        upsample_rates_decoder=[8, 8, 4],
        upsample_initial_channel_decoder=256,
        upsample_kernel_sizes_decoder=[16, 16, 8],
    )
    torch.manual_seed(0)
    model = Vits(VitsConfig(model_args=args))
    # Coqui sizes the text embedding from its own character set; Piper's is the phoneme map's.
    model.text_encoder.emb = torch.nn.Embedding(len(symbols), args.hidden_channels)
    torch.nn.init.normal_(model.text_encoder.emb.weight, 0.0, args.hidden_channels**-0.5)
    model.eval()
    path = folder / "fr_FR-bench-medium.onnx"
    model.export_onnx(str(path), verbose=False)
    config = {
        "audio": {"sample_rate": 22050, "quality": "medium"},
        "espeak": {"voice": "fr"},
        "language": {"code": "fr_FR"},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_id_map": symbols,
        "num_speakers": 1,
    }
    path.with_name(path.name + ".json").write_text(json.dumps(config, ensure_ascii=False))
    # What runs at inference (the posterior encoder and discriminator are for training only).
    used = ("text_encoder", "duration_predictor", "flow", "waveform_decoder")
    parameters = sum(p.numel() for name, p in model.named_parameters() if name.startswith(used))
    return path, parameters


def measure(engine: Any, voice: Any, rounds: int) -> dict[str, Any]:
    engine.synthesize("Prêt.", voice)  # the model load, once per worker process
    first, synth, audio = [], 0.0, 0.0
    for _ in range(rounds):
        for i, sentence in enumerate(SENTENCES):
            started = time.perf_counter()
            speech = engine.synthesize(sentence, voice)
            took = time.perf_counter() - started
            if i == 0:
                first.append(took)
            synth += took
            audio += speech.duration
    return {
        "first_sentence_ms_median": round(1000 * statistics.median(first), 1),
        "real_time_factor": round(audio / synth, 2),  # seconds of speech per second of work
        "audio_seconds": round(audio, 1),
    }


def run(rounds: int = 3) -> dict[str, Any]:
    from builder.tts import make_engine
    from builder.tts.base import VoiceSettings

    voice = VoiceSettings(language="fr")
    result: dict[str, Any] = {"sentences": len(SENTENCES), "rounds": rounds, "cpus": os.cpu_count()}
    result["espeak"] = measure(make_engine("espeak"), voice, rounds)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        _, parameters = piper_medium(Path(folder))
        result["piper_medium_build_s"] = round(time.perf_counter() - started, 1)
        result["piper_medium_parameters_m"] = round(parameters / 1e6, 2)
        for threads, label in ((1, "piper_medium_one_thread"), (0, "piper_medium_all_cores")):
            engine = make_engine("piper", voices_dir=folder, threads=threads)
            result[label] = measure(engine, voice, rounds)
    result["kokoro"] = "not measured: no Kokoro-sized model can be built offline (see the module's docstring)"
    return result
