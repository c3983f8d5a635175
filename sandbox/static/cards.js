// Interactive cards as DingTalk draws them from a card-platform template. The sandbox
// interprets the template (messages/cards/*.json, the platform's export format) for the
// viewer and sends the resolved tree as item.cardView; this file only draws it. A click
// names the button and the text typed into the card's inputs (local variables); the
// sandbox then sends exactly the params the template binds to that button.

import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const TAG_COLORS = new Set(["blue", "green", "red", "gray", "orange", "yellow", "purple"]);
const BUTTON_COLORS = { blue: "primary", red: "danger", gray: "default" };

function markdownBox(text) {
  const box = h("div", { class: "md card-md" });
  box.innerHTML = renderMarkdown(text); // sanitised renderer output only
  return box;
}

function drawChildren(node, ctx) {
  return (node.children || []).map((child) => draw(child, ctx)).filter(Boolean);
}

const NODES = {
  text(node) {
    if (!String(node.text || "").trim()) return null;
    return h("div", { class: node.bold ? "card-text emphasis" : "card-text" }, node.text);
  },
  markdown(node) {
    if (!String(node.text || "").trim()) return null;
    return h("div", { class: "card-block" }, markdownBox(node.text));
  },
  input(node) {
    return h(
      "div",
      { class: "card-block" },
      node.title ? h("div", { class: "card-label" }, node.title) : null,
      h("textarea", {
        class: "card-input",
        rows: "2",
        name: node.local || "input",
        "data-local": node.local || "",
        placeholder: node.placeholder || "",
        "data-testid": "card-input",
      }),
    );
  },
  button(node, ctx) {
    const style = BUTTON_COLORS[node.color] || "default";
    const el = h(
      "button",
      { type: "button", class: `card-btn btn-${style}`, "data-testid": "card-action", "data-button-id": node.id },
      node.text || "按钮",
    );
    el.addEventListener("click", () => ctx.onAction(node, el.closest(".card")));
    return el;
  },
  row(node, ctx) {
    const children = drawChildren(node, ctx);
    if (!children.length) return null;
    const buttons = children.some((c) => c.querySelector?.(".card-btn") || c.classList?.contains("card-btn"));
    return h("div", { class: buttons ? "card-actions" : "card-row" }, ...children);
  },
  list(node, ctx) {
    const children = drawChildren(node, ctx);
    return children.length ? h("div", { class: "card-list" }, ...children) : null;
  },
  box(node, ctx) {
    const children = drawChildren(node, ctx);
    return children.length ? h("div", { class: "card-box" }, ...children) : null;
  },
};

function draw(node, ctx) {
  const fn = NODES[node?.kind];
  return fn ? fn(node, ctx) : null;
}

function genericCard(templateId, data) {
  const keys = Object.keys(data);
  return [
    h(
      "div",
      { class: "card-header" },
      h("div", { class: "card-title" }, data.title || "互动卡片"),
      h("span", { class: "card-tag tag-gray" }, "未知模板"),
    ),
    h("div", { class: "card-note" }, `模板 ${templateId || "（无）"} 没有卡片平台定义，按键值显示：`),
    h(
      "dl",
      { class: "card-fields" },
      ...keys.flatMap((k) => [h("dt", {}, k), h("dd", {}, String(data[k]))]),
    ),
  ];
}

/** The text typed into a card's inputs: {localVariable: value}; untouched inputs send nothing. */
export function cardInputs(cardEl) {
  const values = {};
  for (const input of cardEl.querySelectorAll(".card-input")) {
    if (input.dataset.local && input.value !== "") values[input.dataset.local] = input.value;
  }
  return values;
}

/**
 * Draw a card.
 * @param {object} item   the inbox item (templateId, outTrackId, cardData, cardView)
 * @param {{onAction: Function}} ctx
 */
export function renderCard(item, ctx) {
  const card = h("div", {
    class: "card",
    "data-testid": "card",
    "data-out-track-id": item.outTrackId || "",
    "data-template-id": item.templateId || "",
  });
  const view = item.cardView;
  if (!view) {
    card.append(...genericCard(item.templateId, item.cardData || {}));
    return card;
  }
  const color = TAG_COLORS.has(view.tagColor) ? view.tagColor : "blue";
  card.append(
    h(
      "div",
      { class: "card-header" },
      h("div", { class: "card-title", "data-testid": "card-title" }, view.title || "互动卡片"),
      view.tag ? h("span", { class: `card-tag tag-${color}`, "data-testid": "card-tag" }, view.tag) : null,
    ),
    h("div", { class: "card-body" }, ...drawChildren(view, ctx)),
  );
  return card;
}
