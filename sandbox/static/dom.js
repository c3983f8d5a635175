// Small DOM and formatting helpers. Text always goes in as text nodes, never as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const TZ = "Asia/Shanghai";

function parts(ms, options) {
  const out = {};
  for (const p of new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, hourCycle: "h23", ...options }).formatToParts(
    new Date(ms),
  )) {
    out[p.type] = p.value;
  }
  return out;
}

/** "2026年11月24日 周二 07:00:05" */
export function formatClock(ms) {
  const p = parts(ms, {
    year: "numeric",
    month: "numeric",
    day: "numeric",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  return `${p.year}年${p.month}月${p.day}日 ${p.weekday} ${p.hour}:${p.minute}:${p.second}`;
}

/** {date: "2026-11-24", time: "07:00"} in Beijing time. */
export function beijingInputs(ms) {
  const p = parts(ms, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

/** Short time for a message, relative to the sandbox "now". */
export function formatMessageTime(ms, nowMs) {
  const p = parts(ms, { year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const n = parts(nowMs, { year: "numeric", month: "numeric", day: "numeric" });
  if (p.year === n.year && p.month === n.month && p.day === n.day) return `${p.hour}:${p.minute}`;
  if (p.year === n.year) return `${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
  return `${p.year}年${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
}

export function formatFull(ms) {
  const p = parts(ms, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

export function formatSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const AVATAR_COLORS = ["#3296fa", "#ff943e", "#15bc83", "#8b6bf5", "#f25643", "#00b0c6", "#5b7bfa"];

/** A DingTalk-style avatar: the last two characters of the name on a colour. */
export function avatar(name, { bot = false, size = "" } = {}) {
  const text = bot ? "助" : String(name || "?").slice(-2);
  let hash = 0;
  for (const ch of String(name || "")) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  const color = bot ? "#1677ff" : AVATAR_COLORS[hash % AVATAR_COLORS.length];
  return h("span", { class: `avatar ${size} ${bot ? "bot" : ""}`.trim(), style: `background:${color}` }, text);
}
