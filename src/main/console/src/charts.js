// Line charts as inline SVG (no library): one chart per metric group of the monitoring report's series. Every
// chart has a title and a text summary for screen readers; colours come from the stylesheet's classes.
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function fmt(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  if (unit === 'ms') return v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
  if (unit === '%') return `${(v * 100).toFixed(1)}%`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/**
 * lineChart({title, unit, points: [{at}], lines: [{key, label, cls}]}) -> a <figure> with an SVG chart.
 * Points without a value for a line leave a gap.
 */
export function lineChart({ title, unit = '', points, lines, width = 520, height = 180 }) {
  const pad = { l: 56, r: 12, t: 12, b: 28 };
  const w = width - pad.l - pad.r;
  const hh = height - pad.t - pad.b;
  const times = points.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  let max = 0;
  for (const p of points) for (const l of lines) if (typeof p[l.key] === 'number') max = Math.max(max, p[l.key]);
  if (max === 0) max = 1;
  const x = (t) => pad.l + (t1 === t0 ? w / 2 : ((t - t0) / (t1 - t0)) * w);
  const y = (v) => pad.t + hh - (v / max) * hh;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart', 'aria-label': title });
  chart.append(svg('title', {}, title));
  for (const f of [0, 0.5, 1]) {
    chart.append(svg('line', { x1: pad.l, x2: pad.l + w, y1: y(max * f), y2: y(max * f), class: 'grid' }));
    chart.append(svg('text', { x: pad.l - 6, y: y(max * f) + 4, class: 'axis', 'text-anchor': 'end' }, fmt(max * f, unit)));
  }
  if (points.length) {
    const label = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    chart.append(svg('text', { x: pad.l, y: height - 8, class: 'axis' }, label(t0)));
    chart.append(svg('text', { x: pad.l + w, y: height - 8, class: 'axis', 'text-anchor': 'end' }, label(t1)));
  }
  const legend = document.createElement('ul');
  legend.className = 'legend';
  for (const l of lines) {
    let d = '';
    let pen = false;
    points.forEach((p, i) => {
      const v = p[l.key];
      if (typeof v !== 'number') { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(times[i]).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    if (d) chart.append(svg('path', { d, class: `line ${l.cls}` }));
    const last = [...points].reverse().find((p) => typeof p[l.key] === 'number');
    const li = document.createElement('li');
    li.className = l.cls;
    li.textContent = `${l.label}: ${last ? fmt(last[l.key], unit) : '-'}`;
    legend.append(li);
  }
  const fig = document.createElement('figure');
  fig.className = 'chart-box';
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  fig.append(cap, chart, legend);
  return fig;
}

export { fmt };
