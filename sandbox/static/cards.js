// Interactive cards drawn from the project's card template definitions
// (messages/cards/*.json: "variables" + a "layout" list of blocks).

import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const TAG_COLORS = new Set(["blue", "green", "red", "gray", "orange", "yellow", "purple"]);

function present(data, name) {
  const value = name ? data[name] : undefined;
  return value !== undefined && value !== null && String(value).trim() !== "";
}

function parseJson(value) {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function markdownBox(text) {
  const box = h("div", { class: "md card-md" });
  box.innerHTML = renderMarkdown(text); // sanitised renderer output only
  return box;
}

function labelled(label, body, extraClass = "") {
  return h(
    "div",
    { class: `card-block ${extraClass}`.trim() },
    label ? h("div", { class: "card-label" }, label) : null,
    body,
  );
}

const BLOCKS = {
  header(block, data) {
    if (!present(data, block.text)) return null;
    const color = TAG_COLORS.has(data[block.tag_color]) ? data[block.tag_color] : "blue";
    return h(
      "div",
      { class: "card-header" },
      h("div", { class: "card-title", "data-testid": "card-title" }, data[block.text]),
      present(data, block.tag)
        ? h("span", { class: `card-tag tag-${color}`, "data-testid": "card-tag" }, data[block.tag])
        : null,
    );
  },
  fields(block, data) {
    const name = block.items;
    if (!present(data, name)) return null;
    const items = parseJson(data[name]);
    if (!Array.isArray(items) || !items.length) return null;
    return h(
      "dl",
      { class: "card-fields", "data-testid": "card-fields" },
      ...items.flatMap((f) => [
        h("dt", {}, String(f?.label ?? "")),
        h("dd", {}, String(f?.value ?? "")),
      ]),
    );
  },
  markdown(block, data) {
    if (!present(data, block.text)) return null;
    return labelled(block.label, markdownBox(data[block.text]));
  },
  text(block, data) {
    if (!present(data, block.text)) return null;
    const body = h("div", { class: block.emphasis ? "card-text emphasis" : "card-text" }, data[block.text]);
    return labelled(block.label, body);
  },
  input(block) {
    return h(
      "div",
      { class: "card-block" },
      block.label ? h("div", { class: "card-label" }, block.label) : null,
      h("textarea", {
        class: "card-input",
        rows: "2",
        name: block.name || "input",
        placeholder: block.placeholder || "",
        "data-testid": "card-input",
      }),
    );
  },
  actions(block, data, ctx) {
    const name = block.buttons;
    if (!present(data, name)) return null;
    const buttons = parseJson(data[name]);
    if (!Array.isArray(buttons) || !buttons.length) return null;
    return h(
      "div",
      { class: "card-actions" },
      ...buttons.map((btn) => {
        const style = ["primary", "danger"].includes(btn?.style) ? btn.style : "default";
        const el = h(
          "button",
          {
            type: "button",
            class: `card-btn btn-${style}`,
            "data-testid": "card-action",
            "data-action-id": String(btn?.actionId ?? ""),
          },
          String(btn?.text ?? btn?.actionId ?? "按钮"),
        );
        el.addEventListener("click", () => ctx.onAction(btn, el.closest(".card")));
        return el;
      }),
    );
  },
};

function genericCard(templateId, data) {
  const keys = Object.keys(data);
  return [
    h(
      "div",
      { class: "card-header" },
      h("div", { class: "card-title" }, data.title || "互动卡片"),
      h("span", { class: "card-tag tag-gray" }, "未知模板"),
    ),
    h("div", { class: "card-note" }, `模板 ${templateId || "（无）"} 没有定义，按键值显示：`),
    h(
      "dl",
      { class: "card-fields" },
      ...keys.flatMap((k) => [h("dt", {}, k), h("dd", {}, String(data[k]))]),
    ),
  ];
}

/** Collect the values of a card's inputs: {name: value}. */
export function cardInputs(cardEl) {
  const values = {};
  for (const input of cardEl.querySelectorAll(".card-input")) values[input.name] = input.value;
  return values;
}

/**
 * Draw a card.
 * @param {object|undefined} definition  the template definition (or undefined)
 * @param {object} item   the inbox item (templateId, outTrackId, cardData)
 * @param {{onAction: Function}} ctx
 */
export function renderCard(definition, item, ctx) {
  const data = item.cardData || {};
  const card = h("div", {
    class: "card",
    "data-testid": "card",
    "data-out-track-id": item.outTrackId || "",
    "data-template-id": item.templateId || "",
  });
  const layout = definition && Array.isArray(definition.layout) ? definition.layout : null;
  if (!layout) {
    card.append(...genericCard(item.templateId, data));
    return card;
  }
  const body = h("div", { class: "card-body" });
  for (const block of layout) {
    if (block.if && data[block.if] !== "true") continue;
    const draw = BLOCKS[block.type];
    const el = draw ? draw(block, data, ctx) : null;
    if (el) (block.type === "header" ? card : body).append(el);
  }
  card.append(body);
  if (!card.querySelector(".card-header")) {
    card.prepend(h("div", { class: "card-header" }, h("div", { class: "card-title" }, definition.name || "互动卡片")));
  }
  return card;
}
