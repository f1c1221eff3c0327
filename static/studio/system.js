// The System page's Test buttons: POST the test, show what it found (as text, never as HTML).
(() => {
  const page = document.getElementById("system");
  if (!page) return;
  const csrf = page.querySelector("input[name=csrfmiddlewaretoken]").value;
  page.addEventListener("click", async (event) => {
    const button = event.target.closest("button.test");
    if (!button) return;
    const row = button.closest("tr");
    const result = row.querySelector(".test-result");
    const audio = row.querySelector(".test-audio");
    button.disabled = true;
    result.hidden = false;
    result.dataset.ok = "";
    result.textContent = "Testing…";
    try {
      const url = page.dataset.testUrl.replace("NAME", encodeURIComponent(button.dataset.test));
      const response = await fetch(url, { method: "POST", headers: { "X-CSRFToken": csrf } });
      const body = await response.json();
      result.dataset.ok = body.ok ? "yes" : "no";
      result.textContent = (body.ok ? "Works: " : "Failed: ") + (body.detail || body.error || response.statusText);
      if (body.audio) {
        audio.src = body.audio;
        audio.hidden = false;
      }
    } catch (error) {
      result.dataset.ok = "no";
      result.textContent = "Failed: " + error;
    } finally {
      button.disabled = false;
    }
  });
})();
