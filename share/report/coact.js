// coact HTML report: data loading, the study page, the feature explorer and feature pages.
// Runs from file:// with no server: browsers refuse fetch() of local files, so each data file
// is a script that calls COACT.register(key, value) when a <script> tag loads it.
"use strict";

const COACT = (() => {
  const values = {};
  const pending = {};

  function register(key, value) {
    values[key] = value;
    if (pending[key]) pending[key].resolve(value);
  }

  // The value a data file registers, loading <key>.js once.
  function load(key) {
    if (key in values) return Promise.resolve(values[key]);
    if (!pending[key]) {
      let resolve, reject;
      const promise = new Promise((ok, fail) => { resolve = ok; reject = fail; });
      pending[key] = { promise, resolve, reject };
      const script = document.createElement("script");
      script.src = key + ".js";
      script.onerror = () => reject(new Error("cannot load " + key + ".js (is the report folder complete?)"));
      document.head.appendChild(script);
    }
    return pending[key].promise;
  }

  // Typed arrays arrive as base64 of their little-endian bytes.
  function typed(b64, Type) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Type(bytes.buffer);
  }

  const cache = {};
  async function columns(s) {
    const key = "sae" + s + "_columns";
    if (cache[key]) return cache[key];
    const raw = await load(key);
    cache[key] = {
      n: raw.n, edges: raw.edges, community_source: raw.community_source, contexts_note: raw.contexts_note,
      contexts_rows: raw.contexts_rows, tokens: raw.tokens, effects_hook: raw.effects_hook, effects_note: raw.effects_note,
      degree: typed(raw.degree, Int32Array), frequency: typed(raw.frequency, Float32Array),
      strength: typed(raw.strength, Float32Array), community: typed(raw.community, Int32Array),
      stable: raw.stable ? typed(raw.stable, Int8Array) : null,
    };
    return cache[key];
  }
  async function statistics(s) {
    const key = "sae" + s + "_stats";
    if (cache[key]) return cache[key];
    const raw = await load(key);
    cache[key] = { columns: raw.columns, z: typed(raw.z, Float32Array) };
    return cache[key];
  }
  async function pair(i, j) {
    const key = "pair" + i + "_" + j;
    if (cache[key]) return cache[key];
    const raw = await load(key);
    cache[key] = {
      matching: typed(raw.matching, Int32Array), cosine: typed(raw.cosine, Float32Array),
      best: raw.best ? typed(raw.best, Float32Array) : null, null_best: raw.null_best ? typed(raw.null_best, Float32Array) : null,
    };
    return cache[key];
  }
  async function feature(s, f) {
    const block = Math.floor(f / values.study.block);
    const records = await load("sae" + s + "_b" + block);
    return records[f - block * values.study.block];
  }

  return { register, load, typed, columns, statistics, pair, feature, get study() { return values.study; } };
})();

// ---- helpers -----------------------------------------------------------------------------

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return x.toLocaleString("en-US");
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  return x.toFixed(digits);
}
function pct(x) { return x === null || x === undefined || Number.isNaN(x) ? "–" : (100 * x).toFixed(1) + "%"; }
function seedName(s) { return "seed " + COACT.study.saes[s].seed; }
function featureLink(s, f, text) {
  return `<a class="feature" href="#feature/${s}/${f}" data-sae="${s}" data-feature="${f}">${esc(text === undefined ? f : text)}</a>`;
}
function table(header, rows, attrs = "") {
  const head = "<tr>" + header.map((h) => `<th>${h}</th>`).join("") + "</tr>";
  return `<table ${attrs}>${head}${rows.join("")}</table>`;
}
function fail(error) {
  console.error(error);
  document.getElementById("main").insertAdjacentHTML("afterbegin", `<p class="error">${esc(error.message || error)}</p>`);
}
window.addEventListener("error", (e) => fail(e.error || e.message));
window.addEventListener("unhandledrejection", (e) => fail(e.reason));

