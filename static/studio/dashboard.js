// Live queue. Every message is a full snapshot, so a page that reconnects heals itself.
// Chat text is hostile data: it is only ever assigned with textContent, never as HTML.
"use strict";

(function () {
  const conn = document.getElementById("conn");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const rowTemplate = document.getElementById("question-row");
  let retryDelay = 500;

  function setState(state, label) {
    conn.dataset.state = state;
    conn.textContent = label;
  }

  function renderQuestion(q, withActions) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.id = q.id;
    row.dataset.status = q.status;
    row.querySelector(".viewer").textContent = q.viewer;
    const time = row.querySelector("time");
    time.dateTime = q.received_at;
    time.textContent = new Date(q.received_at).toLocaleTimeString();
    row.querySelector(".status").textContent = q.status;
    row.querySelector(".priority").textContent = q.priority ? "priority " + q.priority : "";
    row.querySelector(".text").textContent = q.text;
    const reason = q.status_reason || q.prescreen_reason;
    row.querySelector(".reason").textContent = reason ? reason : "";
    row.querySelector(".clip").textContent = describeClip(q.clip);
    const actions = row.querySelector(".actions");
    const reair = actions.querySelector(".reair");
    if (q.clip && q.clip.status === "ready") {
      reair.addEventListener("click", () => post("/clips/" + q.clip.id + "/reair", {}));
    } else {
      reair.remove();
    }
    if (!withActions) {
      actions.querySelector(".approve").remove();
      actions.querySelector(".reject").remove();
      if (!actions.children.length) actions.remove();
    } else {
      actions.querySelector(".approve").addEventListener("click", () => act(q.id, "approve", {}));
      actions.querySelector(".reject").addEventListener("click", () => {
        const why = window.prompt("Why reject this question?", "off topic");
        if (why !== null) act(q.id, "reject", { reason: why });
      });
    }
    return row;
  }

  function describeClip(clip) {
    if (!clip) return "";
    if (clip.status === "ready") {
      const aired = clip.aired ? ", aired " + clip.aired + "×" : "";
      return "clip ready: " + clip.duration.toFixed(1) + " s, " + clip.lipsync + aired;
    }
    if (clip.status === "building") return "building: " + clip.segments + " segment(s) ready";
    if (clip.status === "failed") return "build failed: " + clip.error;
    return "clip " + clip.status;
  }

  function describeStream(stream) {
    if (!stream) return "streamer not running";
    const health = stream.health || {};
    const fps = health.fps ? " · " + Number(health.fps).toFixed(1) + " fps" : "";
    const now = stream.now_playing;
    if (now && now.question) return "“" + now.question + "” (" + (now.viewer || "") + ")" + fps;
    return (stream.paused ? "answers paused · idle" : "idle loop") + fps;
  }

  function renderList(id, questions, withActions) {
    const list = document.getElementById(id);
    list.replaceChildren(...questions.map((q) => renderQuestion(q, withActions)));
  }

  function render(snapshot) {
    document.getElementById("persona").textContent = snapshot.persona || "none active";
    const counts = Object.entries(snapshot.counts)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => status + " " + n);
    document.getElementById("counts").textContent = counts.join(" · ");
    document.getElementById("on-air").textContent = describeStream(snapshot.stream);
    renderList("pending", snapshot.pending, true);
    renderList("recent", snapshot.recent, false);
    document.getElementById("empty-pending").hidden = snapshot.pending.length > 0;
  }

  function act(id, action, fields) {
    return post("/questions/" + id + "/" + action, fields);
  }

  async function post(url, fields) {
    const body = new URLSearchParams(fields);
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf },
      body: body,
      credentials: "same-origin",
    });
    if (!response.ok) {
      const detail = await response.json().catch(() => ({ error: response.statusText }));
      window.alert(detail.error || "The action failed.");
    }
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/ws/dashboard/");
    socket.addEventListener("open", () => {
      retryDelay = 500;
      setState("live", "live");
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "snapshot") render(message);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4403) {
        setState("down", "not allowed — log in again");
        return;
      }
      setState("down", "disconnected — reconnecting");
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    });
  }

  document.querySelectorAll("[data-stream]").forEach((button) => {
    button.addEventListener("click", () => post("/stream/" + button.dataset.stream, {}));
  });

  connect();
})();
