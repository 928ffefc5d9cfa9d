// Live countdowns to each open day's close (the server renders a static one first).
"use strict";
(() => {
  const units = [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]];
  function left(seconds) {
    if (seconds <= 0) return "closed: it is being drawn";
    const parts = [];
    for (const [name, size] of units) {
      const n = Math.floor(seconds / size);
      seconds -= n * size;
      if (n || parts.length) parts.push(`${n} ${name}`);
      if (parts.length === 2) break;
    }
    return `in ${parts.join(" ")}`;
  }
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll("[data-closes-at]")) {
      const closes = Date.parse(el.dataset.closesAt);
      if (!Number.isNaN(closes)) el.textContent = left(Math.floor((closes - now) / 1000));
    }
  }
  document.addEventListener("DOMContentLoaded", () => {
    tick();
    setInterval(tick, 1000);
  });
})();
