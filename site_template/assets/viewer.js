// honeycast viewer: steps through the per-slice map frames.
// Every string shown here comes from data; it is set with textContent, never parsed as markup.
(function () {
  "use strict";
  const data = window.HONEYCAST_DATA;
  const $ = (id) => document.getElementById(id);
  const map = $("map"), play = $("play"), slider = $("slider"), time = $("time");
  const slices = data.slices;
  const frameDelay = 1000 / data.fps;
  const zone = data.timezone;
  let index = 0, timer = null;

  const running = [];
  slices.reduce((sum, slice, i) => (running[i] = sum + slice.attempts), 0);

  const framePath = (i) => data.frames.pattern.replace("{index}", String(i).padStart(4, "0"));
  const clock = (iso) => iso.slice(11, 16);
  const label = (i) => {
    const start = slices[i].start;
    const end = i + 1 < slices.length ? slices[i + 1].start : data.end;
    return `${start.slice(0, 10)} ${clock(start)}–${clock(end)} ${zone}`;
  };
  const name = (code) => data.countries[code] || code;

  // Built with --no-frames: show the time-lapse itself, paused on the slice's frame.
  const video = data.frames.count > 0 ? null : document.createElement("video");
  if (video) {
    video.src = data.video;
    video.muted = true;
    video.preload = "auto";
    video.setAttribute("playsinline", "");
    video.setAttribute("aria-label", map.alt);
    video.id = "map";
    map.replaceWith(video);
  }

  // Preload frames so playback does not wait on the network or the disk.
  const cache = video ? [] : slices.map((_, i) => { const img = new Image(); img.src = framePath(i); return img; });

  function show(i) {
    index = Math.max(0, Math.min(slices.length - 1, i));
    const slice = slices[index];
    if (video) {
      video.currentTime = (index + 0.5) / data.fps;
    } else {
      map.src = cache[index].src;
    }
    slider.value = String(index);
    time.textContent = label(index);
    $("slice-attempts").textContent = slice.attempts.toLocaleString("en");
    $("running").textContent = running[index].toLocaleString("en");
    const top = Object.entries(slice.counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    $("top").textContent = top ? `top: ${name(top[0])} (${top[1].toLocaleString("en")})` : "no attempts";
  }

  function setPlaying(on) {
    if (on && timer === null) {
      if (index === slices.length - 1) show(0);
      timer = setInterval(() => (index + 1 < slices.length ? show(index + 1) : setPlaying(false)), frameDelay);
    } else if (!on && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
    play.textContent = timer === null ? "\u25B6" : "\u275A\u275A";
    play.setAttribute("aria-label", timer === null ? "Play" : "Pause");
  }

  slider.max = String(slices.length - 1);
  slider.addEventListener("input", () => { setPlaying(false); show(Number(slider.value)); });
  play.addEventListener("click", () => setPlaying(timer === null));
  $("range").textContent = `${data.start.slice(0, 10)} · ${data.attempts.toLocaleString("en")} attempts from ${Object.keys(data.totals).filter((code) => /^[A-Z]{2}$/.test(code)).length} countries`;
  $("credits").textContent = data.credits.join(" · ");
  show(0);
})();