// A small Markdown subset (report.md's): headings, tables, paragraphs, **bold**, *em*, `code`.
function inline(text) {
  return esc(text).replace(/`([^`]+)`/g, "<code>$1</code>").replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>").replace(/\*([^*]+)\*/g, "<em>$1</em>");
}
function markdown(text) {
  const lines = text.split("\n");
  let html = "";
  let paragraph = [];
  const flush = () => { if (paragraph.length) html += `<p>${inline(paragraph.join(" "))}</p>`; paragraph = []; };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heading = /^(#{1,4}) (.*)$/.exec(line);
    if (heading) { flush(); const level = heading[1].length; html += `<h${level}>${inline(heading[2])}</h${level}>`; continue; }
    if (line.startsWith("|")) {
      flush();
      const cells = (l) => l.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
      const header = cells(line);
      const rows = [];
      i += 2;  // the separator line
      while (i < lines.length && lines[i].startsWith("|")) rows.push(cells(lines[i++]));
      i--;
      html += "<table><tr>" + header.map((h) => `<th>${inline(h)}</th>`).join("") + "</tr>" +
        rows.map((r) => "<tr>" + r.map((c) => `<td>${inline(c)}</td>`).join("") + "</tr>").join("") + "</table>";
      continue;
    }
    if (line.startsWith("![")) continue;  // the PNG plots: the figures page draws them live
    if (line.trim() === "") { flush(); continue; }
    paragraph.push(line);
  }
  flush();
  return html;
}

// ---- pages ---------------------------------------------------------------------------------

const main = () => document.getElementById("main");

function studyPage() {
  const study = COACT.study;
  const text = study.markdown.split("\n## Plots")[0];
  main().innerHTML = markdown(text) +
    `<p class="note">Written by coact ${esc(study.version)} from <code>${esc(study.compare)}</code>. ` +
    `The figures are on the <a href="#figures">Figures</a> page; every feature has a page under <a href="#explore">Features</a>.</p>`;
  document.body.dataset.ready = "study";
}

async function figuresPage() {
  main().innerHTML = `<h1>Figures</h1><p class="note">Hover a point for its feature; click it to open the feature's page.</p><div id="figure-grid" class="grid"></div>`;
  await Charts.drawAll(document.getElementById("figure-grid"));
  document.body.dataset.ready = "figures";
}

async function explorePage(s, query) {
  const study = COACT.study;
  const cols = await COACT.columns(s);
  let html = `<h1>Features of ${esc(seedName(s))}</h1>`;
  html += `<p class="note">${fmt(cols.n)} features, ${fmt(cols.edges)} edges. Search by feature id or by a token the feature fires on ` +
    `(top-activating tokens ${cols.tokens ? "over the first " + fmt(cols.contexts_rows) + " tokens" : "are not available: " + esc(cols.contexts_note)}).</p>`;
  let ids = [];
  let title = "";
  if (query === "") {
    ids = Array.from(cols.degree.keys()).sort((a, b) => cols.frequency[b] - cols.frequency[a] || a - b).slice(0, 50);
    title = "Most frequent features";
  } else if (/^\d+$/.test(query)) {
    const f = Number(query);
    if (f < cols.n) ids = [f];
    title = f < cols.n ? "Feature " + f : `No feature ${f}: ${esc(seedName(s))} has ${fmt(cols.n)}`;
  } else {
    const tokens = await COACT.load("sae" + s + "_search");
    const needle = query.toLowerCase();
    for (let f = 0; f < tokens.length && ids.length < 200; f++)
      if (tokens[f] && tokens[f].toLowerCase().split("\x1f").some((t) => t.includes(needle))) ids.push(f);
    title = ids.length ? `Features whose top tokens contain “${esc(query)}”` : `No feature has “${esc(query)}” among its top tokens`;
  }
  const rows = ids.map((f) => `<tr data-feature="${f}"><td>${featureLink(s, f)}</td><td class="num">${fmt(cols.frequency[f])}</td>` +
    `<td class="num">${fmt(cols.degree[f])}</td><td class="num">${fmt(cols.strength[f])}</td>` +
    (cols.stable ? `<td class="num">${cols.stable[f]} / ${study.saes.length - 1}</td>` : "") + "</tr>");
  html += `<h2>${title}</h2>` + table(["feature", "frequency", "degree", "strength"].concat(cols.stable ? ["matched in other seeds"] : []),
    rows, 'id="search-results"');
  main().innerHTML = html;
  document.body.dataset.ready = "explore";
}

