// Live page: camera -> downscaled JPEG over a WebSocket -> landmarks + events -> overlay.
"use strict";
const FPS = 15, MAX_IN_FLIGHT = 2;
const sendWidth = () => window.SEND_WIDTH_OVERRIDE || 320;  // pixels wide sent to the server
const $ = (id) => document.getElementById(id);
const stats = { latencies: [], sent: 0, received: 0, firstSent: null, firstReceived: null, serverMs: [], count: 0, exercise: null,
  setId: null, finished: null, reps: [], errors: [] };
window.__repcoach = stats;
let bones = [], ws = null, stream = null, timer = null, inFlight = 0;
let muted = localStorage.getItem("repcoach-muted") === "1";
const grab = document.createElement("canvas");

function showMute() { $("mute").textContent = muted ? "Voice: off" : "Voice: on"; }
showMute();
$("mute").onclick = () => { muted = !muted; localStorage.setItem("repcoach-muted", muted ? "1" : "0");
  showMute(); if (muted && window.speechSynthesis) speechSynthesis.cancel(); };

function say(text) {
  if (muted || !text || !window.speechSynthesis) return;
  speechSynthesis.speak(new SpeechSynthesisUtterance(text));
}

function sendFrame() {
  const v = $("video");
  if (!ws || ws.readyState !== 1 || inFlight >= MAX_IN_FLIGHT || v.readyState < 2) return;
  const w = sendWidth(), h = Math.round(w * v.videoHeight / v.videoWidth);
  grab.width = w; grab.height = h;
  const t = performance.now();
  grab.getContext("2d").drawImage(v, 0, 0, w, h);
  inFlight++;
  grab.toBlob(async (blob) => {
    const jpeg = await blob.arrayBuffer();
    const buf = new Uint8Array(8 + jpeg.byteLength);
    new DataView(buf.buffer).setFloat64(0, t, true);
    buf.set(new Uint8Array(jpeg), 8);
    if (!ws || ws.readyState !== 1) { inFlight--; return; }
    ws.send(buf);
    stats.sent++;
    if (stats.firstSent === null) stats.firstSent = t;
  }, "image/jpeg", 0.7);
}

function onFrame(msg) {
  inFlight = Math.max(0, inFlight - 1);
  const c = $("overlay"), v = $("video");
  c.width = v.videoWidth; c.height = v.videoHeight;
  drawSkeleton(c.getContext("2d"), msg.landmarks, bones, c.width, c.height);
  stats.latencies.push(performance.now() - msg.id);  // capture -> overlay drawn
  stats.received++;
  stats.serverMs.push(msg.server_ms);
  if (stats.firstReceived === null) stats.firstReceived = performance.now();
  stats.count = msg.count; stats.exercise = msg.exercise;
  $("count").textContent = msg.count;
  $("exercise").textContent = msg.exercise || "-";
  for (const e of msg.events) {
    if (e.kind !== "rep") continue;
    stats.reps.push(e);
    $("reps").tBodies[0].appendChild(repRow(e.index, e));
    $("lastcue").textContent = `#${e.index}: score ${fmt(e.score)} — ${e.cue || ""}`;
    say(e.cue);
  }
  if (stats.received % 15 === 0) {
    const l = [...stats.latencies].sort((a, b) => a - b);
    const p = (q) => l[Math.min(l.length - 1, Math.floor(q * l.length))].toFixed(0);
    $("stats").textContent = `latency p50 ${p(0.5)} ms, p95 ${p(0.95)} ms; ${stats.received} frames`;
  }
}

async function start() {
  $("error").textContent = "";
  try { bones = (await getJSON("/api/info")).bones; }
  catch (e) { $("error").textContent = `server not reachable: ${e.message}`; return; }
  $("status").textContent = "loading the models…";
  ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(JSON.stringify({ type: "start", source: "camera" }));
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "started") {  // the camera starts once the server is ready
      stats.setId = msg.set_id;
      startCamera().then(() => { $("status").textContent = `recording set ${msg.set_id}`;
        timer = setInterval(sendFrame, 1000 / FPS); })
        .catch((e) => { $("error").textContent = `cannot start the camera: ${e.message}`; stop(); });
    } else if (msg.type === "frame") onFrame(msg);
    else if (msg.type === "finished") onFinished(msg);
    else if (msg.type === "error") { inFlight = Math.max(0, inFlight - 1); stats.errors.push(msg.message);
      $("error").textContent = msg.message; }
  };
  ws.onclose = () => { if (!stats.finished) $("status").textContent = "connection closed (the reps so far are saved)"; cleanup(); };
  $("start").disabled = true; $("stop").disabled = false;
}

async function startCamera() {
  stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  const v = $("video"); v.srcObject = stream; await v.play();
}

function onFinished(msg) {
  stats.finished = msg;
  const a = msg.analysis;
  $("status").textContent = `set ${msg.set_id} saved`;
  $("summary").textContent = a ? `final: ${a.exercise || "unknown"}, ${a.rep_count} repetitions` : "final: no frames";
  if (a) { $("count").textContent = a.rep_count; $("exercise").textContent = a.exercise || "-"; }
  cleanup();
}

function cleanup() {
  if (timer) clearInterval(timer); timer = null;
  if (stream) stream.getTracks().forEach((t) => t.stop()); stream = null;
  $("start").disabled = false; $("stop").disabled = true;
}

function stop() {
  if (timer) clearInterval(timer); timer = null;
  if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "stop" }));
  $("status").textContent = "finishing…";
}

$("start").onclick = start;
$("stop").onclick = stop;
