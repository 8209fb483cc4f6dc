// honeycast viewer: the day's attempts on a world map, slice by slice.
// Every string shown here comes from data (much of it typed by attackers): it is set with
// textContent or as an attribute value, never parsed as markup.
(function () {
  "use strict";
  const data = window.HONEYCAST_DATA;
  const world = window.HONEYCAST_WORLD;
  const style = data.style;
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const play = $("play"), slider = $("slider"), time = $("time"), tooltip = $("tooltip");
  const slices = data.slices;
  const last = slices.length - 1;
  const afterglow = style.afterglow || 0;
  const colors = style.colors;
  const names = data.countries;
  const nameOf = (code) => names[code] || code;
  const format = (n) => Number(n).toLocaleString("en");
  const plural = (n, one, many) => `${format(n)} ${n === 1 ? one : many || one + "s"}`;
  document.body.classList.add("js");

  let index = 0, timer = null, metric = "attempts", period = "slice", hovered = null;

  // ---- values and colours ----
  // Each metric per slice, and over the whole span (the "Whole span" period shows those on the map).
  const metrics = {
    attempts: { values: (s) => s.counts, day: data.totals, what: "failed login attempts per country" },
    addresses: { values: (s) => s.addresses, day: data.attackers, what: "distinct attacking addresses per country" },
    probes: { values: (s) => s.probes, day: data.probes, what: "probes (connections that never tried a password)" },
  };
  for (const m of Object.values(metrics)) {
    m.peak = Math.max(2, ...slices.map((s) => Math.max(0, ...Object.values(m.values(s)))));
    m.dayPeak = Math.max(2, ...Object.values(m.day));
  }
  metrics.attempts.peak = style.peak;

  function perSlice() {
    return data.per_slice;
  }
  function rampColor(value, peak) {
    // The frames' scale: logarithmic from 1 to the peak, through the same 256-step ramp.
    const t = Math.log(Math.max(value, 1)) / Math.log(peak);
    return style.ramp[Math.min(255, Math.max(0, Math.floor(t * 256)))];
  }
  function hex(c) { return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)); }
  function blend(a, b, strength) {
    const x = hex(a), y = hex(b);
    return "#" + x.map((v, i) => Math.round(v + (y[i] - v) * strength).toString(16).padStart(2, "0")).join("");
  }
  // A country hit in slice i keeps fading for `afterglow` slices, as on the frames.
  function colorAt(code, i) {
    const m = metrics[metric];
    if (period === "day") {
      const total = m.day[code] || 0;
      return total > 0 ? rampColor(total, m.dayPeak) : colors.land;
    }
    for (let back = 0; back <= afterglow && i - back >= 0; back++) {
      const value = m.values(slices[i - back])[code] || 0;
      if (value > 0) {
        if (back === 0) return rampColor(value, m.peak);
        return blend(colors.land, colors.glow, 1 - back / (afterglow + 1));  // the glow: grey, not a count
      }
    }
    return colors.land;
  }

  // ---- the map ----
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${world.width} ${world.height}`);
  const ocean = document.createElementNS(SVG, "path");
  ocean.setAttribute("d", world.boundary);
  ocean.setAttribute("fill", colors.ocean);
  ocean.setAttribute("stroke", colors.border);
  const grid = document.createElementNS(SVG, "path");
  grid.setAttribute("d", world.graticule);
  grid.setAttribute("fill", "none");
  grid.setAttribute("stroke", colors.grid);
  grid.setAttribute("stroke-width", "0.5");
  svg.append(ocean, grid);
  const shapes = [];
  const markers = document.createElementNS(SVG, "g");
  for (const country of world.countries) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", country.d);
    path.setAttribute("class", "country");
    path.setAttribute("stroke", colors.border);
    path.setAttribute("fill", colors.land);
    svg.append(path);
    const shape = { code: country.code, nodes: [path] };
    if (country.marker) {
      const dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", country.marker[0]);
      dot.setAttribute("cy", country.marker[1]);
      dot.setAttribute("r", "3");
      dot.setAttribute("class", "marker");
      dot.setAttribute("stroke", "none");
      dot.setAttribute("fill", colors.land);
      markers.append(dot);
      shape.nodes.push(dot);
    }
    if (country.code) {
      for (const node of shape.nodes) {
        node.dataset.code = country.code;
        node.addEventListener("pointerenter", (event) => hover(country.code, event));
        node.addEventListener("pointermove", (event) => place(event));
        node.addEventListener("pointerleave", () => hover(null));
        node.addEventListener("click", (event) => hover(country.code, event));
      }
      if (country.code in data.totals || country.code in data.probes) {
        // Countries with data are a keyboard path through the map: Tab to one, its numbers show.
        const node = shape.nodes[shape.nodes.length - 1];
        node.setAttribute("tabindex", "0");
        node.setAttribute("role", "button");
        node.setAttribute("aria-label", nameOf(country.code));
        node.addEventListener("focus", () => hover(country.code, node));
        node.addEventListener("blur", () => hover(null));
      }
    }
    shapes.push(shape);
  }
  svg.append(markers);
  $("map").append(svg);

  function paintMap() {
    for (const shape of shapes) {
      if (!shape.code) continue;
      const fill = colorAt(shape.code, index);
      for (const node of shape.nodes) node.setAttribute("fill", fill);
      if (shape.nodes.length > 1) {  // a small country's marker: a faint dot, ringed and larger while lit
        const lit = fill !== colors.land;
        shape.nodes[1].setAttribute("stroke", lit ? colors.text : "none");
        shape.nodes[1].setAttribute("r", lit ? "4.5" : "3");
      }
    }
  }

  // ---- tooltip ----
  function hover(code, event) {
    hovered = code;
    for (const shape of shapes) {
      for (const node of shape.nodes) node.classList.toggle("active", code !== null && shape.code === code);
    }
    if (code === null) { tooltip.hidden = true; return; }
    fillTooltip();
    tooltip.hidden = false;
    if (event) place(event);
  }
  function figures(counts, addresses, probes) {
    const rows = [plural(counts, "attempt"), `${plural(addresses, "distinct address", "distinct addresses")}`];
    if (probes) rows.push(plural(probes, "probe"));
    return rows.join(" · ");
  }
  function fillTooltip() {
    if (hovered === null) return;
    const s = slices[index], code = hovered;
    const title = document.createElement("strong");
    title.textContent = nameOf(code);
    const lines = [
      ["This slice", figures(s.counts[code] || 0, s.addresses[code] || 0, s.probes[code] || 0)],
      ["Whole span", figures(data.totals[code] || 0, data.attackers[code] || 0, data.probes[code] || 0)],
    ];
    if (period === "day") lines.reverse();
    tooltip.replaceChildren(title, ...lines.map(([heading, text]) => {
      const line = document.createElement("div");
      const name = document.createElement("span");
      name.className = "heading";
      name.textContent = `${heading}: `;
      line.append(name, text);
      return line;
    }));
    tooltip.dataset.code = code;
  }
  const phone = window.matchMedia("(max-width: 600px)");  // on a phone the full page shows the numbers under the map
  function place(where) {
    if (phone.matches && document.body.classList.contains("full")) { tooltip.style.left = tooltip.style.top = ""; return; }
    const box = $("figure").getBoundingClientRect();
    const point = where instanceof Element
      ? (() => { const r = where.getBoundingClientRect(); return { clientX: r.right, clientY: r.top }; })()
      : where;
    const x = Math.min(point.clientX - box.left + 14, box.width - tooltip.offsetWidth - 4);
    const y = Math.max(4, point.clientY - box.top - tooltip.offsetHeight - 10);
    tooltip.style.left = `${Math.max(4, x)}px`;
    tooltip.style.top = `${y}px`;
  }

  // ---- side panel ----
  const ROWS = 6;  // every list keeps its height, so nothing below it moves while the slices play
  function fillList(list, rows, empty) {
    const top = rows.length ? rows[0][1] : 0;
    const shown = rows.length ? rows.slice(0, ROWS) : [[empty, null]];
    while (shown.length < ROWS) shown.push(["", undefined]);
    list.replaceChildren(...shown.map(([label, count]) => {
      const item = document.createElement("li");
      if (count === undefined) { item.className = "pad"; item.textContent = "\u00a0"; return item; }
      if (count === null) { item.className = "empty"; item.textContent = label; return item; }
      const fill = document.createElement("span");
      fill.className = "fill";
      fill.style.width = `${(100 * count) / top}%`;
      const name = document.createElement("span");
      name.textContent = label;
      name.title = label;
      const value = document.createElement("span");
      value.className = "count";
      value.textContent = format(count);
      item.append(fill, name, value);
      return item;
    }));
  }
  function sorted(counts) {
    return Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  }
  function fillPanel() {
    const s = slices[index];
    const countries = period === "slice" ? metrics[metric].values(s) : metrics[metric].day;
    fillList($("top-countries"), sorted(countries).slice(0, ROWS).map(([code, n]) => [nameOf(code), n]), "none");
    const sources = period === "slice" ? s.top_sources : data.top_sources.map(([address, country, n]) => [`${address} · ${country}`, n]);
    fillList($("top-sources"), sources.slice(0, ROWS), "none");
    const users = (period === "slice" ? s.top_users : data.top_users).map(([user, n]) => [user === "" ? "(empty)" : user, n]);
    fillList($("top-users"), users.slice(0, ROWS), "none");
  }
  for (const [id, value] of [["period-slice", "slice"], ["period-day", "day"]]) {
    $(id).addEventListener("click", () => {
      period = value;
      $("period-slice").setAttribute("aria-pressed", String(value === "slice"));
      $("period-day").setAttribute("aria-pressed", String(value === "day"));
      drawLegend();
      show(index, true);
    });
  }
  if (data.compromises.length) {
    $("compromise-section").hidden = false;
    $("compromises").replaceChildren(...data.compromises.map((c) => {
      const item = document.createElement("li");
      item.textContent = `${c.user} from ${c.address} (${nameOf(c.country)}) at ${c.time.slice(11, 16)}, after ${plural(c.failures, "failure")}`;
      return item;
    }));
  }

  if (data.accepted.length) {
    $("accepted-section").hidden = false;
    $("accepted").replaceChildren(...data.accepted.map((login) => {
      const item = document.createElement("li");
      item.textContent = `${login.user} from ${login.address} (${nameOf(login.country)}) at ${login.time.slice(11, 16)}`;
      return item;
    }));
  }

  // ---- mini bar chart behind the slider ----
  const bars = $("bars");
  function drawBars() {
    const values = slices.map((s) => Object.values(metrics[metric].values(s)).reduce((a, b) => a + b, 0));
    const top = Math.max(1, ...values);
    bars.setAttribute("viewBox", `0 0 ${slices.length} 100`);
    bars.replaceChildren(...values.map((v, i) => {
      const bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("x", i + 0.1);
      bar.setAttribute("width", 0.8);
      bar.setAttribute("y", 100 - (100 * v) / top);
      bar.setAttribute("height", (100 * v) / top);
      return bar;
    }));
  }

  // ---- legend ----
  function drawLegend() {
    const m = metrics[metric];
    $("legend-label").textContent = period === "day" ? `${m.what} over the whole span` : `${m.what} per ${data.per_slice}`;
    $("legend-max").textContent = format(period === "day" ? m.dayPeak : m.peak);
    $("glow-key").hidden = period === "day" || !afterglow;  // the whole span has no afterglow
    const stops = style.ramp.filter((_, i) => i % 32 === 0 || i === 255);
    $("legend-bar").style.background = `linear-gradient(to right, ${stops.join(", ")})`;
  }

  // ---- time ----
  const running = [];
  slices.reduce((sum, slice, i) => (running[i] = sum + slice.attempts), 0);
  const clock = (iso) => iso.slice(11, data.slice_seconds % 60 ? 19 : 16);  // seconds where slices need them
  const zone = (iso) => data.zone_names[iso.slice(19)] || data.timezone;  // CET in winter, CEST in summer
  const label = (i) => {
    const start = slices[i].start;
    const end = i < last ? slices[i + 1].start : data.end;
    return `${start.slice(0, 10)} ${clock(start)}–${clock(end)} ${zone(start)}`;
  };

  function show(i, fromHash) {
    index = Math.max(0, Math.min(last, i));
    const slice = slices[index];
    slider.value = String(index);
    time.textContent = label(index);
    paintMap();
    fillTooltip();
    fillPanel();
    bars.querySelectorAll("rect.current").forEach((bar) => bar.classList.remove("current"));
    if (bars.children[index]) bars.children[index].classList.add("current");
    $("slice-attempts").textContent = format(slice.attempts);
    $("slice-word").textContent = slice.attempts === 1 ? "attempt" : "attempts";
    $("running").textContent = format(running[index]);
    const top = sorted(slice.counts)[0];
    $("top").textContent = top ? `top: ${nameOf(top[0])} (${format(top[1])})` : "no attempts";
    if (timer === null) announce();
    if ($("table-section").open) fillTable();
    if (!fromHash) {
      try { history.replaceState(null, "", `#t=${slice.start.slice(0, 16)}`); } catch (error) { /* a sandboxed frame may refuse */ }
    }
  }

  // ---- for screen readers: said on a step or a pause, never thirty times a second while playing ----
  function announce() {
    const slice = slices[index];
    const top = sorted(slice.counts)[0];
    $("announce").textContent = `${label(index)}: ${plural(slice.attempts, "attempt")}` +
      (top ? `, most from ${nameOf(top[0])}` : "");
  }

  // ---- the slice as a table, for those who cannot use the map ----
  function fillTable() {
    const s = slices[index];
    const codes = sorted(period === "day" ? metrics[metric].day : metrics[metric].values(s)).map(([code]) => code);
    $("table-caption").textContent = period === "day" ? `Whole span, ${data.period}` : label(index);
    $("table-body").replaceChildren(...(codes.length ? codes : [""]).map((code) => {
      const row = document.createElement("tr");
      const cells = code === ""
        ? ["no data", "", "", ""]
        : [nameOf(code), format(s.counts[code] || 0), format(data.totals[code] || 0), format(data.attackers[code] || 0)];
      row.replaceChildren(...cells.map((text, column) => {
        const cell = document.createElement(column === 0 ? "th" : "td");
        if (column === 0) cell.setAttribute("scope", "row");
        cell.textContent = text;
        return cell;
      }));
      return row;
    }));
  }
  $("table-section").addEventListener("toggle", () => { if ($("table-section").open) fillTable(); });

  // ---- playback ----
  function delay() { return 1000 / data.fps / Number($("speed").value); }
  function tick() {
    if (index < last) show(index + 1);
    else if ($("loop").checked) show(0);
    else setPlaying(false);
  }
  function setPlaying(on) {
    if (timer !== null) { clearInterval(timer); timer = null; }
    if (on) {
      if (index === last && !$("loop").checked) show(0);
      timer = setInterval(tick, delay());
    }
    play.textContent = timer === null ? "\u25B6" : "\u275A\u275A";
    play.setAttribute("aria-label", timer === null ? "Play" : "Pause");
    if (timer === null) announce();
  }
  play.addEventListener("click", () => setPlaying(timer === null));
  $("prev").addEventListener("click", () => { setPlaying(false); show(index - 1); });
  $("next").addEventListener("click", () => { setPlaying(false); show(index + 1); });
  $("speed").addEventListener("change", () => { if (timer !== null) setPlaying(true); });
  $("metric").addEventListener("change", () => {
    metric = $("metric").value;
    drawBars(); drawLegend(); show(index);
  });
  slider.max = String(last);
  slider.addEventListener("input", () => { setPlaying(false); show(Number(slider.value)); });
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLSelectElement || (target instanceof HTMLInputElement && target !== slider)) return;
    if (event.key === " " && !(target instanceof HTMLButtonElement)) { event.preventDefault(); setPlaying(timer === null); return; }
    if (target === slider) return; // the range input moves itself with the arrow keys, Home and End
    const moves = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: last };
    if (event.key in moves) { event.preventDefault(); setPlaying(false); show(moves[event.key]); }
  });

  // ---- deep links: #t=2026-11-29T06:20 ----
  function fromHash() {
    const found = /^#t=(\d{4}-\d\d-\d\dT\d\d:\d\d)/.exec(location.hash);
    if (!found) return 0;
    let at = 0;
    slices.forEach((s, i) => { if (s.start.slice(0, 16) <= found[1]) at = i; });
    return at;
  }
  window.addEventListener("hashchange", () => show(fromHash(), true));

  const countriesHit = Object.keys(data.totals).filter((code) => /^[A-Z]{2}$/.test(code)).length;
  $("range").textContent = `${data.period} · ${format(data.attempts)} attempts from ${countriesHit} countries`;
  $("credits").textContent = data.credits.join(" · ");
  $("glow-swatch").style.background = colors.glow;
  $("glow-label").textContent = style.glow_legend;
  for (const [name, text] of [["gif", "animated GIF"], ["webm", "time-lapse (WebM)"]]) {
    if (!data[name]) continue;
    const link = document.createElement("a");
    link.href = data[name];
    link.setAttribute("download", "");
    link.textContent = text;
    $("more-downloads").append(" · ", link);
  }
  drawBars();
  drawLegend();
  show(fromHash(), true);
})();