// Nearest nodes of SAE t to feature f of SAE s by standardised statistics (Euclidean).
async function nearestByStatistics(s, f, t, k) {
  const [here, there] = [await COACT.statistics(s), await COACT.statistics(t)];
  const c = here.columns;
  const q = here.z.subarray(f * c, f * c + c);
  const n = there.z.length / c;
  const best = [];
  for (let v = 0; v < n; v++) {
    if (t === s && v === f) continue;
    let d = 0;
    for (let j = 0; j < c; j++) { const x = q[j] - there.z[v * c + j]; d += x * x; }
    if (best.length < k || d < best[best.length - 1][0]) {
      best.push([d, v]);
      best.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      if (best.length > k) best.pop();
    }
  }
  return best.map(([d, v]) => [v, Math.sqrt(d)]);
}

async function featurePage(s, f) {
  const study = COACT.study;
  const cols = await COACT.columns(s);
  if (!(f >= 0 && f < cols.n)) { main().innerHTML = `<p class="error">${esc(seedName(s))} has no feature ${f} (it has ${fmt(cols.n)}).</p>`; return; }
  const r = await COACT.feature(s, f);
  const others = study.saes.length - 1;
  let html = `<div id="feature-page" data-sae="${s}" data-feature="${f}"><h1>Feature ${f} of ${esc(seedName(s))}</h1>`;
  const cell = (label, value) => `<div><b>${label}</b>${value}</div>`;
  html += '<div class="stats">' + [
    cell("frequency", fmt(r.fr)), cell("top-k count", fmt(r.tk)), cell("degree", fmt(r.dg)), cell("strength (mean edge weight)", fmt(r.st, 4)),
    cell("clustering", fmt(r.cl, 4)), cell("mean neighbour degree", fmt(r.mnd, 2)),
    cell(esc(cols.community_source) + " community", `${r.cm} (${fmt(r.cs)} features)`), cell("component", `${r.co} (${fmt(r.cz)} features)`),
    cell("k-core number", fmt(r.kc)), cell("PageRank", fmt(r.pr)), cell("betweenness", fmt(r.bt)),
  ].concat(r.sc === undefined ? [] : [
    cell(`matched at cos ≥ ${study.stability.threshold} in`, `${r.sc} of ${others} other seeds (null ≤ ${r.nsc})`),
    cell("mean matched cosine", fmt(r.mc)),
  ]).join("") + "</div>";

  html += "<h2>Top-activating contexts</h2>";
  if (r.cx && r.cx.length) {
    html += table(["activation", "token row", "context (activating token highlighted)"],
      r.cx.map(([a, row, before, token, after]) => `<tr><td class="num">${fmt(a, 4)}</td><td class="num">${fmt(row)}</td>` +
        `<td class="context">${esc(before)}<mark>${esc(token)}</mark>${esc(after)}</td></tr>`), 'id="contexts"');
    if (!cols.tokens) html += `<p class="note">${esc(cols.contexts_note)}</p>`;
  } else {
    html += `<p class="note" id="contexts">${cols.contexts_note ? esc(cols.contexts_note) : "Never active in the first " + fmt(cols.contexts_rows) + " tokens scanned."}</p>`;
  }
  html += "<h2>Logit effects</h2>";
  if (r.le) {
    const effects = (list) => list.map(([id, text, e]) => `<tr data-token="${id}"><td class="context">${esc(text)}</td><td class="num">${fmt(e, 4)}</td></tr>`);
    html += `<p class="note">Direct effects of its decoder row at ${esc(cols.effects_hook)} through the unembedding.</p><div class="grid" id="logit-effects">` +
      `<div><h3>Promotes</h3>${table(["token", "effect"], effects(r.le[0]), 'id="promoted"')}</div>` +
      `<div><h3>Suppresses</h3>${table(["token", "effect"], effects(r.le[1]), 'id="suppressed"')}</div></div>`;
  } else {
    html += `<p class="note">None: ${esc(cols.effects_note)} (coact report --html --model).</p>`;
  }
  html += '<div class="grid"><div><h2>Strongest neighbours</h2>';
  html += r.nb.length ? table(["feature", "weight", "count", "frequency", "degree", "community"],
    r.nb.map(([v, w, c, fr, dg, cm]) => `<tr data-feature="${v}"><td>${featureLink(s, v)}</td><td class="num">${fmt(w, 4)}</td>` +
      `<td class="num">${fmt(c)}</td><td class="num">${fmt(fr)}</td><td class="num">${fmt(dg)}</td><td class="num">${cm}${cm === r.cm ? " (same)" : ""}</td></tr>`),
    'id="neighbours"') : '<p class="note" id="neighbours">Isolated: no neighbours.</p>';

  html += "</div><div><h2>Neighbourhood and community</h2><div id=\"graph-view\"></div><div id=\"community\"></div></div></div>";

  html += "<h2>Its match in every other seed</h2>";
  html += r.m.length ? table(["seed", "matched feature", "decoder cosine", "shared"],
    r.m.map(([t, v, cos, shared]) => `<tr data-sae="${t}" data-feature="${v}"><td>${esc(seedName(t))}</td><td>${featureLink(t, v)}</td>` +
      `<td class="num">${fmt(cos)}</td><td class="${shared ? "shared" : "notshared"}">${shared ? "shared" : "not shared"}</td></tr>`),
    'id="matches"') : '<p class="note">No other SAE matches it.</p>';

  html += '<h2>Nearest nodes by statistics</h2><p class="note">Standardised log degree, strength, log frequency, clustering, ' +
    'log component size and mean neighbour degree (the Q2 search), Euclidean distance; the matched feature is marked.</p><div id="nearest"></div>';

  html += "</div>";
  main().innerHTML = html;

  // Nearest by statistics in this and every other seed.
  const nearest = document.getElementById("nearest");
  let near = "";
  for (let t = 0; t < study.saes.length; t++) {
    const list = await nearestByStatistics(s, f, t, 10);
    const tc = await COACT.columns(t);
    const match = t === s ? -1 : (r.m.find((m) => m[0] === t) || [t, -1])[1];
    near += `<h3>In ${esc(seedName(t))}${t === s ? " (its own graph)" : ""}</h3>` +
      table(["feature", "distance", "frequency", "degree", "is its match"],
        list.map(([v, d]) => `<tr data-feature="${v}"><td>${featureLink(t, v)}</td><td class="num">${fmt(d)}</td>` +
          `<td class="num">${fmt(tc.frequency[v])}</td><td class="num">${fmt(tc.degree[v])}</td><td>${v === match ? "yes" : t === s ? "–" : "no"}</td></tr>`),
        `class="nearest" data-sae="${t}"`);
  }
  nearest.innerHTML = near;

  // The neighbourhood graph and the community list.
  const communities = await COACT.load("sae" + s + "_communities");
  GraphView.draw(document.getElementById("graph-view"), s, r);
  const entry = communities[String(r.cm)];
  document.getElementById("community").innerHTML = entry
    ? `<p>${esc(cols.community_source)} community ${r.cm}: ${fmt(entry[0])} features; those of highest degree: ` +
      entry[1].map((v) => featureLink(s, v)).join(", ") + (entry[0] > entry[1].length ? ", …" : "") + "</p>"
    : `<p class="note">Alone in its ${esc(cols.community_source)} community.</p>`;
  document.body.dataset.ready = "feature";
}

