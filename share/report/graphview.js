// coact HTML report: a feature's neighbourhood as a small force-directed graph (SVG, no
// library): the feature, its strongest neighbours and the edges among them, coloured by
// community; click a node to open its page.
"use strict";

const GraphView = (() => {
  const svgNS = "http://www.w3.org/2000/svg";
  // A stable colour per community id.
  const colour = (id) => `hsl(${(id * 137.508) % 360}, 62%, 52%)`;

  // Positions by a spring embedder (deterministic start on a circle, fixed iterations).
  function layout(count, edges, width, height) {
    const pos = [];
    for (let i = 0; i < count; i++) {
      const a = (2 * Math.PI * i) / Math.max(1, count - 1);
      pos.push(i === 0 ? [width / 2, height / 2] : [width / 2 + 0.35 * width * Math.cos(a), height / 2 + 0.35 * height * Math.sin(a)]);
    }
    const ideal = Math.min(width, height) / 3.2;
    for (let step = 0; step < 300; step++) {
      const force = pos.map(() => [0, 0]);
      for (let i = 0; i < count; i++)
        for (let j = i + 1; j < count; j++) {
          const dx = pos[i][0] - pos[j][0], dy = pos[i][1] - pos[j][1];
          const d2 = Math.max(dx * dx + dy * dy, 1), d = Math.sqrt(d2);
          const push = (ideal * ideal) / d2;
          force[i][0] += (dx / d) * push; force[i][1] += (dy / d) * push;
          force[j][0] -= (dx / d) * push; force[j][1] -= (dy / d) * push;
        }
      for (const [a, b] of edges) {
        const dx = pos[a][0] - pos[b][0], dy = pos[a][1] - pos[b][1];
        const d = Math.max(Math.sqrt(dx * dx + dy * dy), 1);
        const pull = (d - ideal) / ideal;
        force[a][0] -= (dx / d) * pull * 8; force[a][1] -= (dy / d) * pull * 8;
        force[b][0] += (dx / d) * pull * 8; force[b][1] += (dy / d) * pull * 8;
      }
      const cool = 1 - step / 300;
      for (let i = 1; i < count; i++) {
        pos[i][0] = Math.min(width - 30, Math.max(30, pos[i][0] + Math.max(-10, Math.min(10, force[i][0])) * cool));
        pos[i][1] = Math.min(height - 20, Math.max(20, pos[i][1] + Math.max(-10, Math.min(10, force[i][1])) * cool));
      }
    }
    return pos;
  }

  function element(name, attrs, parent) {
    const e = document.createElementNS(svgNS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  function draw(container, s, record) {
    if (!record.nb.length) { container.innerHTML = '<p class="note">No neighbours to draw.</p>'; return; }
    const width = Math.max(container.clientWidth || 0, 480), height = 420;
    const nodes = [[record.f, record.cm, 0]].concat(record.nb.map(([v, w, , , , cm]) => [v, cm, w]));
    // Edges: the feature to each neighbour, and among the neighbours.
    const edges = record.nb.map((_, k) => [0, k + 1]).concat(record.eg);
    const pos = layout(nodes.length, edges, width, height);
    const svg = element("svg", { class: "graph", viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": `feature ${record.f}, its ${record.nb.length} strongest neighbours and the edges among them` });
    const maxWeight = Math.max(...record.nb.map((n) => n[1]), 1e-12);
    edges.forEach(([a, b]) => {
      const weight = a === 0 ? record.nb[b - 1][1] / maxWeight : 0.35;
      element("line", { x1: pos[a][0], y1: pos[a][1], x2: pos[b][0], y2: pos[b][1], "stroke-width": 0.8 + 3 * Math.max(0, weight),
        "stroke-opacity": a === 0 ? 0.8 : 0.45 }, svg);
    });
    nodes.forEach(([v, cm], i) => {
      const link = element("a", { href: `#feature/${s}/${v}` }, svg);
      element("circle", { cx: pos[i][0], cy: pos[i][1], r: i === 0 ? 13 : 9, fill: colour(cm), class: i === 0 ? "centre" : "",
        "data-feature": v }, link);
      const text = element("text", { x: pos[i][0] + 12, y: pos[i][1] - 10 }, link);
      text.textContent = String(v);
      const title = element("title", {}, link);
      title.textContent = `feature ${v} (community ${cm})`;
    });
    container.innerHTML = "";
    container.appendChild(svg);
    const communities = [...new Set(nodes.map((n) => n[1]))];
    container.insertAdjacentHTML("beforeend", '<p class="legend note">' + communities.map((cm) =>
      `<span><i class="swatch" style="background:${colour(cm)}"></i>community ${cm}${cm === record.cm ? " (its own)" : ""}</span>`).join("") +
      " Edge width: co-activation weight to the feature.</p>");
  }

  return { draw };
})();
