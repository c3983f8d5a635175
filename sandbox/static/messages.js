// Drawing inbox items: chat bubbles, action cards, files, work notifications, to-dos.

import { renderCard } from "./cards.js";
import { formatSize, h } from "./dom.js";
import { plainPreview, renderMarkdown, renderPlain, safeUrl } from "./markdown.js";

function md(text, extra = "") {
  const box = h("div", { class: `md ${extra}`.trim() });
  box.innerHTML = renderMarkdown(text); // sanitised renderer output only
  return box;
}

function plain(text) {
  const box = h("div", { class: "plain" });
  box.innerHTML = renderPlain(text); // escaped text with <br> only
  return box;
}

function linkButton(title, rawUrl) {
  const url = safeUrl(rawUrl);
  if (!url) {
    return h("span", { class: "ac-btn disabled", title: `链接不可用：${rawUrl || "（空）"}` }, title);
  }
  return h("a", { class: "ac-btn", href: url, target: "_blank", rel: "noopener noreferrer" }, title);
}

/** Buttons of an action card, whichever API shape it came in. */
function actionCardButtons(p) {
  const buttons = [];
  const single = p.singleTitle || p.single_title;
  if (single) buttons.push([single, p.singleURL || p.singleUrl || p.single_url]);
  for (const b of Array.isArray(p.btns) ? p.btns : []) buttons.push([b.title, b.actionURL || b.actionUrl]);
  for (const b of Array.isArray(p.btn_json_list) ? p.btn_json_list : []) buttons.push([b.title, b.action_url]);
  for (let n = 1; n <= 6; n += 1) {
    if (p[`actionTitle${n}`]) buttons.push([p[`actionTitle${n}`], p[`actionURL${n}`]]);
    if (p[`buttonTitle${n}`]) buttons.push([p[`buttonTitle${n}`], p[`buttonUrl${n}`] || p[`buttonURL${n}`]]);
  }
  return buttons;
}

// DingTalk shows an action card's markdown text and buttons; its title only appears in
// notification previews, so it is not drawn here.
function actionCard(text, param) {
  const buttons = actionCardButtons(param || {});
  const vertical = String(param?.btnOrientation ?? "0") === "0" && buttons.length > 2;
  return h(
    "div",
    { class: "action-card", "data-testid": "action-card" },
    md(text || ""),
    buttons.length
      ? h("div", { class: `ac-buttons ${vertical ? "vertical" : ""}`.trim() }, ...buttons.map(([t, u]) => linkButton(t, u)))
      : null,
  );
}

function fileBox(file, fallbackName) {
  const name = file?.name || fallbackName || "文件";
  const ext = (name.split(".").pop() || "").slice(0, 4).toUpperCase();
  return h(
    "div",
    { class: "file-msg", "data-testid": "file-message" },
    h("span", { class: "file-icon" }, ext || "FILE"),
    h(
      "div",
      { class: "file-meta" },
      h("div", { class: "file-name" }, name),
      h("div", { class: "file-size" }, file?.size != null ? formatSize(file.size) : "大小未知"),
    ),
    file?.url
      ? h("a", { class: "file-dl", href: file.url, download: name, "data-testid": "file-download" }, "下载")
      : null,
  );
}

function linkMessage(p) {
  const url = safeUrl(p.messageUrl || p.message_url || p.messageURL);
  const body = h(
    "div",
    { class: "link-msg" },
    h("div", { class: "ac-title" }, p.title || ""),
    h("div", { class: "link-text" }, p.text || ""),
  );
  return url ? h("a", { class: "link-wrap", href: url, target: "_blank", rel: "noopener noreferrer" }, body) : body;
}

/** The content of a chat bubble for an item, and whether it is "wide" (cards). */
export function bubbleContent(item, ctx) {
  const p = item.msgParam || {};
  switch (item.kind) {
    case "markdown":
      return { el: md(item.text) };
    case "actionCard":
      return { el: actionCard(item.text || p.text, p), wide: true };
    case "link":
      return { el: linkMessage(p), wide: true };
    case "image": {
      const url = safeUrl(p.photoURL || p.photoUrl);
      return {
        el: url
          ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "image-link" }, "[图片] ", url)
          : plain("[图片]"),
      };
    }
    case "file":
      if (item.msgKey === "sampleAudio") return { el: plain(`[语音] ${p.duration ?? ""}秒`) };
      if (item.msgKey === "sampleVideo") return { el: plain("[视频]") };
      return { el: fileBox(item.file, p.fileName) };
    case "card":
      return {
        el: renderCard(item, { onAction: ctx.onCardAction }),
        wide: true,
        bare: true,
      };
    case "user_message":
      if (item.msgtype === "file") return { el: fileBox(item.file, item.text.replace(/^\[文件\] /, "")) };
      return { el: plain(item.text) };
    default:
      return { el: plain(item.text || item.title || `[${item.kind}]`) };
  }
}

/** One line of text for previews. */
export function previewText(item) {
  switch (item.kind) {
    case "card":
      return `[卡片] ${item.cardData?.title || ""}`;
    case "file":
      return `[文件] ${item.file?.name || item.msgParam?.fileName || ""}`;
    case "actionCard":
    case "link":
      return `[${item.title || "链接"}]`;
    case "markdown":
      return plainPreview(item.text);
    default:
      return plainPreview(item.text || item.title);
  }
}

/** A work notification (工作通知) as a card-like block. */
export function workNotice(item) {
  const msg = item.msgParam || {};
  const type = msg.msgtype;
  const part = (type && msg[type]) || {};
  let body;
  if (type === "markdown") body = md(part.text);
  else if (type === "action_card") body = actionCard(part.markdown, part);
  else if (type === "oa") {
    const b = part.body || {};
    const form = Array.isArray(b.form) ? b.form : [];
    body = h(
      "div",
      { class: "oa-msg" },
      b.title ? h("div", { class: "ac-title" }, b.title) : null,
      form.length
        ? h("dl", { class: "card-fields" }, ...form.flatMap((f) => [h("dt", {}, f.key ?? ""), h("dd", {}, f.value ?? "")]))
        : null,
      b.content ? plain(b.content) : null,
      b.author ? h("div", { class: "oa-author" }, b.author) : null,
    );
  } else if (type === "link") body = linkMessage(part);
  else if (type === "file") body = fileBox(item.file, "文件");
  else body = plain(item.text || part.content || "");
  // Markdown and action cards carry their own heading; the title is the preview line.
  const headText = type === "oa" ? part.head?.text || item.title : "";
  return { body, headText };
}

