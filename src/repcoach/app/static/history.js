// History page: profile form, progress plot, every saved set, CSV export.
"use strict";
const $ = (id) => document.getElementById(id);
const NUM = ["age", "height_cm", "weight_kg", "sleep_h"], BOOL = ["smoker", "healthy_eater"];

async function loadProfile() {
  const p = await getJSON("/api/profile"), f = $("profile");
  f.name.value = p.name || "";
  for (const k of NUM) f[k].value = p[k] ?? "";
  for (const k of BOOL) f[k].checked = !!p[k];
}

$("profile").onsubmit = async (ev) => {
  ev.preventDefault();
  const f = $("profile"), body = { name: f.name.value };
  for (const k of NUM) body[k] = f[k].value === "" ? null : Number(f[k].value);
  for (const k of BOOL) body[k] = f[k].checked;
  $("error").textContent = "";
  try { await getJSON("/api/profile", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    $("saved").textContent = "saved"; } catch (e) { $("error").textContent = e.message; }
};

async function loadSets() {
  const body = $("sets").tBodies[0]; body.innerHTML = "";
  for (const s of await getJSON("/api/sets")) {
    const tr = document.createElement("tr");
    const link = document.createElement("a"); link.href = `/upload?set=${s.id}`; link.textContent = s.id;
    const td0 = document.createElement("td"); td0.appendChild(link); tr.appendChild(td0);
    for (const c of [when(s.started_at), s.kind, s.source || "", s.exercise || "-", s.rep_count, fmt(s.mean_score), s.status]) {
      const td = document.createElement("td"); td.textContent = c; tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  $("progress").src = `/api/progress.png?t=${Date.now()}`;
}

loadProfile(); loadSets();
