"""MuseTalk 1.5 lip-sync for image / loop-video avatars (no Django): `files` (the model files as a
user downloads them), `features` (whisper-tiny audio features as MuseTalk 1.5 computes them),
`avatar` (the once-per-avatar preparation: boxes, 256x256 crops, VAE latents), `engine` (UNet at
timestep 0, VAE decode, paste on the device), `factory`. `builder/video_lipsync.py` chooses it.

Licences: MuseTalk's code is MIT; its authors publish the 1.5 weights for any purpose, commercial
use included. The sd-vae-ft-mse VAE is MIT (Stability AI); whisper-tiny is MIT (OpenAI).
"""
