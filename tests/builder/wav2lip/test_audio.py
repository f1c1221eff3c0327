import numpy as np
import pytest

torch = pytest.importorskip("torch")

from builder.lipsync.wav2lip import audio  # noqa: E402


def tone(freq: float, seconds: float, rate: int = 16_000, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def test_a_tone_gives_80_bands_at_80_frames_a_second_within_plus_minus_4():
    mel = audio.melspectrogram(audio.pcm_to_float(tone(1000, 2.0)))
    assert mel.shape == (80, 1 + 32_000 // 200)  # centred STFT, hop 200
    assert mel.min() >= -4 and mel.max() <= 4
    # The tone's energy lands in the band whose centre is nearest 1 kHz.
    centres = audio._mel_to_hz(np.linspace(audio._hz_to_mel(55), audio._hz_to_mel(7600), 82))[1:-1]
    loudest = int(mel[:, 10:-10].mean(dim=1).argmax())
    assert loudest == int(np.abs(centres - 1000).argmin())
    assert mel[:, 10:-10].mean() < -1  # most bands are near the -100 dB floor


def test_silence_is_the_floor():
    mel = audio.melspectrogram(torch.zeros(8000))
    assert torch.all(mel == -4)


def test_the_filterbank_is_librosas_slaney_mel():
    librosa = pytest.importorskip("librosa")
    expected = librosa.filters.mel(sr=16_000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    np.testing.assert_allclose(audio.mel_filterbank(), expected, atol=1e-7)


def test_the_features_match_a_reference_computed_with_librosa_and_scipy():
    librosa = pytest.importorskip("librosa")
    signal = pytest.importorskip("scipy.signal")
    pcm = (tone(300, 1.0) // 2 + tone(2500, 1.0) // 2).astype(np.int16)
    wav = signal.lfilter([1, -0.97], [1], pcm / 32768.0)
    spectrum = np.abs(librosa.stft(wav, n_fft=800, hop_length=200, win_length=800, pad_mode="reflect"))
    db = 20 * np.log10(np.maximum(1e-5, audio.mel_filterbank() @ spectrum)) - 20
    expected = np.clip(8 * (db + 100) / 100 - 4, -4, 4)
    np.testing.assert_allclose(audio.melspectrogram(audio.pcm_to_float(pcm)).numpy(), expected, atol=1e-3)


def test_each_video_frame_reads_16_mel_frames_from_int_i_times_80_over_fps():
    assert audio.window_starts(6, 25).tolist() == [int(i * 80 / 25) for i in range(6)] == [0, 3, 6, 9, 12, 16]
    assert audio.window_starts(4, 30).tolist() == [0, 2, 5, 8]
    mel = torch.arange(80 * 40, dtype=torch.float32).reshape(80, 40)
    windows = audio.mel_windows(mel, 10, 25)
    assert windows.shape == (10, 1, 80, 16)
    assert torch.equal(windows[2, 0], mel[:, 6:22])
    assert torch.equal(windows[9, 0], mel[:, 24:40])  # start 28 would overrun: held at the end


def test_speech_at_any_rate_is_resampled_to_16k_first():
    pcm = tone(440, 1.0, rate=22_050)
    windows = audio.speech_windows(pcm, 22_050, 25, 25, "cpu")
    direct = audio.mel_windows(audio.melspectrogram(audio.pcm_to_float(tone(440, 1.0))), 25, 25)
    assert windows.shape == (25, 1, 80, 16)
    assert (windows - direct)[3:-3].abs().mean() < 0.05  # same spectrum, edges aside


def test_very_short_speech_still_gives_full_windows():
    windows = audio.speech_windows(tone(440, 0.02), 16_000, 1, 25, "cpu")
    assert windows.shape == (1, 1, 80, 16)
