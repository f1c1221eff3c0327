"""MuseTalk 1.5 lip-sync (issue 14), being built: so far the model files as a user downloads them
(`files`) and the audio features MuseTalk 1.5 computes (`features`). The avatar preparation, the
engine, its choice for image / video avatars and the GPU check come next; nothing selects this
engine yet.

Licences: MuseTalk's code is MIT; its authors publish the 1.5 weights for any purpose, commercial
use included. The sd-vae-ft-mse VAE is MIT (Stability AI); whisper-tiny is MIT (OpenAI).
"""
