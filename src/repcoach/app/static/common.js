// Shared helpers of the repcoach pages (no external libraries).
"use strict";

async function getJSON(url, opts) {
  const r = await fetch(url, opts);
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

// Draw landmarks [[x, y, (visibility)], ...] (x, y in [0, 1]) and bones on a canvas.
function drawSkeleton(ctx, lms, bones, w, h) {
  ctx.clearRect(0, 0, w, h);
  if (!lms) return;
  ctx.lineWidth = Math.max(2, w / 240);
  ctx.strokeStyle = "#00e676";
  const ok = (p) => p && p[0] >= 0 && p[1] >= 0 && (p.length < 3 || p[2] > 0.3);
  ctx.beginPath();
  for (const [a, b] of bones) {
    const p = lms[a], q = lms[b];
    if (!ok(p) || !ok(q)) continue;
    ctx.moveTo(p[0] * w, p[1] * h);
    ctx.lineTo(q[0] * w, q[1] * h);
  }
  ctx.stroke();
  ctx.fillStyle = "#ff1744";
  for (const p of lms) {
    if (!ok(p)) continue;
    ctx.beginPath();
    ctx.arc(p[0] * w, p[1] * h, ctx.lineWidth * 1.3, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function fmt(x, d = 2) { return x === null || x === undefined ? "-" : Number(x).toFixed(d); }

function repRow(i, r) {
  const tr = document.createElement("tr");
  const cells = [i, fmt(r.start_s), fmt(r.end_s), r.label || "-", fmt(r.score),
    (r.cues || []).map((c) => (typeof c === "string" ? c : c.text)).join("; ")];
  for (const c of cells) { const td = document.createElement("td"); td.textContent = c; tr.appendChild(td); }
  return tr;
}

function when(ts) { return ts ? new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19) : "-"; }
