// Live queue. Every message is a full state of what it covers, so a page that reconnects or misses
// one heals itself: "snapshot" (the queue; on connect also the stream) after each queue change,
// "stream" (the on-air card only: now playing, position, health, up next) about once a second.
// Chat text is hostile data: it is only ever assigned with textContent, never as HTML.
// Rows a moderator is working on (editing the text, typing a reject reason) are kept as they are
// while snapshots arrive, so nobody loses what they were typing.
"use strict";

(function () {
  const conn = document.getElementById("conn");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const rowTemplate = document.getElementById("question-row");
  const toast = document.getElementById("toast");
  const preview = document.getElementById("preview");
  const onAirCard = document.querySelector(".on-air");
  // A streamer that stops without saying so (killed) sends nothing more; its Redis state expires
  // after this long, and the page stops showing it as on air after the same silence.
  const staleAfter = 1000 * Number(onAirCard.dataset.staleAfter || 30);
  const STAGES = ["queued", "answer", "video", "join", "ready"];
  const selected = new Set();
  let filter = "";
  let lastSnapshot = null;
  let lastStream = null;
  let streamHeardAt = 0;
  let retryDelay = 500;
  let toastTimer = 0;

  function setState(state, label) {
    conn.dataset.state = state;
    conn.textContent = label;
  }

  function say(message, isError) {
    toast.textContent = message;
    toast.dataset.kind = isError ? "error" : "ok";
    toast.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(() => (toast.hidden = true), isError ? 6000 : 2500);
  }

  function seconds(value) {
    const s = Math.max(0, Math.round(value));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // -- rows
  function renderQuestion(q, list) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.id = q.id;
    row.dataset.status = q.status;
    row.querySelector(".viewer").textContent = q.viewer;
    const time = row.querySelector("time");
    time.dateTime = q.received_at;
    time.textContent = new Date(q.received_at).toLocaleTimeString();
    row.querySelector(".source").textContent = q.source;
    row.querySelector(".status").textContent = q.status;
    row.querySelector(".status").dataset.status = q.status;
    const verdict = row.querySelector(".verdict");
    if (q.prescreen && q.prescreen !== "unscreened") {
      verdict.textContent = q.prescreen;
      verdict.dataset.verdict = q.prescreen;
      verdict.title = q.prescreen_reason || "";
    } else {
      verdict.remove();
    }
    renderHold(row.querySelector(".automod"), q.automod);
    const priority = row.querySelector(".priority");
    priority.textContent = q.priority ? "priority " + Math.round(q.priority * 10) / 10 : "";
    priority.title = q.priority_reason || "";
    row.querySelector(".text").textContent = q.text;
    // A passed prescreen lists every check it passed: that stays in the badge's tooltip.
    const prescreen = q.prescreen === "passed" ? "" : q.prescreen_reason;
    const reasons = [q.status_reason, prescreen, q.priority_reason].filter(Boolean);
    if (q.moderated_by) reasons.push("by " + q.moderated_by);
    if (q.automod && q.automod.resolved_by) reasons.push("AutoMod hold resolved by " + q.automod.resolved_by);
    if (q.automod && q.automod.note) reasons.push(q.automod.note);
    row.querySelector(".reason").textContent = reasons.join(" · ");
    row.querySelector(".clip").textContent = describeClip(q.clip);
    if (list === "building") renderProgress(row, q.clip);
    wireActions(row, q, list);
    return row;
  }

  // Twitch AutoMod held this chat message: its category and level, and where the hold stands.
  function renderHold(badge, hold) {
    if (!hold) return badge.remove();
    badge.hidden = false;
    badge.dataset.hold = hold.state;
    const state = hold.state === "held" ? "held by Twitch AutoMod" : "AutoMod: " + hold.state;
    badge.textContent = state + " · " + hold.label;
    badge.title = [hold.resolved_by && "by " + hold.resolved_by, hold.note].filter(Boolean).join(" · ");
  }

  function renderProgress(row, clip) {
    const box = row.querySelector(".progress");
    box.hidden = false;
    const progress = (clip && clip.progress) || {};
    const stage = !clip || clip.status === "queued" ? "queued" : progress.stage || "answer";
    const reached = STAGES.indexOf(stage);
    box.querySelectorAll(".stages li").forEach((li, i) => {
      li.dataset.state = i < reached ? "done" : i === reached ? "now" : "todo";
    });
    const sentences = progress.sentences || 0;
    const segments = clip ? clip.segments : 0;
    box.querySelector(".segs").textContent =
      sentences + " sentence(s) voiced · " + segments + " segment(s) ready";
    box.querySelector(".answer").textContent = progress.answer || "";
    // A rebuild says why (e.g. "rebuilding after its worker (…) stopped (attempt 2/3)").
    const notes = [];
    if (clip && clip.note) notes.push(clip.note);
    if (clip && clip.on_air) notes.push("on air while building");
    row.querySelector(".clip").textContent = notes.join(" · ");
  }

  function describeClip(clip) {
    if (!clip) return "";
    const warn = clip.warnings && clip.warnings.length ? " · ⚠ " + clip.warnings.join("; ") : "";
    if (clip.status === "ready") {
      const aired = clip.aired ? ", aired " + clip.aired + "×" : "";
      return "clip #" + clip.id + ": " + (clip.duration || 0).toFixed(1) + " s, " + clip.lipsync + aired + warn;
    }
    if (clip.status === "failed") return "build failed: " + clip.error;
    if (clip.status === "cancelled") return clip.error || "build cancelled";
    return "clip " + clip.status + warn;
  }

  function wireActions(row, q, list) {
    const actions = row.querySelector(".actions");
    const keep = new Set();
    const clip = q.clip;
    const pick = row.querySelector(".pick");
    if (list === "pending") {
      keep.add("approve").add("edit").add("reject").add("bump");
      pick.checked = selected.has(q.id);
      pick.addEventListener("change", () => {
        pick.checked ? selected.add(q.id) : selected.delete(q.id);
        updateBulk();
      });
    } else {
      pick.remove();
    }
    if (list === "building" && clip && (clip.status === "queued" || clip.status === "building")) keep.add("cancel");
    if (q.status === "failed") keep.add("retry");
    if (clip && clip.status === "ready") keep.add("reair");
    for (const button of [...actions.children]) {
      const name = button.classList[0];
      if (!keep.has(name)) button.remove();
    }
    if (!actions.children.length) actions.remove();

    on(row, ".approve", () => {
      const editor = row.querySelector("textarea.text");
      const fields = editor ? { text: editor.value } : {};
      post("/questions/" + q.id + "/approve", fields, "Approved #" + q.id).then((ok) => ok && release(row));
    });
    on(row, ".edit", () => startEdit(row, q));
    on(row, ".reject", () => {
      row.dataset.busy = "1";
      const form = row.querySelector(".reject-form");
      form.hidden = false;
      form.querySelector("input").select();
    });
    const form = row.querySelector(".reject-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const reason = form.querySelector("input").value;
      post("/questions/" + q.id + "/reject", { reason: reason }, "Rejected #" + q.id).then((ok) => ok && release(row));
    });
    on(row, ".cancel-reject", () => {
      form.hidden = true;
      release(row);
    });
    on(row, ".bump", () => post("/questions/" + q.id + "/bump", {}, "Bumped #" + q.id));
    on(row, ".cancel", () => {
      if (window.confirm("Cancel building the answer to #" + q.id + "?")) {
        post("/clips/" + clip.id + "/cancel", {}, "Cancelled the build of #" + q.id);
      }
    });
    on(row, ".retry", () => post("/questions/" + q.id + "/retry", {}, "Building #" + q.id + " again"));
    on(row, ".reair", () => post("/clips/" + clip.id + "/reair", {}, "Clip #" + clip.id + " queued to re-air"));
  }

  function on(row, selector, handler) {
    const element = row.querySelector(selector);
    if (element) element.addEventListener("click", handler);
  }

  function startEdit(row, q) {
    if (row.querySelector("textarea.text")) return;
    row.dataset.busy = "1";
    const editor = document.createElement("textarea");
    editor.className = "text";
    editor.value = q.text;
    editor.rows = 3;
    editor.setAttribute("aria-label", "Question text to answer");
    row.querySelector("p.text").replaceWith(editor);
    editor.focus();
    const approve = row.querySelector(".approve");
    if (approve) approve.textContent = "Approve edited";
  }

  function release(row) {
    delete row.dataset.busy;
    if (lastSnapshot) render(lastSnapshot);
  }

  function renderList(id, questions) {
    const list = document.getElementById(id);
    const busy = new Map();
    list.querySelectorAll("li.question[data-busy]").forEach((row) => busy.set(row.dataset.id, row));
    const rows = questions.map((q) => busy.get(String(q.id)) || renderQuestion(q, id));
    list.replaceChildren(...rows);
    const empty = document.getElementById("empty-" + id);
    if (empty) empty.hidden = rows.length > 0;
  }

  function updateBulk() {
    const pendingIds = new Set((lastSnapshot ? lastSnapshot.pending : []).map((q) => q.id));
    for (const id of [...selected]) if (!pendingIds.has(id)) selected.delete(id);
    document.getElementById("bulk").hidden = selected.size === 0;
    document.getElementById("bulk-count").textContent = selected.size + " selected";
  }

  // -- on air: the streamer's state is read defensively, its keys may come and go.
  function applyStream(stream) {
    lastStream = stream && typeof stream === "object" ? stream : null;
    streamHeardAt = Date.now();
    renderStream(lastStream, "streamer not running");
  }

  function renderStream(stream, absent) {
    const text = document.getElementById("on-air");
    const bar = document.getElementById("on-air-bar");
    const health = document.getElementById("health");
    const next = document.getElementById("up-next");
    preview.hidden = !stream || !stream.on_air;
    onAirCard.dispatchEvent(new CustomEvent("stream", { detail: stream }));
    if (!stream) {
      text.textContent = absent;
      bar.style.width = "0";
      health.textContent = "";
      next.replaceChildren();
      return;
    }
    const now = stream.now_playing && typeof stream.now_playing === "object" ? stream.now_playing : null;
    if (now) {
      const elapsed = Number(now.elapsed) || 0;
      const total = elapsed + (Number(now.remaining) || 0);
      text.textContent = "“" + (now.question || "clip #" + now.clip) + "” — " + (now.viewer || "") + " · " +
        seconds(elapsed) + " / " + seconds(total);
      bar.style.width = total > 0 ? (100 * elapsed) / total + "%" : "0";
    } else {
      text.textContent = stream.paused ? "answers paused · idle loop" : stream.on_air ? "idle loop" : "off air";
      bar.style.width = "0";
    }
    const h = stream.health && typeof stream.health === "object" ? stream.health : {};
    const parts = [];
    if (h.fps !== undefined) parts.push(Number(h.fps).toFixed(1) + " / " + h.target_fps + " fps");
    if (h.encoder_speed) parts.push("encoder " + h.encoder_speed + "×");
    parts.push((h.reconnects || 0) + " reconnect(s)");
    if (h.underruns) parts.push(h.underruns + " underrun(s)");
    if (stream.output) parts.push(stream.output);
    health.textContent = parts.join(" · ");
    const queue = Array.isArray(stream.queue) ? stream.queue : [];
    next.replaceChildren(
      ...queue.map((item) => {
        const li = document.createElement("li");
        const again = item.kind === "re-air" ? "↻ " : "";
        li.textContent = again + (item.question || "clip #" + item.clip) + (item.viewer ? " — " + item.viewer : "");
        return li;
      }),
    );
    if (!queue.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "nothing waiting: the idle loop plays";
      next.append(li);
    }
  }

  function render(snapshot) {
    lastSnapshot = snapshot;
    document.getElementById("persona").textContent = snapshot.persona || "none active";
    document.querySelectorAll("[data-mode]").forEach((chip) => {
      chip.setAttribute("aria-pressed", String(chip.dataset.mode === snapshot.mode));
    });
    // Waiting and in-progress questions are all counted; handled ones only over the last
    // counts_window_hours (a year of history is not counted on every snapshot).
    const live = ["pending", "approved", "building", "ready"];
    const shown = (keep) => Object.entries(snapshot.counts)
      .filter(([status, n]) => n > 0 && keep(status))
      .map(([status, n]) => status + " " + n);
    const handled = shown((status) => !live.includes(status));
    const counts = shown((status) => live.includes(status));
    if (handled.length) {
      counts.push("last " + (snapshot.counts_window_hours || 24) + " h: " + handled.join(" · "));
    }
    document.getElementById("counts").textContent = counts.join(" · ");
    document.getElementById("pending-count").textContent = snapshot.counts.pending || 0;
    renderList("pending", snapshot.pending);
    renderList("building", snapshot.in_progress || []);
    renderList("recent", snapshot.recent.filter((q) => !filter || q.status === filter));
    updateBulk();
  }

  // -- actions
  async function post(url, fields, done) {
    const body = new URLSearchParams(fields);
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": csrf },
        body: body,
        credentials: "same-origin",
      });
    } catch (error) {
      say("Not sent: the studio cannot be reached (" + error.message + ")", true);
      return false;
    }
    const detail = await response.json().catch(() => ({ error: response.status + " " + response.statusText }));
    if (!response.ok || !detail.ok) {
      say(detail.error || "The action failed.", true);
      return false;
    }
    if (done) say(done, false);
    return detail;
  }

  document.getElementById("bulk-reject").addEventListener("click", async () => {
    const ids = [...selected];
    const body = new URLSearchParams();
    ids.forEach((id) => body.append("ids", id));
    body.append("reason", document.getElementById("bulk-reason").value);
    const result = await post("/questions/bulk-reject", body, null);
    if (result) {
      const refused = Object.keys(result.refused).length;
      say("Rejected " + result.rejected.length + (refused ? ", " + refused + " had already moved on" : ""), false);
      selected.clear();
      updateBulk();
    }
  });

  document.querySelectorAll("[data-filter]").forEach((chip) => {
    chip.addEventListener("click", () => {
      filter = chip.dataset.filter;
      document.querySelectorAll("[data-filter]").forEach((c) => c.setAttribute("aria-pressed", String(c === chip)));
      if (lastSnapshot) render(lastSnapshot);
    });
  });

  document.querySelectorAll("[data-mode]").forEach((chip) => {
    chip.addEventListener("click", () => {
      if (chip.getAttribute("aria-pressed") === "true") return;
      const auto = chip.dataset.mode === "auto";
      if (auto && !window.confirm("Approve every chat question that passes the prescreen, without a moderator?")) return;
      post("/mode", { mode: chip.dataset.mode }, auto ? "Auto-approve is on" : "Holding questions for approval");
    });
  });

  document.querySelectorAll("[data-stream]").forEach((button) => {
    button.addEventListener("click", () => post("/stream/" + button.dataset.stream, {}, button.textContent + ": sent"));
  });

  // The preview is the streamer's latest frame, refreshed while the page is visible and the live
  // player is not showing the stream instead.
  window.setInterval(() => {
    if (!preview.hidden && !onAirCard.dataset.listening && document.visibilityState === "visible") {
      preview.src = preview.dataset.src + "?t=" + Date.now();
    }
  }, 1000);
  preview.addEventListener("error", () => (preview.hidden = true));
  onAirCard.addEventListener("player-problem", (event) => say(event.detail, true));

  window.setInterval(() => {
    if (lastStream && lastStream.on_air && Date.now() - streamHeardAt > staleAfter) {
      lastStream = null;
      renderStream(null, "no word from the streamer for " + staleAfter / 1000 + " s (stopped, or Redis is down)");
    }
  }, 1000);

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/ws/dashboard/");
    socket.addEventListener("open", () => {
      retryDelay = 500;
      setState("live", "live");
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "snapshot") {
        render(message);
        if ("stream" in message) applyStream(message.stream); // the first one, on connect
      } else if (message.type === "stream") {
        applyStream(message.stream);
      }
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

  connect();
})();
