// The SMS simulator: sign a text on the server, post it to the gateway as Twilio would, show the
// TwiML replies, the bot's reading of the text, and the outbox (polled) as the phone receives it.
(function () {
  const cfg = {csrf: document.body.dataset.csrf, base: document.body.dataset.base};
  const $ = (id) => document.getElementById(id);
  const thread = $("thread"), seenOutbox = new Set();
  let lastSid = null, lastBody = null, firstPoll = true;

  function bubble(text, cls) {
    const li = document.createElement("li");
    li.className = cls;
    li.textContent = text;
    thread.appendChild(li);
    thread.scrollTop = thread.scrollHeight;
  }

  async function postJSON(path, data) {
    const r = await fetch(cfg.base + path, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": cfg.csrf},
      body: JSON.stringify(data)});
    const out = await r.json();
    if (!r.ok) throw new Error((out.error && out.error.message) || r.statusText);
    return out;
  }

  async function send(body, media, replaySid) {
    const from = $("from").value.trim();
    const signed = await postJSON("/sign", {from, body, media, message_sid: replaySid || null});
    lastSid = signed.params.MessageSid; lastBody = body; $("retry").disabled = false;
    const r = await fetch("/sms/inbound", {method: "POST", body: new URLSearchParams(signed.params),
      headers: {"X-Twilio-Signature": signed.signature}});
    if (!r.ok) { bubble(`Gateway answered HTTP ${r.status}`, "note"); return; }
    const xml = new DOMParser().parseFromString(await r.text(), "application/xml");
    const messages = [...xml.getElementsByTagName("Message")];
    if (!messages.length) bubble(replaySid ? "(retry: no second answer)" : "(no reply)", "note");
    messages.forEach((m) => bubble(m.textContent, "in"));
    if (body && !replaySid) reading(from, body);
  }

  async function reading(from, body) {
    const out = await postJSON("/reading", {from, body});
    $("sender").textContent = out.sender;
    const li = document.createElement("li");
    li.textContent = out.available
      ? `“${body}” → intent ${out.intent} (${out.confidence}) · need: ${out.need || "—"} · place: ${out.place || "—"} · language: ${out.language || "—"}`
      : `“${body}” → Rasa is not answering /model/parse`;
    $("readings").prepend(li);
  }

  async function pollOutbox() {
    try {
      const r = await fetch(`${cfg.base}/outbox?from=${encodeURIComponent($("from").value.trim())}`);
      const out = await r.json();
      if (out.sender) $("sender").textContent = out.sender;
      const list = $("outbox");
      list.innerHTML = "";
      out.items.slice().reverse().forEach((m) => {
        const li = document.createElement("li");
        li.innerHTML = `<span class="tag">${m.kind}</span><span class="tag status-${m.status}">${m.status}</span>` +
          `<span class="tag">to ${m.to}</span><span class="tag">${m.created_at}</span>`;
        const body = document.createElement("div");
        body.className = "body"; body.textContent = m.body;
        li.appendChild(body); list.appendChild(li);
        if (!seenOutbox.has(m.id)) {
          seenOutbox.add(m.id);
          if (m.mine && !firstPoll && m.status !== "blocked") bubble(m.body, "in later");
        }
      });
      firstPoll = false;
    } catch (e) { /* the server restarted; try again on the next tick */ }
  }

  $("compose").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = $("body").value, media = $("media").checked;
    bubble(media ? `📎 ${body}` : body || "(empty)", "out");
    $("body").value = ""; $("media").checked = false;
    try { await send(body, media); } catch (e) { bubble(e.message, "note"); }
  });
  $("retry").addEventListener("click", () => send(lastBody, false, lastSid).catch((e) => bubble(e.message, "note")));
  $("followups").addEventListener("click", async () => {
    try {
      const c = await postJSON("/follow-ups", {from: $("from").value.trim()});
      bubble(`follow-ups: ${c.sent} sent, ${c.quiet_hours} held for quiet hours, ${c.cancelled} cancelled`, "note");
      pollOutbox();
    } catch (e) { bubble(e.message, "note"); }
  });
  $("from").addEventListener("change", () => { seenOutbox.clear(); firstPoll = true; thread.innerHTML = ""; pollOutbox(); });
  pollOutbox();
  setInterval(pollOutbox, 2000);
})();
