// The AlignGuard playground page: plain JavaScript, no build step.
// It asks /api/setup once for the controls, then /api/draw once per panel, all panels with the same
// prompt and seed, so they differ only in the model. (No string templates here: Maven filters this
// folder's files.)
"use strict";

const client = Math.random().toString(36).slice(2);   // this page, for the server's cancelling
let round = 0;                                         // which press of Draw the answers belong to
let aborter = null;                                    // aborts the previous round's requests
let setup = null;
const panels = [];                                     // {model, el}

const $ = (id) => document.getElementById(id);

async function start() {
  setup = await (await fetch("/api/setup")).json();
  $("seed").value = setup.defaults.seed;
  $("steps").value = setup.defaults.steps;
  $("steps").max = setup.limits.steps;
  $("guidance").value = setup.defaults.guidance;
  $("gamma").max = setup.limits.gamma;                  // the server's limit, before the value (a range clamps to its max)
  $("gamma").value = setup.defaults.gamma;
  $("gamma-value").textContent = setup.defaults.gamma;
  for (const e of setup.examples) {
    const o = document.createElement("option");
    o.value = e.prompt;
    o.textContent = e.kind + ": " + e.prompt;
    $("examples").appendChild(o);
  }
  $("prompt").value = setup.examples.length ? setup.examples[0].prompt : "";
  for (const m of setup.merges) {
    const o = document.createElement("option");
    o.value = m;
    o.textContent = m;
    $("merge").appendChild(o);
  }
  buildExperts();
  const others = Object.keys(setup.models).filter((m) => m !== "base" && m !== "mix");
  const firstBaseline = others.includes("esd-u") ? "esd-u" : (others.find((m) => setup.models[m].startsWith("Baseline")) || others[1] || "base");
  addPanel("base", false);
  addPanel("mix", false);
  addPanel(others.includes("co-merge") ? "co-merge" : (others[0] || "base"), true);
  addPanel(firstBaseline, true);
  wire();
  suggest();
  draw();
}

function buildExperts() {
  for (const e of setup.experts) {
    const row = document.createElement("div");
    row.className = "expert";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = "expert-" + e.name;
    box.checked = true;
    box.dataset.expert = e.name;
    const label = document.createElement("label");
    label.htmlFor = box.id;
    label.textContent = e.category;
    const slider = document.createElement("input");
    slider.type = "range";
    slider.id = "scale-" + e.name;
    slider.min = -setup.limits.scale;
    slider.max = setup.limits.scale;
    slider.step = 0.1;
    slider.value = 1;
    const out = document.createElement("output");
    out.textContent = "1.0";
    slider.addEventListener("input", () => { out.textContent = Number(slider.value).toFixed(1); });
    row.append(box, label, slider, out);
    $("expert-list").appendChild(row);
  }
}

function addPanel(model, pickable) {
  const el = $("panel-template").content.firstElementChild.cloneNode(true);
  const index = panels.length;
  el.id = "panel-" + index;
  el.querySelector(".picture").id = "image-" + index;
  const panel = { model: model, el: el };
  const picker = el.querySelector(".model-picker");
  if (pickable) {
    for (const [name, label] of Object.entries(setup.models)) {
      if (name === "mix") continue;
      const o = document.createElement("option");
      o.value = name;
      o.textContent = label;
      picker.appendChild(o);
    }
    picker.value = model;
    picker.hidden = false;
    picker.id = "model-" + index;
    picker.addEventListener("change", () => { panel.model = picker.value; draw(); });
  } else {
    el.querySelector(".title").textContent = setup.models[model];
  }
  panels.push(panel);
  $("panels").appendChild(el);
}

let redrawTimer = null;
function redrawSoon() {   // sliders and switches redraw on their own, after a short pause
  clearTimeout(redrawTimer);
  redrawTimer = setTimeout(draw, 250);
}

function wire() {
  $("controls").addEventListener("submit", (ev) => { ev.preventDefault(); draw(); });
  $("examples").addEventListener("change", () => {
    if ($("examples").value) { $("prompt").value = $("examples").value; draw(); }
    $("examples").value = "";
  });
  $("dice").addEventListener("click", () => { $("seed").value = Math.floor(Math.random() * 100000); draw(); });
  $("prompt").addEventListener("input", suggest);
  $("gamma").addEventListener("input", () => { $("gamma-value").textContent = $("gamma").value; });
  for (const id of ["merge", "gamma"]) $(id).addEventListener("change", redrawSoon);
  $("merge").addEventListener("change", showGamma);
  for (const el of document.querySelectorAll("#expert-list input")) el.addEventListener("change", redrawSoon);
  showGamma();
}

function showGamma() {
  $("gamma-box").hidden = $("merge").value !== "co-merge";
}

// Suggestions: the example prompts, and the world's words that complete the word being typed.
function suggest() {
  const text = $("prompt").value;
  const cut = text.lastIndexOf(" ") + 1;
  const head = text.slice(0, cut), part = text.slice(cut).toLowerCase();
  const list = $("suggestions");
  list.replaceChildren();
  const words = part ? setup.vocabulary.filter((w) => w.startsWith(part) && w !== part).slice(0, 40) : [];
  for (const w of words) {
    const o = document.createElement("option");
    o.value = head + w + " ";
    list.appendChild(o);
  }
  for (const e of setup.examples) {
    const o = document.createElement("option");
    o.value = e.prompt;
    list.appendChild(o);
  }
}

