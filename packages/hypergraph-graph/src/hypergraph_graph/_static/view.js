// Hypergraph graph view: lays out the picture with dagre and draws it as SVG.
// The page embeds the fully expanded picture (items, links between innermost items); this
// script lifts links to the nearest visible item, like hypergraph_graph._picture does for
// Mermaid, so opening or closing a nested graph is a re-layout, not a new file.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("hg-data").textContent);
  const items = new Map(data.items.map((it) => [it.id, it]));
  const expanded = new Set(
    data.items.filter((it) => it.kind === "graph" && it.level < data.depth).map((it) => it.id)
  );
  const NS = "http://www.w3.org/2000/svg";
  const CHAR = 7.3, LINE = 17, PAD = 10;

  function chain(id) {
    const out = [id];
    let parent;
    while ((parent = items.get(out[out.length - 1]).parent) !== null) out.push(parent);
    return out;
  }
  function visible(id) {  // the item standing for id: itself or its outermost closed ancestor
    const c = chain(id);
    for (let k = c.length - 1; k >= 0; k--) if (!expanded.has(c[k])) return c[k];
    return id;
  }
  function shown(it) {
    return chain(it.id).slice(1).every((p) => expanded.has(p));
  }
  function firstLeaf(id) {  // an open graph as an edge end: its first drawn child
    for (const it of data.items) {
      if (it.parent === id) return expanded.has(it.id) ? firstLeaf(it.id) : it.id;
    }
    return id;
  }
  function rows(it) {
    const head = it.kind === "input" ? [] : [it.name];
    if (it.note && it.kind !== "input") head.push(it.note);
    return { head: head, rows: it.lines };
  }
  function el(tag, attrs, parent) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  function layout() {
    const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
    g.setGraph({ rankdir: data.direction, nodesep: 40, ranksep: 44, marginx: 20, marginy: 28 });
    for (const it of data.items) {
      if (!shown(it)) continue;
      if (expanded.has(it.id)) {
        g.setNode(it.id, { cluster: true, item: it });
      } else {
        const r = rows(it);
        const all = r.head.concat(r.rows);
        const width = Math.max(...all.map((s) => s.length), 4) * CHAR + 2 * PAD;
        const rule = r.head.length && r.rows.length ? 6 : 0;
        const extra = it.kind === "gate" ? 2 * PAD : 0;
        g.setNode(it.id, { width: width + extra, height: all.length * LINE + rule + 2 * PAD, item: it });
      }
      if (it.parent !== null) g.setParent(it.id, it.parent);
    }
    const seen = new Set();
    const loops = [];  // self edges: drawn as a loop beside the node, not laid out by dagre
    let n = 0;
    for (const l of data.links) {
      let u = visible(l.source), v = visible(l.target);
      if (u === v && (u !== l.source || v !== l.target)) continue;  // inside one closed graph
      if (expanded.has(u)) u = firstLeaf(u);
      if (expanded.has(v)) v = firstLeaf(v);
      const key = [u, v, l.kind, l.label].join("|");
      if (seen.has(key)) continue;
      seen.add(key);
      if (u === v) { loops.push({ v: u, w: v, link: l }); continue; }
      const w = l.label ? l.label.length * CHAR + 8 : 0;
      g.setEdge(u, v, { link: l, width: w, height: l.label ? LINE : 0, labelpos: "c" }, "e" + n++);
    }
    dagre.layout(g);
    return { g: g, loops: loops };
  }

  function loopPath(box) {
    const x = box.x + box.width / 2, y = box.y;
    return `M${x},${y - 8} C${x + 34},${y - 26} ${x + 34},${y + 26} ${x + 2},${y + 9}`;
  }

  function shape(it, box, parent) {
    const x = box.x - box.width / 2, y = box.y - box.height / 2, w = box.width, h = box.height;
    if (it.kind === "gate") {
      const d = PAD + 2;
      el("polygon", { class: "hg-shape", points: [[x + d, y], [x + w - d, y], [x + w, y + h / 2],
        [x + w - d, y + h], [x + d, y + h], [x, y + h / 2]].map((p) => p.join(",")).join(" ") }, parent);
    } else {
      const r = it.kind === "input" || it.kind === "end" ? h / 2 : 5;
      el("rect", { class: "hg-shape", x: x, y: y, width: w, height: h, rx: r, ry: r }, parent);
      if (it.kind === "graph") {
        el("rect", { class: "hg-inner", x: x + 3, y: y + 3, width: w - 6, height: h - 6, rx: 3 }, parent);
      }
    }
    const r = rows(it);
    let ty = y + PAD + LINE - 4;
    r.head.forEach((line, k) => {
      const t = el("text", { x: box.x, y: ty, class: k === 0 ? "hg-name" : "hg-note" }, parent);
      t.textContent = line;
      ty += LINE;
    });
    if (r.head.length && r.rows.length) {
      el("line", { class: "hg-rule", x1: x + 6, x2: x + w - 6, y1: ty - LINE + 7, y2: ty - LINE + 7 }, parent);
      ty += 6;
    }
    r.rows.forEach((line) => {
      const t = el("text", { x: box.x, y: ty, class: "hg-row" }, parent);
      t.textContent = line;
      ty += LINE;
    });
  }

  function render() {
    const laid = layout();
    const g = laid.g;
    const finite = (v) => (Number.isFinite(v) ? v : 0);  // an empty graph has no extent
    const width = finite(g.graph().width) + 40, height = finite(g.graph().height);  // + loops
    const svg = el("svg", { width: width, height: height, viewBox: `0 0 ${width} ${height}` });
    const defs = el("defs", {}, svg);
    for (const kind of ["data", "control", "ordering"]) {
      const m = el("marker", { id: "hg-arrow-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", class: "hg-arrow-" + kind }, m);
    }
    const clusters = el("g", { class: "hg-clusters" }, svg);
    const edges = el("g", { class: "hg-edges" }, svg);
    const nodes = el("g", { class: "hg-nodes" }, svg);
    g.nodes().forEach((id) => {
      const box = g.node(id);
      const it = box.item;
      if (!box.cluster) {
        const group = el("g", { class: `hg-node hg-${it.kind}`, "data-id": id }, nodes);
        if (it.conditional) group.classList.add("hg-conditional");
        shape(it, box, group);
        if (it.kind === "graph") {
          group.addEventListener("click", () => { expanded.add(id); draw(); });
          el("title", {}, group).textContent = "click to open " + it.name;
        }
        return;
      }
      const group = el("g", { class: "hg-cluster", "data-id": id }, clusters);
      el("rect", { x: box.x - box.width / 2, y: box.y - box.height / 2 - 18, width: box.width,
        height: box.height + 18, rx: 8 }, group);
      const title = el("text", { x: box.x - box.width / 2 + 10, y: box.y - box.height / 2 - 4,
        class: "hg-cluster-title" }, group);
      title.textContent = "\u25BE " + it.name + (it.note ? ", " + it.note : "");
      title.addEventListener("click", () => { expanded.delete(id); draw(); });
      el("title", {}, title).textContent = "click to close " + it.name;
    });
    const drawn = g.edges().map((e) => {
      const edge = g.edge(e);
      const d = edge.points.map((p, k) => (k ? "L" : "M") + p.x.toFixed(1) + "," + p.y.toFixed(1)).join(" ");
      return { v: e.v, w: e.w, link: edge.link, d: d, edge: edge };
    });
    laid.loops.forEach((e) => drawn.push({ v: e.v, w: e.w, link: e.link, d: loopPath(g.node(e.v)), edge: null }));
    drawn.forEach((e) => {
      const l = e.link, d = e.d, edge = e.edge;
      const cls = `hg-edge hg-${l.kind}` + (l.cyclic ? " hg-cyclic" : "");
      el("path", { d: d, class: cls, "data-source": e.v, "data-target": e.w,
        "marker-end": `url(#hg-arrow-${l.kind})` }, edges);
      if (l.label && edge) {
        const t = el("text", { x: edge.x, y: edge.y + 4, class: "hg-edge-label" }, edges);
        t.textContent = l.label;
      }
    });
    return svg;
  }

  function draw() {
    const root = document.getElementById("hg-canvas");
    root.replaceChildren(render());
    document.body.dataset.expanded = [...expanded].sort().join(",");
  }
  document.getElementById("hg-open-all").addEventListener("click", () => {
    data.items.forEach((it) => { if (it.kind === "graph") expanded.add(it.id); });
    draw();
  });
  document.getElementById("hg-close-all").addEventListener("click", () => { expanded.clear(); draw(); });
  draw();
})();