// ---- routing -------------------------------------------------------------------------------

async function route() {
  document.body.dataset.ready = "";
  const hash = decodeURIComponent(location.hash.replace(/^#/, "")) || "study";
  const parts = hash.split("/");
  document.querySelectorAll("header nav a").forEach((a) =>
    a.classList.toggle("active", a.dataset.page === (parts[0] === "feature" ? "explore" : parts[0])));
  try {
    if (parts[0] === "feature") await featurePage(Number(parts[1]), Number(parts[2]));
    else if (parts[0] === "explore") await explorePage(Number(parts[1] || document.getElementById("search-sae").value || 0), parts.slice(2).join("/"));
    else if (parts[0] === "figures") await figuresPage();
    else studyPage();
  } catch (error) {
    fail(error);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (!COACT.study) { fail(new Error("study.js did not load: open index.html from its folder")); return; }
  const select = document.getElementById("search-sae");
  select.innerHTML = COACT.study.saes.map((x, i) => `<option value="${i}">seed ${x.seed}</option>`).join("");
  document.getElementById("quick-search").addEventListener("submit", (e) => {
    e.preventDefault();
    const s = select.value;
    const q = document.getElementById("search-input").value.trim();
    location.hash = /^\d+$/.test(q) ? `feature/${s}/${q}` : `explore/${s}/${encodeURIComponent(q)}`;
  });
  window.addEventListener("hashchange", route);
  route();
});
