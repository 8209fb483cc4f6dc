// honeycast viewer: the day's attempts on a world map, slice by slice.
// Every string shown here comes from data (much of it typed by attackers): it is set with
// textContent or as an attribute value, never parsed as markup.
(function () {
  "use strict";
  const latest = window.HONEYCAST_DATA;  // what the last build read
  const archive = window.HONEYCAST_HISTORY || null;  // every day the site has kept: data/history/
  const world = window.HONEYCAST_WORLD;
  const style = latest.style;
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const play = $("play"), slider = $("slider"), time = $("time"), tooltip = $("tooltip");
  const afterglow = style.afterglow || 0;
  const colors = style.colors;
  const names = Object.assign({}, (archive && archive.countries) || {}, latest.countries);
  const nameOf = (code) => names[code] || code;
  // A network as "AS4134 · Chinanet"; an address bucket (private, unknown) by its name, as the countries name it.
  const networkName = (key) => /^AS\d+$/.test(key)
    ? (data.network_names && data.network_names[key] ? `${key} · ${data.network_names[key]}` : key)
    : nameOf(key);
  const format = (n) => Number(n).toLocaleString("en");
  const plural = (n, one, many) => `${format(n)} ${n === 1 ? one : many || one + "s"}`;
  const sum = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
  // One way of writing a day across the page, the frames and the build's output: "Sun 29 Nov 2026".
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  function dayText(day) {  // YYYY-MM-DD, a calendar day (no zone asked)
    const d = new Date(`${day.slice(0, 10)}T12:00:00Z`);
    return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  }
  // Characters that show nothing or turn the text around them (controls, direction marks and overrides, zero
  // widths, tags) are shown as their code: a user name "\u202etoor" never reads as "root".
  const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\u{e0000}-\u{e0fff}]/gu;
  const visible = (text) => String(text).replace(HIDDEN, (c) => {
    const code = c.codePointAt(0).toString(16);
    return code.length > 4 ? `\\u{${code}}` : `\\u${code.padStart(4, "0")}`;
  });
  // Text typed by attackers (user names, host names) in a direction of its own, its hidden characters shown.
  function isolated(text) {
    const part = document.createElement("bdi");
    part.textContent = visible(text);
    return part;
  }
  document.body.classList.add("js");

  let index = 0, timer = null, metric = "attempts", period = "slice", hovered = null, host = "";
  let data, slices, last, metrics, running;

  // ---- values and colours ----
  // Each metric per slice, and over the whole span (the "Whole span" period shows those on the map); with a
  // host chosen, that host's counts (distinct addresses are kept for all hosts together only).
  function hostPart(s, kind) {
    const part = (s.hosts || {})[host];
    return part ? part[kind] : {};
  }
  function totalOf(values) {
    const total = {};
    for (const s of slices) added(total, values(s));
    return total;
  }
  function measure() {
    metrics = {
      attempts: { values: host ? (s) => hostPart(s, "counts") : (s) => s.counts, what: "failed login attempts per country" },
      addresses: { values: (s) => s.addresses, what: "distinct attacking addresses per country" },
      probes: { values: host ? (s) => hostPart(s, "probes") : (s) => s.probes, what: "probes (connections that never tried a password)" },
    };
    metrics.attempts.day = host ? totalOf(metrics.attempts.values) : data.totals;
    metrics.probes.day = host ? totalOf(metrics.probes.values) : data.probes;
    metrics.addresses.day = data.attackers || {};
    for (const m of Object.values(metrics)) {
      m.peak = Math.max(2, ...slices.map((s) => Math.max(0, ...Object.values(m.values(s)))));
      m.dayPeak = Math.max(2, ...Object.values(m.day));
    }
    if (data === latest && !host) metrics.attempts.peak = style.peak;
    running = [];
    slices.reduce((total, slice, i) => (running[i] = total + sum(metrics.attempts.values(slice))), 0);
  }

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
    if (country.marker && country.at) {  // moved apart from a neighbour's marker: a leader from where it belongs
      const leader = document.createElementNS(SVG, "line");
      for (const [name, value] of [["x1", country.at[0]], ["y1", country.at[1]], ["x2", country.marker[0]],
        ["y2", country.marker[1]], ["stroke", colors.border], ["stroke-width", "0.6"], ["class", "leader"]]) {
        leader.setAttribute(name, value);
      }
      markers.append(leader);
    }
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
      const node = shape.nodes[shape.nodes.length - 1];
      node.addEventListener("focus", () => hover(country.code, node));
      node.addEventListener("blur", () => hover(null));
    }
    shapes.push(shape);
  }
  svg.append(markers);
  $("map").append(svg);

  // Countries with data are a keyboard path through the map: Tab to one, its numbers show.
  function keyboardPath() {
    for (const shape of shapes) {
      if (!shape.code) continue;
      const node = shape.nodes[shape.nodes.length - 1];
      if (shape.code in data.totals || shape.code in data.probes) {
        node.setAttribute("tabindex", "0");
        node.setAttribute("role", "button");
        node.setAttribute("aria-label", nameOf(shape.code));
      } else {
        node.removeAttribute("tabindex");
        node.removeAttribute("role");
        node.removeAttribute("aria-label");
      }
    }
  }

  // A lit marker's ring: the text colour or the background, whichever stands out more from its fill (as on the
  // frames), so a small country lit like the large one around it stays told apart.
  function luminance(colour) {
    const [r, g, b] = hex(colour).map((v) => v / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function contrast(a, b) {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (light + 0.05) / (dark + 0.05);
  }
  const ringFor = (fill) => (contrast(fill, colors.text) >= contrast(fill, colors.background) ? colors.text : colors.background);
  function paintMap() {
    for (const shape of shapes) {
      if (!shape.code) continue;
      const fill = colorAt(shape.code, index);
      for (const node of shape.nodes) node.setAttribute("fill", fill);
      if (shape.nodes.length > 1) {  // a small country's marker: a faint dot, ringed and larger while lit
        const lit = fill !== colors.land;
        shape.nodes[1].setAttribute("stroke", lit ? ringFor(fill) : "none");
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
    const rows = [plural(counts, "attempt")];
    if (addresses !== null) rows.push(`${plural(addresses, "distinct address", "distinct addresses")}`);
    if (probes) rows.push(plural(probes, "probe"));
    return rows.join(" · ");
  }
  function fillTooltip() {
    if (hovered === null) return;
    const s = slices[index], code = hovered;
    const title = document.createElement("strong");
    title.textContent = nameOf(code);
    const spanAddresses = data.attackers ? data.attackers[code] || 0 : null;  // not kept for days added up
    const lines = [
      ["This slice", figures(metrics.attempts.values(s)[code] || 0, host ? null : s.addresses[code] || 0,
        metrics.probes.values(s)[code] || 0)],
      ["Whole span", figures(metrics.attempts.day[code] || 0, host ? null : spanAddresses,
        metrics.probes.day[code] || 0)],
    ];
    if (period === "day") lines.reverse();
    const banned = data.defences ? data.defences.banned_by_country[code] || 0 : 0;
    if (banned) lines.push(["Banned", plural(banned, "address", "addresses")]);
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
      name.append(isolated(label));
      name.title = visible(label);
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
    // Networks by attempts, or by distinct addresses (the probes of a network are not kept).
    const byAddress = metric === "addresses";
    const networks = period === "slice"
      ? (byAddress ? s.network_addresses : s.networks) || {}
      : (byAddress ? data.network_attackers : data.network_totals) || {};
    $("networks-heading").textContent = byAddress ? "Top networks (addresses)" : "Top networks (attempts)";
    fillList($("top-networks"), sorted(networks).slice(0, ROWS).map(([key, n]) => [networkName(key), n]), "none");
    const sources = period === "slice" ? s.top_sources : data.top_sources.map(([address, country, n]) => [country ? `${address} · ${country}` : address, n]);
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
  // What fail2ban's or sshguard's bans did, where the logs held them: in the last build's span, or in the days
  // of the archive chosen (what each day kept: no share of all attackers, which days do not keep).
  function fillDefences() {
    const found = data.defences;
    $("defences-section").hidden = !found;
    if (!found) return;
    if (found.days) {
      const parts = [`${plural(found.blocks, "ban")} began`, `${plural(found.banned, "address", "addresses")} banned`];
      if (found.median_seconds_to_ban !== null) parts.push(`median time to ban ${duration(found.median_seconds_to_ban)}`);
      parts.push(`${plural(found.leaked_attempts, "attempt")} got through while banned`);
      parts.push(`${plural(found.came_back_attempts, "attempt")} came after a ban ended`);
      $("defences-summary").textContent = parts.join(" · ");
      fillList($("defences-leaked"), found.leaked.map(([address, country, n]) => [`${address} · ${nameOf(country)}`, n]), "none");
      return;
    }
    const share = Math.round((100 * found.banned_attempts) / Math.max(found.attempts, 1));
    const parts = [
      `${found.tools.join(" and ")} banned ${format(found.banned_addresses)} of ${format(found.attacking_addresses)} attacking addresses (${share} % of attempts came from them)`,
    ];
    if (found.median_seconds_to_ban !== null) parts.push(`median time to ban ${duration(found.median_seconds_to_ban)}`);
    parts.push(`${plural(found.leaked_attempts, "attempt")} got through while banned`);
    parts.push(`${plural(found.came_back_attempts, "attempt")} came after a ban ended`);
    $("defences-summary").textContent = parts.join(" · ");
    fillList($("defences-leaked"), found.leaked.map(([address, country, n]) => [`${address} · ${nameOf(country)}`, n]), "none");
  }
  function duration(seconds) {  // as summary.duration_text writes it
    const whole = Math.round(seconds);
    if (whole < 60) return `${whole} s`;
    if (whole < 3600) return whole % 60 ? `${Math.floor(whole / 60)} min ${whole % 60} s` : `${whole / 60} min`;
    const minutes = Math.floor((whole % 3600) / 60);
    return minutes ? `${Math.floor(whole / 3600)} h ${minutes} min` : `${Math.floor(whole / 3600)} h`;
  }
  function fillLogins() {
    const when = (iso) => (data === latest && data.period.length < 16 ? "" : dayText(iso) + " ") + iso.slice(11, 16);
    $("compromise-section").hidden = !data.compromises.length;
    $("compromises").replaceChildren(...data.compromises.map((c) => {
      const item = document.createElement("li");
      item.append(isolated(c.user), " from ", isolated(c.address),
        ` (${nameOf(c.country)}) at ${when(c.time)}, after ${plural(c.failures, "failure")}`);
      return item;
    }));
    $("accepted-section").hidden = !data.accepted.length;
    $("accepted").replaceChildren(...data.accepted.map((login) => {
      const item = document.createElement("li");
      item.append(isolated(login.user), " from ", isolated(login.address), ` (${nameOf(login.country)}) at ${when(login.time)}`);
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
  const clock = (iso) => iso.slice(11, data.slice_seconds % 60 ? 19 : 16);  // seconds where slices need them
  const zone = (iso) => data.zone_names[iso.slice(19)] || data.timezone;  // CET in winter, CEST in summer
  const label = (i) => {
    const start = slices[i].start;
    const end = i < last ? slices[i + 1].start : data.end;
    if (data.slice_seconds >= 86400) return `${dayText(start)} ${zone(start)}`;
    return `${dayText(start)} · ${clock(start)}–${clock(end)} ${zone(start)}`;
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
    const counts = metrics.attempts.values(slice), attempts = sum(counts);
    $("slice-attempts").textContent = format(attempts);
    $("slice-word").textContent = attempts === 1 ? "attempt" : "attempts";
    $("running").textContent = format(running[index]);
    const top = sorted(counts)[0];
    $("top").textContent = top ? `top: ${nameOf(top[0])} (${format(top[1])})` : "no attempts";
    if (timer === null) announce();
    if ($("table-section").open) fillTable();
    if (!fromHash) {
      try { history.replaceState(null, "", "#" + where(slice)); } catch (error) { /* a sandboxed frame may refuse */ }
    }
  }

  // ---- for screen readers: said on a step or a pause, never thirty times a second while playing ----
  function announce() {
    const counts = metrics.attempts.values(slices[index]);
    const top = sorted(counts)[0];
    $("announce").textContent = `${label(index)}: ${plural(sum(counts), "attempt")}` +
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
        : [nameOf(code), format(metrics.attempts.values(s)[code] || 0), format(metrics.attempts.day[code] || 0),
          host || !data.attackers ? "—" : format(data.attackers[code] || 0)];
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
  slider.addEventListener("input", () => { setPlaying(false); show(Number(slider.value)); });
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLSelectElement || (target instanceof HTMLInputElement && target !== slider)) return;
    if (event.key === " " && !(target instanceof HTMLButtonElement)) { event.preventDefault(); setPlaying(timer === null); return; }
    if (target === slider) return; // the range input moves itself with the arrow keys, Home and End
    const moves = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: last };
    if (event.key in moves) { event.preventDefault(); setPlaying(false); show(moves[event.key]); }
  });

  // ---- what is shown: the last build, or days of the archive ----
  let chosen = null;  // {from, to}: the days shown from the archive, or null for the last build
  function load(next, days) {
    if (timer !== null) setPlaying(false);
    data = next; slices = data.slices; last = slices.length - 1; chosen = days || null;
    slider.max = String(last);
    measure(); keyboardPath(); fillLogins(); fillDefences(); drawBars(); drawLegend();
    const countriesHit = Object.keys(data.totals).filter((code) => /^[A-Z]{2}$/.test(code)).length;
    $("range").textContent = `${data.period} · ${plural(data.attempts, "attempt")} from ${plural(countriesHit, "country", "countries")}`;
    $("latest").setAttribute("aria-pressed", String(!chosen));
  }

  function periodText(first, lastDay) {  // as timeline.period_text writes it
    const [a, b] = [first, lastDay].map((day) => new Date(`${day}T12:00:00Z`));
    const dm = (d) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
    if (first === lastDay) return dayText(first);
    if (first.slice(0, 7) === lastDay.slice(0, 7)) return `${a.getUTCDate()}–${dm(b)} ${b.getUTCFullYear()}`;
    if (first.slice(0, 4) === lastDay.slice(0, 4)) return `${dm(a)} – ${dm(b)} ${b.getUTCFullYear()}`;
    return `${dm(a)} ${a.getUTCFullYear()} – ${dm(b)} ${b.getUTCFullYear()}`;
  }
  function perSliceText(seconds) {
    const known = { 60: "minute", 3600: "hour", 86400: "day" };
    if (known[seconds]) return known[seconds];
    return seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
  }
  function later(iso, seconds) {  // the same wall-clock offset as iso, `seconds` on
    const offset = iso.slice(19), sign = offset[0] === "-" ? -1 : 1;
    const minutes = offset === "Z" ? 0 : sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
    const local = new Date(Date.parse(iso) + seconds * 1000 + minutes * 60000).toISOString().slice(0, 19);
    return local + offset;
  }
  function added(target, counts) {
    for (const [key, n] of Object.entries(counts)) target[key] = (target[key] || 0) + n;
    return target;
  }
  // Days of the archive as one span the viewer plays. Distinct addresses are kept per slice only: the
  // whole span shows none; its top addresses and names are the largest among the slices' own.
  function daysData(found) {
    const all = found.flatMap((day) => day.slices);
    const totals = {}, probes = {}, sources = {}, users = {}, networkTotals = {}, networkNames = {};
    for (const day of found) Object.assign(networkNames, day.network_names || {});
    for (const s of all) {
      added(totals, s.counts); added(probes, s.probes); added(networkTotals, s.networks || {});
      added(sources, Object.fromEntries(s.top_sources)); added(users, Object.fromEntries(s.top_users));
    }
    const seconds = found[0].slice_seconds, first = found[0].day, lastDay = found[found.length - 1].day;
    return {
      title: latest.title, style, fps: latest.fps, credits: latest.credits, countries: names,
      slice_seconds: seconds, per_slice: perSliceText(seconds), timezone: found[0].timezone,
      zone_names: latest.zone_names, start: all[0].start, end: later(all[all.length - 1].start, seconds),
      period: periodText(first, lastDay), attempts: sum(totals), slices: all, totals, probes, attackers: null,
      top_sources: sorted(sources).slice(0, 20).map(([name, n]) => [name, null, n]),
      top_users: sorted(users).slice(0, 20), compromises: found.flatMap((day) => day.compromises), accepted: [],
      network_totals: networkTotals, network_names: networkNames, network_attackers: null,
      defences: daysDefences(found),
    };
  }
  // The defences the chosen days kept (README, "History"), added up; null where none kept any.
  function daysDefences(found) {
    const kept = found.map((day) => day.defences).filter(Boolean);
    if (!kept.length) return null;
    const leaked = {}, waits = [];
    let blocks = 0, banned = 0, cameBack = 0;
    for (const day of kept) {
      blocks += day.blocks; banned += day.banned.length;
      for (const [, , seconds] of day.banned) if (seconds !== null) waits.push(seconds);
      for (const [address, country, n] of day.leaked) {
        const key = `${address}\u0000${country}`;
        leaked[key] = (leaked[key] || 0) + n;
      }
      for (const [, , n] of day.came_back) cameBack += n;
    }
    waits.sort((a, b) => a - b);
    const middle = Math.floor(waits.length / 2);
    const median = !waits.length ? null : waits.length % 2 ? waits[middle] : (waits[middle - 1] + waits[middle]) / 2;
    const rows = sorted(leaked).map(([key, n]) => [...key.split("\u0000"), n]);
    return {
      days: true, blocks, banned, median_seconds_to_ban: median, leaked: rows.slice(0, 20),
      leaked_attempts: sum(leaked), came_back_attempts: cameBack,
    };
  }
  const days = archive ? archive.days.map((entry) => entry.day) : [];
  const loaded = {};
  function loadDay(day) {  // a day is a script, not a fetch: the page also works opened from disk
    if (loaded[day]) return Promise.resolve(loaded[day]);
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `data/history/${day}.js`;
      script.onload = () => { loaded[day] = window.HONEYCAST_DAY; script.remove(); resolve(loaded[day]); };
      script.onerror = () => { script.remove(); reject(new Error(`cannot load data/history/${day}.js`)); };
      document.head.append(script);
    });
  }
  async function openDays(first, lastDay, at) {
    if (first > lastDay) [first, lastDay] = [lastDay, first];
    const list = days.filter((day) => day >= first && day <= lastDay);
    if (!list.length) { $("range-totals").textContent = "No data kept for those days."; return false; }
    const found = [];
    for (const day of list) found.push(await loadDay(day));  // one at a time: each sets HONEYCAST_DAY
    load(daysData(found), { from: list[0], to: list[list.length - 1] });
    $("from").value = list[0]; $("to").value = list[list.length - 1];
    rangeTotals();
    show(at === undefined ? 0 : at(slices));
    return true;
  }
  // Totals of the chosen days, per host too, from the archive's index: no day needs loading for them.
  function rangeTotals() {
    let [first, lastDay] = [$("from").value, $("to").value];
    if (first > lastDay) [first, lastDay] = [lastDay, first];
    const entries = archive.days.filter((entry) => entry.day >= first && entry.day <= lastDay);
    const totals = {}, hosts = {};
    for (const entry of entries) {
      added(totals, entry.totals);
      for (const [name, part] of Object.entries(entry.hosts)) hosts[name] = (hosts[name] || 0) + part.attempts;
    }
    const countries = Object.keys(totals).filter((code) => /^[A-Z]{2}$/.test(code)).length;
    const top = sorted(totals)[0];
    let text = `${periodText(first, lastDay)}: ${plural(sum(totals), "attempt")} from ${plural(countries, "country", "countries")}`;
    if (top) text += `, most from ${nameOf(top[0])} (${format(top[1])})`;
    if (Object.keys(hosts).length > 1) text += " · " + sorted(hosts).map(([name, n]) => `${name}: ${format(n)}`).join(" · ");
    $("range-totals").textContent = text;
  }
  if (days.length) {
    $("archive").hidden = false;
    for (const id of ["from", "to"]) {  // the days kept, written as everywhere on the page
      $(id).append(...days.map((day) => new Option(dayText(day), day)));
      $(id).value = days[days.length - 1];
      $(id).addEventListener("change", rangeTotals);
    }
    $("open-days").addEventListener("click", () => {
      openDays($("from").value, $("to").value)
        .then((opened) => { if (opened) setPlaying(true); })  // "Play these days": from their first slice
        .catch((error) => { $("range-totals").textContent = String(error.message); });
    });
    $("latest").addEventListener("click", () => { load(latest); show(0); });
    rangeTotals();
  }
  const hostNames = [...new Set([...(latest.hosts || []), ...Object.values((archive && archive.hosts) || {})])].sort();
  if (hostNames.length > 1) {
    $("host-choice").hidden = false;
    $("host").append(...hostNames.map((name) => new Option(name, name)));
    $("host").addEventListener("change", () => {
      host = $("host").value;
      $("metric").querySelector('option[value="addresses"]').disabled = Boolean(host);
      if (host && metric === "addresses") { metric = "attempts"; $("metric").value = metric; }
      $("panel-note").hidden = !host;
      measure(); drawBars(); drawLegend(); show(index);
    });
  }

  // ---- deep links: #t=2026-11-29T06:20, #day=2026-11-29&t=…, #from=…&to=…, &host=… ----
  function where(slice) {
    const parts = [];
    if (chosen) parts.push(chosen.from === chosen.to ? `day=${chosen.from}` : `from=${chosen.from}&to=${chosen.to}`);
    parts.push(`t=${slice.start.slice(0, 16)}`);
    if (host) parts.push(`host=${encodeURIComponent(host)}`);
    return parts.join("&");
  }
  function fromHash() {
    const found = {};
    for (const part of location.hash.slice(1).split("&")) {
      const at = part.indexOf("=");
      if (at > 0) found[part.slice(0, at)] = decodeURIComponent(part.slice(at + 1));
    }
    return found;
  }
  function at(t) {
    return (list) => {
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(t || "")) return 0;
      let found = 0;
      list.forEach((s, i) => { if (s.start.slice(0, 16) <= t) found = i; });
      return found;
    };
  }
  function follow() {
    const wanted = fromHash();
    if (wanted.host !== undefined && hostNames.includes(wanted.host) && wanted.host !== host) {
      $("host").value = wanted.host;
      $("host").dispatchEvent(new Event("change"));
    }
    const first = wanted.day || wanted.from, lastDay = wanted.day || wanted.to || wanted.from;
    if (first && days.length && /^\d{4}-\d\d-\d\d$/.test(first) && /^\d{4}-\d\d-\d\d$/.test(lastDay)) {
      openDays(first, lastDay, at(wanted.t)).catch((error) => { $("range-totals").textContent = String(error.message); });
      return;
    }
    if (data !== latest) load(latest);
    show(at(wanted.t)(slices), true);
  }
  window.addEventListener("hashchange", follow);

  $("credits").textContent = latest.credits.join(" · ");
  $("credits").title = latest.credits.join("\n");
  if (latest.network_db && latest.network_db.database === "ip-location-db-asn") {
    // DB-IP's licence asks a page that shows its data to link back to it (README, "Data and credits").
    const link = document.createElement("a");
    link.href = "https://db-ip.com";
    link.rel = "noopener";
    link.textContent = "IP Geolocation by DB-IP";
    $("credits").append(" · ", link);
  }
  $("glow-swatch").style.background = colors.glow;
  $("glow-label").textContent = style.glow_legend;
  for (const [name, text] of [["gif", "animated GIF"], ["webm", "time-lapse (WebM)"]]) {
    if (!latest[name]) continue;
    const link = document.createElement("a");
    link.href = latest[name];
    link.setAttribute("download", "");
    link.textContent = text;
    $("more-downloads").append(" · ", link);
  }
  load(latest);
  follow();
})();
