// Clip library: re-air without leaving the page. Everything else is plain links and forms.
"use strict";

(function () {
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const toast = document.getElementById("toast");

  function say(message, isError) {
    toast.textContent = message;
    toast.dataset.kind = isError ? "error" : "ok";
    toast.hidden = false;
    window.setTimeout(() => (toast.hidden = true), isError ? 6000 : 2500);
  }

  document.querySelectorAll("button.reair").forEach((button) => {
    button.addEventListener("click", async () => {
      const response = await fetch(button.dataset.url, {
        method: "POST",
        headers: { "X-CSRFToken": csrf },
        credentials: "same-origin",
      }).catch((error) => ({ ok: false, json: async () => ({ error: error.message }) }));
      const detail = await response.json().catch(() => ({}));
      if (response.ok && detail.ok) say("Queued to re-air: it plays after the answers waiting now.", false);
      else say(detail.error || "Re-air failed.", true);
    });
  });

  // One clip plays at a time.
  document.querySelectorAll("video").forEach((video) => {
    video.addEventListener("play", () => {
      document.querySelectorAll("video").forEach((other) => other !== video && other.pause());
    });
  });
})();
