"""Wav2Lip-compatible lip-sync: a face image or loop video made to speak by a generator network.

Our own implementation of the published generator, loading the published checkpoints
(`wav2lip.pth`, `wav2lip_gan.pth`, downloaded by the user) strictly. The modules split the work:

- `model` — the generator network, `checkpoint` — reading the published layout;
- `audio` — Wav2Lip's mel features, in torch (on the GPU when there is one);
- `face`, `avatar` — face boxes and 96x96 crops, prepared once per avatar and cached on disk;
- `paste` — generated faces blended back into full frames on the device;
- `runtime` — device and precision, the generator loaded once per process;
- `engine` — the `LipSyncEngine` that ties them together, `factory` — building it from options.

torch is imported only inside those modules, never here: the builder imports and runs without it.
"""
