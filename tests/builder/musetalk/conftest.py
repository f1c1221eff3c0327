from __future__ import annotations

import pytest
import torch

pytest.importorskip("diffusers")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from tests.builder.musetalk.tiny_models import write_models

    return write_models(tmp_path_factory.mktemp("musetalk"))


@pytest.fixture(scope="module")
def loaded(models):
    from builder.lipsync.musetalk.files import MuseTalkFiles, load_unet, load_vae, load_whisper

    files = MuseTalkFiles.find(models)
    encoder, extractor = load_whisper(files, "cpu", torch.float32)
    return (
        files,
        load_unet(files, "cpu", torch.float32),
        load_vae(files, "cpu", torch.float32),
        encoder,
        extractor,
    )
