// Upload page: send a video / pose CSV, then show playback with overlay, reps and the plot.
"use strict";
const $ = (id) => document.getElementById(id);
let bones = [], poses = null, raf = null;

function nearest(t) {  // index of the pose frame closest to time t
  const ts = poses.t; let lo = 0, hi = ts.length - 1;
  while (lo < hi) { const m = (lo + hi) >> 1; if (ts[m] < t) lo = m + 1; else hi = m; }
  return lo > 0 && Math.abs(ts[lo - 1] - t) < Math.abs(ts[lo] - t) ? lo - 1 : lo;
}

function drawAt(t) {
  const c = $("overlay"), v = $("video");
  if (poses.video) { c.width = v.videoWidth || 640; c.height = v.videoHeight || 360; }
  else { c.width = 640; c.height = 480; }
  drawSkeleton(c.getContext("2d"), poses.xy[nearest(t)], bones, c.width, c.height);
}

function loop() { drawAt($("video").currentTime); raf = requestAnimationFrame(loop); }

async function show(set) {
  $("result").hidden = false;
  const a = set.analysis || { exercise: set.exercise, rep_count: set.rep_count, repetitions: set.reps };
  $("title").textContent = `set ${set.id}: ${set.source || ""}`;
  $("exercise").textContent = a.exercise || "unknown";
  $("count").textContent = a.rep_count;
  const body = $("reps").tBodies[0]; body.innerHTML = "";
  a.repetitions.forEach((r, i) => body.appendChild(repRow(i + 1, r)));
  $("plot").src = `/api/sets/${set.id}/plot.png`;
  poses = null;
  try { poses = await getJSON(`/api/sets/${set.id}/poses`); } catch (e) { return; }
  const v = $("video");
  if (raf) cancelAnimationFrame(raf);
  if (poses.video) {
    v.hidden = false; $("play").hidden = true; v.src = `/api/sets/${set.id}/video`;
    v.onloadeddata = () => drawAt(0);
    raf = requestAnimationFrame(loop);
  } else {  // pose CSV: animate the skeleton alone
    v.hidden = true; $("play").hidden = false; $("stage").style.width = "640px"; $("stage").style.height = "480px";
    drawAt(0);
    $("play").onclick = () => {
      const t0 = performance.now(), end = poses.t[poses.t.length - 1];
      const step = () => { const t = (performance.now() - t0) / 1000; drawAt(t); if (t < end) requestAnimationFrame(step); };
      requestAnimationFrame(step);
    };
  }
}

$("form").onsubmit = async (ev) => {
  ev.preventDefault();
  $("error").textContent = "";
  const f = $("file").files[0];
  if (!f) { $("error").textContent = "choose a file first"; return; }
  const data = new FormData(); data.append("file", f, f.name);
  $("status").textContent = "analysing (pose extraction takes about as long as the video)…";
  $("send").disabled = true;
  try { await show(await getJSON("/api/upload", { method: "POST", body: data })); $("status").textContent = "done"; }
  catch (e) { $("error").textContent = e.message; $("status").textContent = ""; }
  finally { $("send").disabled = false; }
};

(async () => {
  bones = (await getJSON("/api/info")).bones;
  const id = new URLSearchParams(location.search).get("set");
  if (id) { try { await show(await getJSON(`/api/sets/${encodeURIComponent(id)}`)); } catch (e) { $("error").textContent = e.message; } }
})();
