// A small, safe renderer for DingTalk markdown.
//
// Safety model: every piece of text is HTML-escaped before any markup is produced, the
// only markup produced is a fixed set of tags built here, and links are emitted only for
// http/https URLs. Raw HTML in the input is never interpreted: `<img onerror=...>` shows
// as text, `[x](javascript:...)` shows as text.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const UNESCAPES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function unescapeHtml(value) {
  return value.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => UNESCAPES[e]);
}

/** The URL if it is a plain http(s) URL, else null. Takes an unescaped string. */
export function safeUrl(raw) {
  const url = String(raw ?? "").trim();
  if (!/^https?:\/\/[^\s]+$/i.test(url)) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

function link(url, labelHtml) {
  return (
    `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer nofollow">` +
    `${labelHtml}</a>`
  );
}

/** Bold, strikethrough and italic on already-escaped text. */
function emphasis(s) {
  return s
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/__(.+?)__/g, "<strong>$1</strong>")
    .replace(/~~(.+?)~~/g, "<del>$1</del>")
    .replace(/(^|[^*])\*([^*\s](?:[^*]*[^*\s])?)\*(?!\*)/g, "$1<em>$2</em>");
}

// Tokens stand for finished HTML fragments so later inline rules cannot touch them.
const TOKEN = "\u0000";

/** Inline markdown of one line of raw text -> safe HTML. */
export function renderInline(raw) {
  const fragments = [];
  const keep = (html) => `${TOKEN}${fragments.push(html) - 1}${TOKEN}`;
  let s = escapeHtml(String(raw ?? "").replaceAll(TOKEN, ""));

  // code spans
  s = s.replace(/`([^`]+)`/g, (_, code) => keep(`<code>${code}</code>`));
  // images: never loaded, shown as a link (or text) instead
  s = s.replace(/!\[([^\]\n]*)\]\(([^()\s]*)\)/g, (whole, alt, href) => {
    const url = safeUrl(unescapeHtml(href));
    return url ? keep(link(url, `[图片] ${alt}`)) : whole;
  });
  // links
  s = s.replace(/\[([^\]\n]+)\]\(([^()\s]*)\)/g, (whole, label, href) => {
    const url = safeUrl(unescapeHtml(href));
    return url ? keep(link(url, emphasis(label))) : whole;
  });
  // bare URLs
  s = s.replace(/https?:\/\/[^\s<>"'\u0000\u3000，。；）]+/g, (found) => {
    const url = safeUrl(unescapeHtml(found));
    return url ? keep(link(url, found)) : found;
  });
  s = emphasis(s);
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => fragments[Number(i)]);
}

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const LIST_ITEM = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^\s*>\s?(.*)$/;
const FENCE = /^\s*```/;
const TABLE_SEP = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function tableCells(line) {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|")) row = row.slice(0, -1);
  return row.split("|").map((c) => c.trim());
}

function renderList(items) {
  // items: [{indent, ordered, html}] -> nested lists by indentation
  let html = "";
  const stack = [];
  for (const item of items) {
    while (stack.length && item.indent < stack[stack.length - 1].indent) {
      html += `</li></${stack.pop().tag}>`;
    }
    const top = stack[stack.length - 1];
    if (!top || item.indent > top.indent) {
      const tag = item.ordered ? "ol" : "ul";
      stack.push({ indent: item.indent, tag });
      html += `<${tag}>`;
    } else {
      html += "</li>";
    }
    html += `<li>${item.html}`;
  }
  while (stack.length) html += `</li></${stack.pop().tag}>`;
  return html;
}

/** DingTalk markdown (raw text) -> safe HTML. */
export function renderMarkdown(raw) {
  const lines = String(raw ?? "").replace(/\r\n?/g, "\n").split("\n");
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i += 1;
      continue;
    }
    if (FENCE.test(line)) {
      const code = [];
      i += 1;
      while (i < lines.length && !FENCE.test(lines[i])) code.push(lines[i++]);
      i += 1;
      out.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = heading[1].length;
      out.push(`<h${level}>${renderInline(heading[2])}</h${level}>`);
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      out.push("<hr>");
      i += 1;
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1])) {
      const head = tableCells(line);
      i += 2;
      const rows = [];
      while (i < lines.length && lines[i].includes("|") && lines[i].trim()) {
        rows.push(tableCells(lines[i++]));
      }
      const th = head.map((c) => `<th>${renderInline(c)}</th>`).join("");
      const body = rows
        .map((r) => `<tr>${head.map((_, k) => `<td>${renderInline(r[k] ?? "")}</td>`).join("")}</tr>`)
        .join("");
      out.push(`<div class="md-table"><table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`);
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted = [];
      while (i < lines.length && QUOTE.test(lines[i])) quoted.push(QUOTE.exec(lines[i++])[1]);
      out.push(`<blockquote>${quoted.map(renderInline).join("<br>")}</blockquote>`);
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const items = [];
      while (i < lines.length) {
        const m = LIST_ITEM.exec(lines[i]);
        if (m) {
          items.push({
            indent: m[1].replace(/\t/g, "  ").length,
            ordered: /\d/.test(m[2]),
            html: renderInline(m[3]),
          });
          i += 1;
        } else if (lines[i].trim() && /^\s+/.test(lines[i]) && items.length) {
          items[items.length - 1].html += `<br>${renderInline(lines[i].trim())}`;
          i += 1;
        } else {
          break;
        }
      }
      out.push(renderList(items));
      continue;
    }
    const para = [];
    while (
      i < lines.length &&
      lines[i].trim() &&
      !HEADING.test(lines[i]) &&
      !LIST_ITEM.test(lines[i]) &&
      !QUOTE.test(lines[i]) &&
      !FENCE.test(lines[i]) &&
      !RULE.test(lines[i]) &&
      !(lines[i].includes("|") && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]))
    ) {
      para.push(lines[i++]);
    }
    out.push(`<p>${para.map(renderInline).join("<br>")}</p>`);
  }
  return out.join("");
}

/** Plain text -> safe HTML with line breaks kept (for text messages). */
export function renderPlain(raw) {
  return escapeHtml(raw).replace(/\n/g, "<br>");
}

/** Markdown -> one line of plain text (conversation previews). */
export function plainPreview(raw) {
  return String(raw ?? "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^\s*(#{1,6}|[-*+]|\d+[.)]|>)\s+/gm, "")
    .replace(/[*_~`]{1,2}/g, "")
    .replace(/\s+/g, " ")
    .trim();
}
