// The on-air card's live player: the streamer's HLS preview, with sound, on request.
// hls.js (static/vendor/hls/) is loaded only when a moderator presses play; a browser without
// Media Source Extensions but with native HLS (Safari on iOS) plays the playlist itself.
// The dashboard tells this player about the stream through "stream" events on the card.
"use strict";

(function () {
  const card = document.querySelector(".on-air");
  const video = document.getElementById("live");
  const button = document.getElementById("listen");
  if (!card || !video || !button) return;
  let player = null; // the hls.js instance while playing through it
  let wanted = false; // pressed play and not stopped since
  let loading = null; // the hls.js script, once asked for
  // A streamer that has just started lists its first segment only once it is written (2 s of
  // stream, longer on a busy machine); until then the playlist is missing, so look again a while.
  const PLAYLIST_TRIES = 20;

  function loadHls() {
    if (window.Hls) return Promise.resolve(window.Hls);
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = button.dataset.hls;
        script.addEventListener("load", () => resolve(window.Hls));
        script.addEventListener("error", () => {
          loading = null; // try again on the next press
          reject(new Error("hls.js did not load"));
        });
        document.head.append(script);
      });
    }
    return loading;
  }

  function show(playing) {
    button.setAttribute("aria-pressed", String(playing));
    button.textContent = playing ? "■ Stop live" : "▶ Play live with sound";
    video.hidden = !playing;
    if (playing) card.dataset.listening = "1";
    else delete card.dataset.listening;
  }

  function stop(problem) {
    wanted = false;
    if (player) {
      player.destroy();
      player = null;
    }
    video.pause();
    video.removeAttribute("src");
    video.load(); // lets go of the stream
    show(false);
    if (problem) card.dispatchEvent(new CustomEvent("player-problem", { detail: problem }));
  }

  function pause(ms) {
    return new Promise((resolve) => window.setTimeout(resolve, ms));
  }

  // True once the playlist is there; a reason why not otherwise ("" if stopped meanwhile).
  async function playlistReady(url) {
    for (let i = 0; i < PLAYLIST_TRIES; i++) {
      if (!wanted) return "";
      let response;
      try {
        response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
      } catch (error) {
        return "The studio cannot be reached (" + error.message + ").";
      }
      if (response.ok) return true;
      if (response.status !== 404) return "The live preview is refused (" + response.status + ").";
      await pause(1000);
    }
    return "No live preview: the streamer writes one only with STREAM_OUTPUT=preview or both.";
  }

  async function start() {
    wanted = true;
    show(true);
    button.textContent = "■ Stop live (starting…)";
    const url = video.dataset.src;
    const ready = await playlistReady(url);
    if (ready !== true) {
      if (wanted) stop(ready);
      return;
    }
    let Hls = null;
    try {
      Hls = await loadHls();
    } catch (error) {
      // Native HLS may still play it.
    }
    if (!wanted) return; // stopped while the script loaded
    if (Hls && Hls.isSupported()) {
      player = new Hls({ liveSyncDurationCount: 2 });
      player.on(Hls.Events.ERROR, (event, data) => {
        if (data.fatal) stop("The live preview stopped (" + data.details + ").");
      });
      player.loadSource(url);
      player.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
    } else {
      stop("This browser cannot play the live preview (HLS).");
      return;
    }
    video.muted = false;
    try {
      await video.play();
    } catch (error) {
      // Stopped meanwhile (AbortError) is not a problem; a refused autoplay is.
      if (wanted && error.name !== "AbortError") stop("The live preview did not start: " + error.message);
    }
  }

  button.addEventListener("click", () => (wanted ? stop() : start()));

  // The dashboard's view of the stream: the control only makes sense while it is on air.
  card.addEventListener("stream", (event) => {
    const onAir = Boolean(event.detail && event.detail.on_air);
    button.hidden = !onAir;
    if (!onAir && wanted) stop();
  });
})();