function experts() {
  const out = {};
  for (const box of document.querySelectorAll("#expert-list input[type=checkbox]")) {
    if (box.checked) out[box.dataset.expert] = Number($("scale-" + box.dataset.expert).value);
  }
  return out;
}

function showMessage(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

// One round: every panel asks for its picture; a new round aborts the old one's requests, and the
// server drops the old round's queued work (it sees the higher round of this client).
function draw() {
  round += 1;
  if (aborter) aborter.abort();
  aborter = new AbortController();
  const mine = round, signal = aborter.signal;
  showMessage("");
  $("status").textContent = "drawing…";
  const base = {
    client: client, round: mine, prompt: $("prompt").value,
    seed: Number($("seed").value), steps: Number($("steps").value), guidance: Number($("guidance").value),
    experts: experts(), merge: $("merge").value, gamma: Number($("gamma").value)
  };
  const started = performance.now();
  const jobs = panels.map((p) => {
    p.el.classList.add("busy");
    const body = Object.assign({}, base, { model: p.model });
    return ask(body, signal, mine, 0)
      .then((answer) => { if (answer && mine === round) render(p, answer, body.prompt); })
      .catch((err) => { if (err.name !== "AbortError" && mine === round) showMessage("the server did not answer: " + err.message); })
      .finally(() => { if (mine === round) p.el.classList.remove("busy"); });
  });
  Promise.all(jobs).then(() => {
    if (mine === round) $("status").textContent = "done in " + ((performance.now() - started) / 1000).toFixed(2) + " s";
  });
}

// One panel's drawing, or null. A 503 with Retry-After (the queue is full, or Co-Merge is still
// measuring its experts just after the server started) is asked again after that many seconds,
// a few times, as long as this round is still the page's latest.
const MAX_TRIES = 60;
async function ask(body, signal, mine, tries) {
  const res = await fetch("/api/draw", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: signal });
  const answer = await res.json();
  if (mine !== round) return null;
  if (res.ok) return answer;
  const wait = Number(res.headers.get("Retry-After"));
  if (res.status === 503 && wait > 0 && tries < MAX_TRIES) {
    $("status").textContent = answer.error + " (asking again in " + wait + " s)";
    await new Promise((done) => setTimeout(done, wait * 1000));
    return mine === round ? ask(body, signal, mine, tries + 1) : null;
  }
  if (res.status !== 409) showMessage(answer.error || ("error " + res.status));
  return null;
}

function render(p, d, prompt) {
  const el = p.el;
  const img = el.querySelector(".picture");
  img.src = d.image;
  img.alt = "drawn by " + d.model;
  img.dataset.prompt = prompt;
  img.dataset.model = d.model;
  const s = d.seen;
  const mark = s.mark === "none" ? "no mark"
    : "<span class='" + (s.unsafe ? "unsafe" : "safe") + "'>" + esc(s.mark) + " mark" + (s.unsafe ? " (unsafe, " + esc(s.category) + ")" : " (safe)") + "</span>";
  el.querySelector(".seen").innerHTML = d.refused ? "<span class='unsafe'>refused by the blocklist (drawn black)</span>"
    : "Classifier sees: " + esc(s.colour) + " " + esc(s.shape) + ", " + esc(s.position) + ", on " + esc(s.background) + "; " + mark;
  el.querySelector(".notes").textContent = d.notes.join("; ");
  const strip = el.querySelector(".strip");
  strip.replaceChildren(...d.strip.map((src, i) => {
    const im = document.createElement("img");
    im.src = src;
    im.title = "t = " + d.timesteps[i];
    return im;
  }));
  const att = el.querySelector(".attention");
  att.replaceChildren(...d.attention.map((t) => {
    const f = document.createElement("figure");
    if (!t.known) f.className = "unknown";
    const im = document.createElement("img");
    im.src = t.image;
    const c = document.createElement("figcaption");
    c.textContent = t.token;
    f.append(im, c);
    return f;
  }));
  const box = el.querySelector(".winners-box");
  box.hidden = d.layers.length === 0;
  const table = el.querySelector(".winners");
  table.replaceChildren(...d.layers.map((l) => {
    const tr = document.createElement("tr");
    const share = l.shares[l.winner];
    tr.innerHTML = "<td>" + esc(l.layer) + "</td><td>" + esc(l.winner) + "</td><td><span class='bar' style='width:" + Math.round(share * 80) + "px'></span> "
      + Math.round(share * 100) + "%</td>";
    return tr;
  }));
  el.querySelector(".timing").textContent = d.sampling + ", " + d.millis + " ms on the server";
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c]));
}

// Leaving the page: the server drops whatever it still has queued or running for it.
window.addEventListener("pagehide", () => {
  navigator.sendBeacon("/api/cancel", JSON.stringify({ client: client, round: round }));
});

start().catch((err) => showMessage("the page could not start: " + err.message));
