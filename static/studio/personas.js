// Personas, avatars and users: confirmations on forms that change what airs, and the playground
// (answer first, then the voice). Server text only ever reaches the page through textContent.
"use strict";

(function () {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  const box = document.getElementById("playground");
  if (!box) return;
  const form = document.getElementById("ask");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const button = form.querySelector("button");
  const state = document.getElementById("state");
  const error = document.getElementById("error");
  const result = document.getElementById("result");
  const answer = document.getElementById("answer");
  const filtered = document.getElementById("filtered");
  const audio = document.getElementById("audio");
  const audioInfo = document.getElementById("audio-info");

  async function post(url, fields) {
    const body = new FormData();
    Object.entries(fields).forEach(([key, value]) => body.append(key, value));
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": csrf },
        credentials: "same-origin",
      });
    } catch (err) {
      throw new Error("The studio did not answer (" + err.message + ").");
    }
    const detail = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(detail.error || "Failed (HTTP " + response.status + ").");
    return detail;
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = form.elements.question.value.trim();
    if (!question) return;
    button.disabled = true;
    showError("");
    result.hidden = true;
    filtered.hidden = true;
    audio.removeAttribute("src");
    audioInfo.textContent = "";
    try {
      state.textContent = "Writing the answer…";
      const written = await post(box.dataset.answerUrl, { question });
      answer.textContent = written.answer;
      result.hidden = false;
      if (written.filtered) {
        filtered.textContent = "The output filter would stop this answer on air: " + written.filtered;
        filtered.hidden = false;
        state.textContent = "Not voiced: the answer would not be aired.";
        return;
      }
      state.textContent = "Voicing it…";
      const voiced = await post(box.dataset.voiceUrl, { text: written.answer });
      audio.src = voiced.audio;
      audioInfo.textContent = voiced.duration.toFixed(1) + " s, " + voiced.sentences + " sentence" +
        (voiced.sentences === 1 ? "" : "s");
      state.textContent = "";
      audio.play().catch(() => {}); // autoplay may be refused; the controls are there
    } catch (err) {
      state.textContent = "";
      showError(err.message);
    } finally {
      button.disabled = false;
    }
  });
})();

// Installed voices: "Audition" speaks a sample sentence in that voice and plays it here.
(function () {
  const list = document.getElementById("voices");
  if (!list) return;
  const csrf = list.querySelector("input[name=csrfmiddlewaretoken]").value;
  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button.audition");
    if (!button) return;
    const row = button.closest("tr");
    const state = row.querySelector(".audition-state");
    const audio = row.querySelector(".audition-audio");
    button.disabled = true;
    state.textContent = "Speaking…";
    try {
      const response = await fetch(button.dataset.url, { method: "POST", headers: { "X-CSRFToken": csrf } });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || response.statusText);
      state.textContent = `${body.duration} s`;
      audio.src = body.audio;
      audio.hidden = false;
    } catch (error) {
      state.textContent = `Failed: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });
})();
