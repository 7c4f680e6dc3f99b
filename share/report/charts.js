// coact HTML report: interactive charts on <canvas> (no library): histograms with log-spaced
// bins, scatter plots whose points name their feature on hover and open its page on click,
// and the stability curves, each with its null model drawn dashed beside the data.
"use strict";

const Charts = (() => {
  const palette = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7f8f", "#6e7781"];
  const tooltip = () => document.getElementById("tooltip");

  // Axis scales: linear, log10 (positive values only) and log10(1 + v) for counts with zeros.
  const scales = {
    linear: { f: (v) => v, inv: (t) => t, ok: () => true },
    log: { f: (v) => Math.log10(v), inv: (t) => Math.pow(10, t), ok: (v) => v > 0 },
    log1p: { f: (v) => Math.log10(1 + v), inv: (t) => Math.pow(10, t) - 1, ok: (v) => v >= 0 },
  };

  // Tick values (in data units) for an axis spanning [lo, hi] in scaled units.
  function ticks(kind, lo, hi) {
    if (kind === "linear") {
      const span = hi - lo || 1;
      const step = Math.pow(10, Math.floor(Math.log10(span / 5)));
      const m = span / step > 25 ? 5 : span / step > 10 ? 2 : 1;
      const out = [];
      const s = step * m;
      for (let k = Math.ceil(lo / s - 1e-9); k * s <= hi + 1e-12; k++) out.push(+(k * s).toPrecision(12));
      return out;
    }
    const scale = scales[kind];
    const inside = (v) => scale.ok(v) && scale.f(v) >= lo - 1e-9 && scale.f(v) <= hi + 1e-9;
    const vlo = scale.inv(lo), vhi = scale.inv(hi);
    const e0 = Math.floor(Math.log10(Math.max(vlo, kind === "log1p" ? 1 : 1e-300))), e1 = Math.ceil(Math.log10(Math.max(vhi, 1e-300)));
    let out = kind === "log1p" ? [0] : [];
    for (let e = e0; e <= e1; e++) for (const m of [1, 2, 5]) out.push(+(m * Math.pow(10, e)).toPrecision(6));
    out = out.filter(inside);
    if (out.length > 8) out = out.filter((v) => v === 0 || v.toExponential().startsWith("1"));
    if (out.length >= 3) return out;
    // A narrow span: evenly spaced values instead.
    return ticks("linear", vlo, vhi).filter(inside);
  }
  function label(v) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e4 || a < 1e-2) return v.toExponential(0).replace("e+", "e");
    return String(+v.toPrecision(3));
  }

  // A chart: {title, xlabel, ylabel, x: "linear"|"log"|"log1p", y: ..., series, vlines, note}.
  // series: {type: "points"|"line"|"step", name, color, x, y, dash, ids, sae, size, alpha}
  function chart(parent, spec) {
    const panel = document.createElement("div");
    panel.className = "panel chart";
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", spec.title);
    panel.appendChild(canvas);
    if (spec.note) panel.insertAdjacentHTML("beforeend", `<p class="note">${esc(spec.note)}</p>`);
    parent.appendChild(panel);
    const xs = scales[spec.x || "linear"], ys = scales[spec.y || "linear"];
    let xlo = Infinity, xhi = -Infinity, ylo = Infinity, yhi = -Infinity;
    for (const s of spec.series)
      for (let i = 0; i < s.x.length; i++) {
        if (!xs.ok(s.x[i]) || !ys.ok(s.y[i]) || !Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
        const tx = xs.f(s.x[i]), ty = ys.f(s.y[i]);
        xlo = Math.min(xlo, tx); xhi = Math.max(xhi, tx); ylo = Math.min(ylo, ty); yhi = Math.max(yhi, ty);
      }
    if (spec.xrange) [xlo, xhi] = spec.xrange.map(xs.f);
    if (spec.y0 !== undefined) ylo = Math.min(ylo, ys.f(spec.y0));
    if (!Number.isFinite(xlo)) { xlo = 0; xhi = 1; ylo = 0; yhi = 1; }
    if (xhi === xlo) { xlo -= 0.5; xhi += 0.5; }
    if (yhi === ylo) { ylo -= 0.5; yhi += 0.5; }
    const pad = (yhi - ylo) * 0.05;
    yhi += pad;
    if (spec.y0 === undefined) ylo -= pad;

    let grid = null;
    let geometry = null;
    function draw() {
      const ratio = window.devicePixelRatio || 1;
      const width = canvas.clientWidth || 520, height = canvas.clientHeight || 340;
      canvas.width = width * ratio;
      canvas.height = height * ratio;
      const g = canvas.getContext("2d");
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, width, height);
      const m = { left: 62, right: 14, top: 40, bottom: 44 };
      const px = (t) => m.left + ((t - xlo) / (xhi - xlo)) * (width - m.left - m.right);
      const py = (t) => height - m.bottom - ((t - ylo) / (yhi - ylo)) * (height - m.top - m.bottom);
      geometry = { px, py, m, width, height };
      // Title inside the canvas, shrunk to fit.
      g.fillStyle = "#1d2327";
      let size = 14;
      g.font = `600 ${size}px system-ui, sans-serif`;
      while (g.measureText(spec.title).width > width - 20 && size > 9) g.font = `600 ${--size}px system-ui, sans-serif`;
      g.textAlign = "center";
      g.fillText(spec.title, width / 2, 18);
      // Axes and ticks.
      g.strokeStyle = "#9aa7b1";
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(m.left, m.top - 6); g.lineTo(m.left, height - m.bottom); g.lineTo(width - m.right, height - m.bottom);
      g.stroke();
      g.font = "11px system-ui, sans-serif";
      g.fillStyle = "#5f6b73";
      for (const v of spec.xticks || ticks(spec.x || "linear", xlo, xhi)) {
        const x = px(xs.f(v));
        g.fillRect(x, height - m.bottom, 1, 4);
        g.fillText(label(v), x, height - m.bottom + 15);
      }
      g.textAlign = "right";
      for (const v of ticks(spec.y || "linear", ylo, yhi)) {
        const y = py(ys.f(v));
        g.fillRect(m.left - 4, y, 4, 1);
        g.fillText(label(v), m.left - 6, y + 4);
      }
      g.textAlign = "center";
      g.fillStyle = "#1d2327";
      g.font = "12px system-ui, sans-serif";
      g.fillText(spec.xlabel, m.left + (width - m.left - m.right) / 2, height - 8);
      g.save();
      g.translate(14, m.top + (height - m.top - m.bottom) / 2);
      g.rotate(-Math.PI / 2);
      g.fillText(spec.ylabel, 0, 0);
      g.restore();
      // Data.
      grid = new Map();
      spec.series.forEach((s, k) => {
        g.strokeStyle = g.fillStyle = s.color || palette[k % palette.length];
        g.setLineDash(s.dash ? [6, 4] : s.dot ? [2, 3] : []);
        g.lineWidth = s.width || 1.6;
        if (s.type === "points") {
          g.globalAlpha = s.alpha || 0.55;
          const r = s.size || (s.x.length > 5000 ? 2 : 4);
          for (let i = 0; i < s.x.length; i++) {
            if (!xs.ok(s.x[i]) || !ys.ok(s.y[i])) continue;
            const x = px(xs.f(s.x[i])), y = py(ys.f(s.y[i]));
            g.fillRect(x - r / 2, y - r / 2, r, r);
            const key = Math.floor(x / 6) + "," + Math.floor(y / 6);
            if (!grid.has(key)) grid.set(key, []);
            grid.get(key).push([k, i, x, y]);
          }
          g.globalAlpha = 1;
        } else {
          g.beginPath();
          let started = false;
          for (let i = 0; i < s.x.length; i++) {
            if (!xs.ok(s.x[i]) || !ys.ok(s.y[i]) || !Number.isFinite(s.y[i])) { started = false; continue; }
            const x = px(xs.f(s.x[i])), y = py(ys.f(s.y[i]));
            if (s.type === "step" && started) g.lineTo(x, py(ys.f(s.y[i - 1])));
            if (started) g.lineTo(x, y); else g.moveTo(x, y);
            started = true;
          }
          g.stroke();
        }
      });
      g.setLineDash([4, 3]);
      for (const v of spec.vlines || []) {
        g.strokeStyle = v.color || "#d1242f";
        g.beginPath();
        g.moveTo(px(xs.f(v.x)), m.top); g.lineTo(px(xs.f(v.x)), height - m.bottom);
        g.stroke();
      }
      g.setLineDash([]);
      // Legend, top right inside the plot.
      g.font = "11px system-ui, sans-serif";
      g.textAlign = "left";
      const names = spec.series.filter((s) => s.name).concat((spec.vlines || []).filter((v) => v.name));
      const legendWidth = Math.max(...names.map((s) => g.measureText(s.name).width), 0) + 28;
      names.forEach((s, k) => {
        const y = m.top + 4 + k * 15;
        const x = width - m.right - legendWidth;
        g.fillStyle = "rgba(255,255,255,.85)";
        g.fillRect(x - 4, y - 9, legendWidth + 4, 15);
        g.strokeStyle = g.fillStyle = s.color || palette[spec.series.indexOf(s) % palette.length];
        g.setLineDash(s.dash || !s.type ? [4, 3] : s.dot ? [2, 3] : []);
        g.beginPath(); g.moveTo(x, y - 3); g.lineTo(x + 18, y - 3); g.lineWidth = 2; g.stroke();
        g.setLineDash([]);
        g.fillStyle = "#1d2327";
        g.fillText(s.name, x + 22, y);
      });
    }

    function hover(event) {
      const rect = canvas.getBoundingClientRect();
      const x = event.clientX - rect.left, y = event.clientY - rect.top;
      let text = null, target = null;
      if (grid && grid.size) {
        let best = 64;
        const cx = Math.floor(x / 6), cy = Math.floor(y / 6);
        for (let dx = -1; dx <= 1; dx++)
          for (let dy = -1; dy <= 1; dy++)
            for (const [k, i, qx, qy] of grid.get(cx + dx + "," + (cy + dy)) || []) {
              const d = (qx - x) ** 2 + (qy - y) ** 2;
              if (d < best) { best = d; target = [k, i]; }
            }
        if (target) {
          const s = spec.series[target[0]];
          const f = s.ids ? s.ids[target[1]] : target[1];
          text = `${s.label || s.name}: feature ${f}\n${spec.xlabel}: ${label(s.x[target[1]])}\n${spec.ylabel}: ${label(s.y[target[1]])}`;
          target = { sae: s.sae, feature: f };
        }
      } else if (geometry && x > geometry.m.left) {
        const lines = [];
        for (const s of spec.series) {
          let best = Infinity, at = -1;
          for (let i = 0; i < s.x.length; i++) {
            if (!xs.ok(s.x[i])) continue;
            const d = Math.abs(geometry.px(xs.f(s.x[i])) - x);
            if (d < best) { best = d; at = i; }
          }
          if (at >= 0 && best < 30) lines.push(`${s.name}: ${s.describe ? s.describe(at) : label(s.y[at])}`);
        }
        if (lines.length) text = lines.join("\n");
      }
      const tip = tooltip();
      if (text) {
        tip.textContent = text;
        tip.hidden = false;
        tip.style.left = event.clientX + 14 + "px";
        tip.style.top = event.clientY + 10 + "px";
      } else {
        tip.hidden = true;
      }
      canvas.style.cursor = target ? "pointer" : "crosshair";
      canvas.hoverTarget = target;
    }
    canvas.addEventListener("mousemove", hover);
    canvas.addEventListener("mouseleave", () => { tooltip().hidden = true; });
    canvas.addEventListener("click", () => {
      const t = canvas.hoverTarget;
      if (t && t.sae !== undefined) { tooltip().hidden = true; location.hash = `feature/${t.sae}/${t.feature}`; }
    });
    // Where point i of series k is on screen (client coordinates): for keyboard-free checks of
    // the hover and click, and for tests.
    canvas.pointAt = (k, i) => {
      const s = spec.series[k];
      const rect = canvas.getBoundingClientRect();
      return [rect.left + geometry.px(xs.f(s.x[i])), rect.top + geometry.py(ys.f(s.y[i]))];
    };
    canvas.chartTitle = spec.title;
    // Redrawn whenever its size changes (the grid reflows as charts are added).
    new ResizeObserver(() => draw()).observe(canvas);
    draw();
    return canvas;
  }

  // Counts of `values` in bins [edges[i], edges[i + 1]); the last bin includes its right edge.
  function histogram(values, edges, keep = () => true) {
    const counts = new Float64Array(edges.length - 1);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!keep(v) || !(v >= edges[0]) || v > edges[edges.length - 1]) continue;
      let lo = 0, hi = edges.length - 1;
      while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (v >= edges[mid]) lo = mid; else hi = mid; }
      counts[lo]++;
    }
    return counts;
  }
  function geometricEdges(lo, hi, bins) {
    const out = [];
    for (let i = 0; i <= bins; i++) out.push(lo * Math.pow(hi / lo, i / bins));
    return out;
  }
  // Poisson pmf summed over integer k in [a, b): the degree distribution of an Erdős–Rényi
  // graph with the same n and m (mean degree 2m/n), for large n.
  function poissonMass(lambda, a, b) {
    let total = 0;
    for (let k = Math.ceil(a); k < b; k++) {
      let logp = -lambda + k * Math.log(lambda);
      for (let j = 2; j <= k; j++) logp -= Math.log(j);
      total += Math.exp(logp);
      if (k > lambda && Math.exp(logp) < 1e-12) break;
    }
    return total;
  }

  async function drawAll(root) {
    const study = COACT.study;
    const count = study.saes.length;
    const cols = [];
    for (let s = 0; s < count; s++) cols.push(await COACT.columns(s));
    const seed = (s) => "seed " + study.saes[s].seed;

    // Degree distribution, log-spaced integer bins (each holds at least one degree value;
    // counts divided by the number of values in the bin), against the Erdős–Rényi null.
    {
      const top = Math.max(...cols.map((c) => c.degree.reduce((a, b) => Math.max(a, b), 0)), 1);
      const edges = [...new Set(geometricEdges(1, top + 1, 40).map((e) => Math.ceil(e - 1e-9)))];
      if (edges[edges.length - 1] <= top) edges.push(top + 1);
      const widths = edges.slice(0, -1).map((e, i) => edges[i + 1] - e);
      const mids = edges.slice(0, -1).map((e, i) => Math.sqrt(e * (edges[i + 1] - 1)));
      const series = [];
      const isolated = [];
      cols.forEach((c, s) => {
        const counts = histogram(c.degree, edges.map((e) => e - 0.5));
        series.push({ type: "step", name: seed(s), x: mids, y: Array.from(counts, (v, i) => v / widths[i]), color: palette[s % palette.length],
          describe: (i) => `${counts[i]} features with degree ${edges[i]}${widths[i] > 1 ? "–" + (edges[i + 1] - 1) : ""}` });
        isolated.push(`${seed(s)}: ${c.degree.filter((d) => d === 0).length.toLocaleString("en-US")}`);
      });
      const c0 = cols[0];
      const lambda = (2 * c0.edges) / c0.n;
      const expected = mids.map((_, i) => c0.n * poissonMass(lambda, edges[i], edges[i + 1]));
      series.push({ type: "step", name: `Erdős–Rényi null (${seed(0)}'s n, m)`, x: mids, y: expected.map((v, i) => v / widths[i]), dash: true,
        color: "#6e7781", describe: (i) => `expected ${expected[i].toFixed(1)} features` });
      chart(root, { title: "Degree distribution (log-spaced bins)", xlabel: "degree", ylabel: "features per degree value", x: "log", y: "log1p",
        series, y0: 0, note: "Isolated features (degree 0) are not drawn: " + isolated.join(", ") + "." });
    }
    // Frequency distribution.
    {
      let lo = Infinity, hi = 0;
      for (const c of cols) for (const v of c.frequency) if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      if (hi > 0) {
        if (lo === hi) { lo /= 2; hi *= 2; }
        const edges = geometricEdges(lo, hi, 40);
        const mids = edges.slice(0, -1).map((e, i) => Math.sqrt(e * edges[i + 1]));
        const series = cols.map((c, s) => {
          const counts = histogram(c.frequency, edges, (v) => v > 0);
          return { type: "step", name: seed(s), x: mids, y: Array.from(counts, (v) => (100 * v) / c.n),
            describe: (i) => `${counts[i]} features (${((100 * counts[i]) / c.n).toFixed(2)}%) with frequency in [${label(edges[i])}, ${label(edges[i + 1])})` };
        });
        const never = cols.map((c, s) => `${seed(s)}: ${c.frequency.filter((v) => v <= 0).length.toLocaleString("en-US")}`);
        chart(root, { title: "Feature frequency (log-spaced bins)", xlabel: "frequency (fraction of tokens active)", ylabel: "% of features",
          x: "log", series, y0: 0, note: "Never active (not drawn): " + never.join(", ") + "." });
      }
    }
    // Degree against frequency, one point per feature.
    {
      const series = cols.map((c, s) => ({ type: "points", name: seed(s), label: seed(s), sae: s, x: c.frequency, y: c.degree, alpha: 0.45 }));
      chart(root, { title: "Degree against frequency, one point per feature", xlabel: "frequency", ylabel: "degree", x: "log", y: "log1p", series });
    }
    // Per pair: matched degrees and decoder cosines (with the null's best cosines).
    for (const p of study.pairs) {
      const d = await COACT.pair(p.first, p.second);
      const a = cols[p.first], b = cols[p.second];
      const sharedIds = [], otherIds = [];
      for (let f = 0; f < d.matching.length; f++) (d.cosine[f] >= study.threshold ? sharedIds : otherIds).push(f);
      const pick = (ids) => ({ x: Float64Array.from(ids, (f) => a.degree[f]), y: Float64Array.from(ids, (f) => b.degree[d.matching[f]]), ids: ids });
      const title = `${seed(p.first)} vs ${seed(p.second)}`;
      chart(root, { title: "Matched-pair degrees, " + title, xlabel: `degree in ${seed(p.first)}`, ylabel: `degree of its match in ${seed(p.second)}`,
        x: "log1p", y: "log1p", series: [
          Object.assign({ type: "points", name: "not shared", label: `${seed(p.first)} (not shared)`, sae: p.first, color: "#8c959f" }, pick(otherIds)),
          Object.assign({ type: "points", name: `shared (cos ≥ ${study.threshold})`, label: `${seed(p.first)} (shared)`, sae: p.first, color: "#1f6feb" }, pick(sharedIds)),
        ] });
      const edges = [];
      for (let i = 0; i <= 80; i++) edges.push(-1 + i * 0.025);
      const mids = edges.slice(0, -1).map((e) => e + 0.0125);
      const series = [{ type: "step", name: "matched decoder cosine", x: mids, y: Array.from(histogram(d.cosine, edges)), color: "#1f6feb" }];
      if (d.best) series.push({ type: "step", name: "best cosine in the other SAE", x: mids, y: Array.from(histogram(d.best, edges)), color: "#1a7f37" });
      if (d.null_best) series.push({ type: "step", name: "null: best cosine, rotated other SAE", x: mids, y: Array.from(histogram(d.null_best, edges)), dash: true, color: "#6e7781" });
      const shared = sharedIds.length / Math.max(1, d.matching.length);
      chart(root, { title: `Decoder cosines, ${title}: ${(100 * shared).toFixed(1)}% shared`, xlabel: "decoder cosine", ylabel: `features of ${seed(p.first)}`,
        series, vlines: [{ x: study.threshold, name: `threshold ${study.threshold}`, color: "#d1242f" }], y0: 0, xrange: [-1, 1] });
    }
    // Stability across seeds.
    if (study.stability) {
      const st = study.stability;
      const series = [];
      st.pairs.forEach((p, k) => {
        const color = palette[k % palette.length];
        series.push({ type: "line", name: `${seed(p.first)} vs ${seed(p.second)}`, x: st.thresholds, y: p.shared, color,
          describe: (i) => `${(100 * p.shared[i]).toFixed(1)}% shared at ${st.thresholds[i]}` });
        series.push({ type: "line", name: k ? "" : "best cosine ≥ t (dotted)", x: st.thresholds, y: p.best, color, dot: true,
          describe: (i) => `best cosine ≥ t: ${(100 * p.best[i]).toFixed(1)}%` });
        series.push({ type: "line", name: k ? "" : "null: best cosine, rotated", x: st.thresholds, y: p.null_best, color: "#6e7781", dash: true,
          describe: (i) => `null ≤ ${(100 * p.null_best[i]).toFixed(2)}%` });
      });
      chart(root, { title: "Shared fraction against the cosine threshold", xlabel: "decoder cosine threshold", ylabel: "fraction of features shared",
        series, y0: 0, note: "Solid: matched pairs with decoder cosine ≥ t. Dotted: features whose best cosine in the other SAE is ≥ t. " +
          "Dashed: the same under the null model, each SAE against a random rotation of the other (an upper bound of a matching's)." });
      const xs = Array.from({ length: count }, (_, c) => c);
      const cs = [];
      st.counts.forEach((c, s) => {
        const n = cols[s].n;
        cs.push({ type: "line", name: seed(s), x: xs, y: c.real.map((v) => v / n), color: palette[s % palette.length],
          describe: (i) => `${c.real[i]} features matched in ${i} other seeds` });
        cs.push({ type: "line", name: s ? "" : "best cosine (dotted)", x: xs, y: c.best.map((v) => v / n), color: palette[s % palette.length], dot: true,
          describe: (i) => `${c.best[i]} features with a best cosine ≥ t in ${i} other seeds` });
        cs.push({ type: "line", name: s ? "" : "null: best cosine, rotated", x: xs, y: c.null.map((v) => v / n), color: "#6e7781", dash: true,
          describe: (i) => `null: ${c.null[i]}` });
      });
      chart(root, { title: `Features by the number of other seeds they are matched in (cos ≥ ${st.threshold})`, xlabel: "other seeds matched in",
        ylabel: "fraction of features", series: cs, y0: 0, xticks: xs });
    }
  }

  return { chart, drawAll, histogram, geometricEdges };
})();
