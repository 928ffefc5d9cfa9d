// Progressive enhancement of the times the server wrote in the lottery's zone:
// - a countdown ([data-closes-at], a role="timer" whose ticking value is not announced) that
//   ticks once a second; the server's text ("11 hours, 59 minutes") stays without script;
// - beside each <time data-local>, the same moment in this device's zone, when it differs,
//   in the pages' one format ("Tue 8 Dec 2026, 00:00 CET"; data-local="seconds": 00:00:07).
"use strict";
(() => {
  const units = [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]];
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function left(seconds) {
    const parts = [];
    for (const [name, size] of units) {
      const n = Math.floor(seconds / size);
      seconds -= n * size;
      if (n || parts.length) parts.push(`${n} ${name}`);
      if (parts.length === 2) break;
    }
    return parts.join(" ");
  }

  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll("[data-closes-at]")) {
      const closes = Date.parse(el.dataset.closesAt);
      if (Number.isNaN(closes)) continue;
      const seconds = Math.floor((closes - now) / 1000);
      const line = el.closest("[data-countdown]");
      if (seconds <= 0 && line) {
        line.textContent = "Closed: the draw is under way. Reload the page for the next day.";
      } else if (seconds > 0) {
        el.textContent = left(seconds);
      }
    }
  }

  // "Tue 8 Dec 2026, 00:00 CET" (with seconds: "00:00:07") for a moment in the zone `zone`.
  function spelled(moment, zone, seconds) {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, year: "numeric", month: "numeric", day: "numeric", weekday: "short",
      hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined,
      hourCycle: "h23", timeZoneName: "short",
    });
    for (const { type, value } of format.formatToParts(moment)) parts[type] = value;
    const weekday = days.indexOf(parts.weekday) >= 0 ? parts.weekday : "";
    const wall = `${weekday} ${parts.day} ${months[Number(parts.month) - 1]} ${parts.year}, ${parts.hour}:${parts.minute}${seconds ? `:${parts.second}` : ""}`;
    return { wall: wall.trim(), zone: parts.timeZoneName };
  }

  function localTimes() {
    let here;
    try {
      here = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch {
      return;
    }
    for (const el of document.querySelectorAll("time[data-local]")) {
      const moment = new Date(el.getAttribute("datetime"));
      if (Number.isNaN(moment.getTime()) || el.nextElementSibling?.classList.contains("local-time")) continue;
      // The server wrote the lottery's wall time with its offset: the same wall time here
      // means the same zone, for this moment.
      const written = (el.getAttribute("datetime").match(/([+-]\d\d:\d\d|Z)$/) || [])[1];
      if (written === undefined || written.replace("+00:00", "Z") === localOffset(moment)) continue;
      const local = spelled(moment, here, el.dataset.local === "seconds");
      const span = document.createElement("span");
      span.className = "local-time";
      span.textContent = ` (your time: ${local.wall} ${local.zone})`;
      el.after(span);
    }
  }

  function localOffset(moment) {
    const minutes = -moment.getTimezoneOffset();
    if (minutes === 0) return "Z";
    const sign = minutes < 0 ? "-" : "+";
    const abs = Math.abs(minutes);
    return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    localTimes();
    tick();
    setInterval(tick, 1000);
  });
})();
