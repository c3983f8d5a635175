// The sandbox console: be any official, chat with the bot, move time, watch the calls.

import { cardInputs } from "./cards.js";
import { avatar, beijingInputs, formatClock, formatFull, formatMessageTime, h } from "./dom.js";
import { bubbleContent, previewText, workNotice } from "./messages.js";
import { safeUrl } from "./markdown.js";

const BOT_NAME = "政务助手";
const TIME_GAP_MS = 5 * 60 * 1000;
const STORE_KEY = "govbot.console";
const $ = (sel) => document.querySelector(sel);
const enc = encodeURIComponent;

const S = {
  users: [],
  usersById: {},
  units: [],
  groups: [],
  templates: {},
  me: null,
  chat: null, // conversation id
  tab: "chats",
  items: [],
  unread: {},
  clockOffset: 0,
  drawerOpen: false,
  search: "",
  callFilter: "",
  pendingRead: new Set(),
  forceScroll: false,
};

// ---------------------------------------------------------------------------- utilities

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const res = await fetch(path, options);
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw new Error(data?.error || data?.message || `请求失败（HTTP ${res.status}）`);
  return data;
}

let toastTimer = 0;
function toast(text, kind = "info") {
  const el = $("#toast");
  el.textContent = text;
  el.className = `toast show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.className = "toast"), 3500);
}

const timers = {};
function schedule(name, fn, ms = 120) {
  clearTimeout(timers[name]);
  timers[name] = setTimeout(() => fn().catch((e) => console.error(e)), ms);
}

function sandboxNow() {
  return Date.now() + S.clockOffset;
}

/** Keyed reconcile: reuse unchanged nodes (typed card opinions survive updates). */
function reconcile(container, rows) {
  const existing = new Map();
  for (const el of container.children) existing.set(el.dataset.key, el);
  const keep = new Set();
  let prev = null;
  for (const row of rows) {
    let el = existing.get(row.key);
    if (!el || el._sig !== row.sig) {
      const fresh = row.build();
      fresh.dataset.key = row.key;
      fresh._sig = row.sig;
      if (el) el.replaceWith(fresh);
      el = fresh;
    }
    keep.add(row.key);
    const expected = prev ? prev.nextSibling : container.firstChild;
    if (el !== expected) container.insertBefore(el, expected);
    prev = el;
  }
  for (const [key, el] of existing) if (!keep.has(key)) el.remove();
}

function signature(item) {
  const { read, ...rest } = item;
  return JSON.stringify(rest);
}

function saveLocation() {
  const hash = new URLSearchParams();
  if (S.me) hash.set("user", S.me);
  if (S.chat) hash.set("chat", S.chat);
  if (S.tab !== "chats") hash.set("tab", S.tab);
  history.replaceState(null, "", `#${hash}`);
  localStorage.setItem(STORE_KEY, JSON.stringify({ user: S.me, chat: S.chat, tab: S.tab }));
}

function loadLocation() {
  const hash = new URLSearchParams(location.hash.slice(1));
  let stored = {};
  try {
    stored = JSON.parse(localStorage.getItem(STORE_KEY) || "{}");
  } catch {
    stored = {};
  }
  const user = hash.get("user") || stored.user;
  const fromHash = Boolean(hash.get("user"));
  return {
    user,
    chat: fromHash ? hash.get("chat") : stored.chat,
    tab: (fromHash ? hash.get("tab") : stored.tab) || "chats",
  };
}

// --------------------------------------------------------------------------- directory

function renderDirectory() {
  const list = $("#directory-list");
  const q = S.search.trim().toLowerCase();
  list.replaceChildren();
  for (const unit of S.units) {
    const people = unit.users
      .map((id) => S.usersById[id])
      .filter(
        (u) =>
          !q ||
          [u.name, u.userId, u.unit, u.title, ...u.roleNames].some((v) => String(v).toLowerCase().includes(q)),
      );
    if (!people.length) continue;
    list.append(
      h(
        "section",
        { class: "unit", "data-testid": "unit", "data-unit": unit.name },
        h("div", { class: "unit-name" }, unit.name, h("span", { class: "unit-count" }, String(people.length))),
        ...people.map((u) =>
          h(
            "button",
            {
              type: "button",
              class: `person ${u.userId === S.me ? "active" : ""}`.trim(),
              "data-testid": "person",
              "data-user-id": u.userId,
              title: `${u.name}（${u.userId}）`,
              onclick: () => selectUser(u.userId),
            },
            avatar(u.name),
            h(
              "span",
              { class: "person-main" },
              h("span", { class: "person-name" }, u.name, h("span", { class: "person-title" }, u.title || "")),
              u.roleNames.length
                ? h(
                    "span",
                    { class: "roles" },
                    ...u.roleNames.map((r) => h("span", { class: "role", "data-testid": "role" }, r)),
                  )
                : null,
            ),
            h("span", { class: "badge", "data-testid": "unread-badge", hidden: !(S.unread[u.userId] > 0) }, String(S.unread[u.userId] || "")),
          ),
        ),
      ),
    );
  }
}

function updateBadges() {
  for (const row of document.querySelectorAll("#directory-list .person")) {
    const n = S.unread[row.dataset.userId] || 0;
    const badge = row.querySelector(".badge");
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.hidden = n === 0;
  }
}

async function refreshUnread() {
  S.unread = await api("GET", "/console/api/unread");
  updateBadges();
}

// ------------------------------------------------------------------------ conversations

function conversations() {
  const me = S.usersById[S.me];
  if (!me) return [];
  const list = [{ id: me.singleConversationId, title: BOT_NAME, kind: "single" }];
  for (const g of S.groups) {
    if (g.memberIds.includes(S.me)) {
      list.push({ id: g.conversationId, title: g.title, kind: "group", members: g.memberIds.length });
    }
  }
  for (const item of S.items) {
    if (item.conversationId && !list.some((c) => c.id === item.conversationId)) {
      list.push({ id: item.conversationId, title: item.title || "会话", kind: item.conversationType === "2" ? "group" : "single" });
    }
  }
  return list;
}

function itemsOf(convId) {
  return S.items.filter((i) => i.conversationId === convId);
}

function isUnread(item) {
  return item.direction === "in" && !item.read && !item.recalled;
}

function renderConversationList() {
  const convs = conversations();
  const now = sandboxNow();
  reconcile(
    $("#conversation-list"),
    convs.map((c) => {
      const items = itemsOf(c.id);
      const last = items[items.length - 1];
      const unread = items.filter(isUnread).length;
      const preview = last ? previewText(last) : c.kind === "group" ? `${c.members || ""} 人群聊` : "发送“帮助”开始";
      const who = last && c.kind === "group" && last.direction === "in" && last.from ? `${S.usersById[last.from]?.name || last.from}：` : "";
      return {
        key: c.id,
        sig: JSON.stringify([c, last?.id, last && signature(last), unread, S.chat === c.id, last && formatMessageTime(last.ts, now)]),
        build: () =>
          h(
            "button",
            {
              type: "button",
              class: `conv ${S.chat === c.id ? "active" : ""}`.trim(),
              "data-testid": "conversation",
              "data-conversation-id": c.id,
              "data-kind": c.kind,
              onclick: () => selectChat(c.id),
            },
            c.kind === "single" ? avatar(BOT_NAME, { bot: true }) : h("span", { class: "avatar group" }, "群"),
            h(
              "span",
              { class: "conv-main" },
              h("span", { class: "conv-top" }, h("span", { class: "conv-title" }, c.title), h("span", { class: "conv-time" }, last ? formatMessageTime(last.ts, now) : "")),
              h("span", { class: "conv-preview" }, who + preview),
            ),
            unread ? h("span", { class: "badge", "data-testid": "conversation-unread" }, String(unread)) : null,
          ),
      };
    }),
  );
}

function senderOf(item) {
  if (item.direction === "out") return S.usersById[S.me];
  if (item.kind === "user_message" && item.from) return S.usersById[item.from] || { name: item.from };
  return null; // the bot
}

function messageRow(item) {
  if (item.recalled) {
    const who = item.direction === "out" ? "你" : senderOf(item)?.name || BOT_NAME;
    return h("div", { class: "msg-system", "data-testid": "recalled" }, `${who}撤回了一条消息`);
  }
  const mine = item.direction === "out";
  const sender = senderOf(item);
  const name = sender ? sender.name : BOT_NAME;
  const { el, wide, bare } = bubbleContent(item, { templates: S.templates, onCardAction });
  const bubble = h(
    "div",
    { class: `bubble ${wide ? "wide" : ""} ${bare ? "bare" : ""}`.trim(), "data-testid": "bubble" },
    el,
  );
  return h(
    "div",
    {
      class: `msg ${mine ? "right" : "left"}`,
      "data-testid": "message",
      "data-id": item.id,
      "data-kind": item.kind,
      "data-direction": item.direction,
    },
    sender ? avatar(sender.name) : avatar(BOT_NAME, { bot: true }),
    h(
      "div",
      { class: "msg-main" },
      h("div", { class: "msg-sender" }, mine ? "" : name, item.kind === "card" ? h("span", { class: "msg-tag" }, "互动卡片") : null),
      bubble,
    ),
  );
}

function renderChat(forceBottom = false) {
  const convs = conversations();
  let conv = convs.find((c) => c.id === S.chat);
  if (!conv) {
    conv = convs[0];
    S.chat = conv?.id || null;
  }
  const box = $("#messages");
  if (!conv) {
    box.replaceChildren();
    return;
  }
  const title = $("#chat-title");
  title.replaceChildren(
    h("span", { class: "chat-name" }, conv.title),
    conv.kind === "group" ? h("span", { class: "chat-sub" }, `（${conv.members || ""}人）`) : h("span", { class: "chat-sub" }, "机器人"),
  );
  $("#attach").disabled = conv.kind === "group";
  $("#attach").title = conv.kind === "group" ? "群聊中只能发送文字" : "发送文件";
  $("#composer-input").placeholder = conv.kind === "group" ? `发送到 ${conv.title}（@${BOT_NAME}）` : `发消息给 ${BOT_NAME}，Enter 发送，Shift+Enter 换行`;

  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  const items = itemsOf(conv.id);
  const now = sandboxNow();
  const rows = [];
  let lastTs = 0;
  for (const item of items) {
    if (item.ts - lastTs > TIME_GAP_MS) {
      const label = formatMessageTime(item.ts, now);
      rows.push({ key: `t-${item.id}`, sig: label, build: () => h("div", { class: "msg-time-sep" }, label) });
    }
    lastTs = item.ts;
    rows.push({ key: item.id, sig: signature(item) + (S.templates[item.templateId] ? "+t" : ""), build: () => messageRow(item) });
  }
  if (!items.length) {
    rows.push({
      key: "empty",
      sig: conv.id,
      build: () => h("div", { class: "msg-empty" }, conv.kind === "group" ? "群里还没有消息" : "还没有消息，发送“帮助”试试"),
    });
  }
  reconcile(box, rows);
  if (forceBottom || nearBottom || S.forceScroll) box.scrollTop = box.scrollHeight;
  S.forceScroll = false;
  markRead(items);
}

function markRead(items) {
  if (document.visibilityState !== "visible") return;
  const ids = items.filter((i) => isUnread(i) && !S.pendingRead.has(i.id)).map((i) => i.id);
  if (!ids.length) return;
  for (const id of ids) S.pendingRead.add(id);
  api("POST", `/sandbox/users/${enc(S.me)}/read`, { ids })
    .catch((e) => toast(e.message, "error"))
    .finally(() => {
      for (const id of ids) S.pendingRead.delete(id);
    });
}

// ---------------------------------------------------------- work notifications and todos

function renderNotices() {
  const items = S.items.filter((i) => i.kind === "work_notification").reverse();
  const now = sandboxNow();
  const rows = items.map((item) => ({
    key: item.id,
    sig: signature(item),
    build: () => {
      const { body, headText } = workNotice(item);
      return h(
        "article",
        { class: `notice ${item.recalled ? "recalled" : ""}`.trim(), "data-testid": "work-notice", "data-id": item.id },
        h(
          "header",
          {},
          avatar(BOT_NAME, { bot: true }),
          h("span", { class: "notice-from" }, `工作通知 · ${BOT_NAME}`),
          h("span", { class: "notice-time" }, formatMessageTime(item.ts, now)),
        ),
        headText ? h("div", { class: "notice-title" }, headText) : null,
        item.recalled ? h("div", { class: "msg-system" }, "该通知已撤回") : body,
      );
    },
  }));
  if (!rows.length) rows.push({ key: "empty", sig: "", build: () => h("div", { class: "msg-empty" }, "暂无工作通知") });
  reconcile($("#notices-list"), rows);
  markRead(items);
}

function todoDone(item) {
  const todo = item.todo || {};
  const me = S.usersById[S.me];
  const mine = (todo.executorStatusList || []).find((e) => e.id === me?.unionId);
  return Boolean(todo.done || mine?.isDone);
}

function renderTodos() {
  const items = S.items.filter((i) => i.kind === "todo");
  const now = sandboxNow();
  const open = items.filter((i) => !todoDone(i) && !i.todo?.deleted);
  const rest = items.filter((i) => !open.includes(i));
  const rows = [...open, ...rest].map((item) => ({
    key: item.id,
    sig: signature(item) + formatMessageTime(now, now),
    build: () => {
      const todo = item.todo || {};
      const done = todoDone(item);
      const due = Number(todo.dueTime) || 0;
      const overdue = !done && due && due < now;
      const status = todo.deleted ? "已删除" : done ? "已完成" : overdue ? "已逾期" : "待处理";
      const detail = safeUrl(todo.detailUrl?.pcUrl || todo.detailUrl?.appUrl);
      return h(
        "article",
        { class: `todo ${done ? "done" : ""} ${overdue ? "overdue" : ""}`.trim(), "data-testid": "todo", "data-id": item.id },
        h("span", { class: "todo-check" }, done ? "✓" : ""),
        h(
          "div",
          { class: "todo-main" },
          h("div", { class: "todo-subject", "data-testid": "todo-subject" }, todo.subject || item.title),
          todo.description || item.text ? h("div", { class: "todo-desc" }, todo.description || item.text) : null,
          h(
            "div",
            { class: "todo-meta" },
            due ? h("span", { "data-testid": "todo-due" }, `截止：${formatFull(due).slice(0, 16)}`) : h("span", {}, "无截止时间"),
            h("span", { class: `todo-status s-${status}`, "data-testid": "todo-status" }, status),
            detail ? h("a", { href: detail, target: "_blank", rel: "noopener noreferrer" }, "查看详情") : null,
          ),
        ),
      );
    },
  }));
  if (!rows.length) rows.push({ key: "empty", sig: "", build: () => h("div", { class: "msg-empty" }, "暂无待办") });
  reconcile($("#todos-list"), rows);
  markRead(items);
}

function renderTabs() {
  for (const btn of document.querySelectorAll(".tabs button")) {
    btn.classList.toggle("active", btn.dataset.tab === S.tab);
  }
  for (const pane of document.querySelectorAll(".pane")) pane.hidden = pane.dataset.pane !== S.tab;
  const count = (pred) => S.items.filter((i) => pred(i) && isUnread(i)).length;
  const counts = {
    chats: count((i) => i.conversationId),
    notices: count((i) => i.kind === "work_notification"),
    todos: S.items.filter((i) => i.kind === "todo" && !todoDone(i) && !i.todo?.deleted).length,
  };
  for (const [tab, n] of Object.entries(counts)) {
    const badge = document.querySelector(`.tabs button[data-tab="${tab}"] .badge`);
    badge.textContent = String(n);
    badge.hidden = n === 0;
  }
}

function renderWorkspace(forceBottom = false) {
  renderTabs();
  renderConversationList();
  if (S.tab === "chats") renderChat(forceBottom);
  else if (S.tab === "notices") renderNotices();
  else renderTodos();
}

async function refreshInbox(forceBottom = false) {
  if (!S.me) return;
  const me = S.me;
  const items = await api("GET", `/console/api/users/${enc(me)}/inbox`);
  if (me !== S.me) return;
  S.items = items;
  renderWorkspace(forceBottom);
}

// ----------------------------------------------------------------------------- actions

function renderMe() {
  const u = S.usersById[S.me];
  const box = $("#current-user");
  if (!u) {
    box.replaceChildren("请选择身份");
    return;
  }
  box.replaceChildren(
    avatar(u.name, { size: "small" }),
    h("span", { class: "me-name", "data-testid": "current-user-name" }, u.name),
    h("span", { class: "me-roles" }, u.roleNames.join("、") || u.title || u.unit),
  );
  document.title = `${u.name} · ${BOT_NAME}沙盒`;
}

async function selectUser(userId) {
  if (!S.usersById[userId]) return;
  if (userId !== S.me) {
    S.me = userId;
    S.items = [];
    S.chat = S.usersById[userId].singleConversationId;
    $("#messages").replaceChildren();
    $("#conversation-list").replaceChildren();
    $("#notices-list").replaceChildren();
    $("#todos-list").replaceChildren();
  }
  document.body.classList.remove("dir-open");
  for (const row of document.querySelectorAll("#directory-list .person")) {
    row.classList.toggle("active", row.dataset.userId === userId);
  }
  renderMe();
  saveLocation();
  await refreshInbox(true);
}

function selectChat(convId) {
  if (S.chat !== convId) $("#messages").replaceChildren();
  S.chat = convId;
  S.tab = "chats";
  saveLocation();
  renderWorkspace(true);
  $("#composer-input").focus({ preventScroll: true });
}

function selectTab(tab) {
  S.tab = tab;
  saveLocation();
  renderWorkspace(true);
}

async function sendText() {
  const input = $("#composer-input");
  const text = input.value;
  if (!text.trim() || !S.me) return;
  const conv = conversations().find((c) => c.id === S.chat);
  input.value = "";
  try {
    if (conv && conv.kind === "group") {
      await api("POST", `/sandbox/groups/${enc(conv.id)}/messages`, { userId: S.me, text });
    } else {
      await api("POST", `/sandbox/users/${enc(S.me)}/messages`, { text });
    }
    S.forceScroll = true;
    await refreshInbox(true);
  } catch (e) {
    input.value = text;
    toast(e.message, "error");
  }
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function sendFile(file) {
  if (!file || !S.me) return;
  if (file.size > 20 * 1024 * 1024) {
    toast("文件不能超过 20MB", "error");
    return;
  }
  try {
    const content = await readBase64(file);
    await api("POST", `/sandbox/users/${enc(S.me)}/messages`, { file: { name: file.name, content_base64: content } });
    await refreshInbox(true);
  } catch (e) {
    toast(e.message, "error");
  }
}

async function onCardAction(button, cardEl) {
  const outTrackId = cardEl?.dataset.outTrackId;
  if (!outTrackId) return;
  const buttons = cardEl.querySelectorAll(".card-btn");
  for (const b of buttons) b.disabled = true;
  try {
    // Like the DingTalk client: which button, and what was typed; the template decides
    // the params sent back.
    const res = await api("POST", `/sandbox/cards/${enc(outTrackId)}/click`, {
      userId: S.me,
      button: button.id,
      inputs: cardInputs(cardEl),
    });
    if (res.skipped) toast(res.skipped);
    else if (!res.acked) toast("机器人没有在 2 秒内确认这次点击", "error");
    else if (res.error) toast(res.error, "error");
    else toast(`已提交：${button.text}`);
  } catch (e) {
    toast(e.message, "error");
  } finally {
    for (const b of buttons) b.disabled = false;
    await refreshInbox();
  }
}

// ------------------------------------------------------------------------------- clock

async function refreshClock() {
  const view = await api("GET", "/sandbox/clock");
  S.clockOffset = view.epoch_ms - Date.now();
  tickClock();
}

function tickClock() {
  $("#sandbox-time").textContent = formatClock(sandboxNow());
}

async function moveClock(body, label) {
  try {
    const view = await api("POST", "/sandbox/clock", body);
    S.clockOffset = view.epoch_ms - Date.now();
    tickClock();
    toast(`${label}：${formatClock(view.epoch_ms)}`);
  } catch (e) {
    toast(e.message, "error");
  }
}

async function nextWorkday() {
  try {
    const { next } = await api("GET", "/console/api/next-workday");
    await moveClock({ set: next }, "已到下一个工作日");
  } catch (e) {
    toast(e.message, "error");
  }
}

function openJump() {
  const pop = $("#jump-popover");
  pop.hidden = !pop.hidden;
  if (!pop.hidden) {
    const now = beijingInputs(sandboxNow());
    $("#jump-date").value = now.date;
    $("#jump-time").value = now.time;
  }
}

async function jump(event) {
  event.preventDefault();
  const d = $("#jump-date").value;
  const t = $("#jump-time").value;
  if (!d || !t) {
    toast("请选择日期和时间", "error");
    return;
  }
  $("#jump-popover").hidden = true;
  await moveClock({ set: `${d}T${t.length === 5 ? `${t}:00` : t}+08:00` }, "已跳到");
}

// ------------------------------------------------------------------- calls and faults

function pretty(value) {
  if (value === null || value === undefined || value === "") return "（无）";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** Top-level fields that hold JSON text (msgParam, cardParamMap values…), parsed. */
function expandJsonStrings(body) {
  if (!body || typeof body !== "object" || Array.isArray(body)) return null;
  const expanded = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string" && /^\s*[[{]/.test(value)) {
      try {
        expanded[key] = JSON.parse(value);
      } catch {
        /* not JSON after all */
      }
    }
  }
  return Object.keys(expanded).length ? expanded : null;
}

function callRow(call) {
  const ok = call.status < 400;
  const hasQuery = call.query && Object.keys(call.query).length;
  const expanded = expandJsonStrings(call.body);
  return h(
    "details",
    { class: "call", "data-testid": "call", "data-path": call.path },
    h(
      "summary",
      {},
      h("span", { class: "call-time" }, formatFull(call.ts).slice(11)),
      h("span", { class: "call-method" }, call.method),
      h("span", { class: "call-path" }, call.path),
      h("span", { class: `call-status ${ok ? "ok" : "bad"}` }, String(call.status)),
    ),
    hasQuery ? h("div", { class: "call-label" }, "查询参数") : null,
    hasQuery ? h("pre", {}, pretty(call.query)) : null,
    h("div", { class: "call-label" }, "请求"),
    h("pre", { "data-testid": "call-request" }, pretty(call.body)),
    expanded ? h("div", { class: "call-label" }, `其中 ${Object.keys(expanded).join("、")} 是 JSON 字符串，展开如下`) : null,
    expanded ? h("pre", {}, pretty(expanded)) : null,
    h("div", { class: "call-label" }, "响应"),
    h("pre", { "data-testid": "call-response" }, pretty(call.response)),
  );
}

async function refreshCalls() {
  if (!S.drawerOpen) return;
  const [{ total, calls }, faults, stream] = await Promise.all([
    api("GET", "/console/api/calls"),
    api("GET", "/sandbox/faults"),
    api("GET", "/sandbox/stream/status"),
  ]);
  const q = S.callFilter.trim().toLowerCase();
  const shown = calls.filter((c) => !q || c.path.toLowerCase().includes(q));
  $("#calls-count").textContent = `共 ${total} 次`;
  reconcile(
    $("#calls-list"),
    shown.length
      ? shown.map((c) => ({ key: String(c.id), sig: "", build: () => callRow(c) }))
      : [{ key: "empty", sig: "", build: () => h("div", { class: "msg-empty" }, "还没有调用") }],
  );
  $("#fault-state").textContent =
    `Stream 连接 ${stream.connections} 个 · 待失败 ${faults.fail_next} 次（${faults.fail_status}）· 待重复 ${faults.duplicate_next} 帧`;
}

async function setFault(body, label) {
  try {
    await api("POST", "/sandbox/faults", body);
    toast(label);
  } catch (e) {
    toast(e.message, "error");
  }
  await refreshCalls();
}

function toggleDrawer(open = !S.drawerOpen) {
  S.drawerOpen = open;
  document.body.classList.toggle("drawer-open", open);
  $("#calls-drawer").hidden = !open;
  if (open) refreshCalls().catch((e) => toast(e.message, "error"));
}

// ---------------------------------------------------------------------------- live feed

function connectEvents() {
  const live = $("#live");
  const source = new EventSource("/sandbox/events");
  source.onopen = () => {
    live.classList.add("on");
    live.title = "实时连接正常";
    schedule("inbox", () => refreshInbox(), 10);
    schedule("unread", refreshUnread, 10);
    schedule("clock", refreshClock, 10);
  };
  source.onerror = () => {
    live.classList.remove("on");
    live.title = "实时连接中断，正在重连…";
  };
  source.onmessage = (event) => {
    let ev;
    try {
      ev = JSON.parse(event.data);
    } catch {
      return;
    }
    if (ev.type === "inbox") {
      schedule("unread", refreshUnread, 150);
      if (!ev.userId || ev.userId === S.me) schedule("inbox", () => refreshInbox(), 80);
    } else if (ev.type === "card") {
      schedule("inbox", () => refreshInbox(), 80);
    } else if (ev.type === "clock") {
      S.clockOffset = ev.epoch_ms - Date.now();
      tickClock();
      schedule("inbox", () => refreshInbox(), 80);
    } else if (ev.type === "call" && S.drawerOpen) {
      schedule("calls", refreshCalls, 250);
    }
  };
}

// --------------------------------------------------------------------------------- boot

function bind() {
  $("#directory-search").addEventListener("input", (e) => {
    S.search = e.target.value;
    renderDirectory();
  });
  $("#open-directory").addEventListener("click", () => document.body.classList.toggle("dir-open"));
  $("#dir-backdrop").addEventListener("click", () => document.body.classList.remove("dir-open"));
  for (const btn of document.querySelectorAll(".tabs button")) {
    btn.addEventListener("click", () => selectTab(btn.dataset.tab));
  }
  const input = $("#composer-input");
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendText();
    }
  });
  $("#composer").addEventListener("submit", (e) => {
    e.preventDefault();
    sendText();
  });
  $("#attach").addEventListener("click", () => $("#file-input").click());
  $("#file-input").addEventListener("change", (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    sendFile(file);
  });
  $("#advance-hour").addEventListener("click", () => moveClock({ advance_seconds: 3600 }, "已前进 1 小时"));
  $("#advance-workday").addEventListener("click", nextWorkday);
  $("#jump-open").addEventListener("click", openJump);
  $("#jump-popover").addEventListener("submit", jump);
  $("#jump-cancel").addEventListener("click", () => ($("#jump-popover").hidden = true));
  $("#toggle-calls").addEventListener("click", () => toggleDrawer());
  $("#close-calls").addEventListener("click", () => toggleDrawer(false));
  $("#calls-filter").addEventListener("input", (e) => {
    S.callFilter = e.target.value;
    refreshCalls();
  });
  $("#clear-calls").addEventListener("click", async () => {
    await api("DELETE", "/sandbox/calls");
    await refreshCalls();
  });
  $("#fault-drop").addEventListener("click", () => setFault({ drop_stream: true }, "已断开 Stream 连接"));
  $("#fault-dup").addEventListener("click", () => setFault({ duplicate_next: 1 }, "下一帧将重复投递"));
  $("#fault-expire").addEventListener("click", () => setFault({ expire_tokens: true }, "所有访问令牌已过期"));
  $("#fault-fail").addEventListener("submit", (e) => {
    e.preventDefault();
    const n = Number($("#fault-count").value) || 0;
    const status = Number($("#fault-status").value) || 500;
    setFault({ fail_next: n, status }, `接下来 ${n} 次调用将返回 ${status}`);
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") renderWorkspace();
  });
  window.addEventListener("hashchange", () => {
    const loc = loadLocation();
    if (loc.user && loc.user !== S.me) selectUser(loc.user);
  });
}

async function boot() {
  bind();
  const [dir, templates] = await Promise.all([api("GET", "/console/api/directory"), api("GET", "/console/api/cards")]);
  S.users = dir.users;
  S.units = dir.units;
  S.groups = dir.groups;
  S.templates = templates;
  for (const u of dir.users) S.usersById[u.userId] = u;
  await Promise.all([refreshClock(), refreshUnread().catch(() => {})]);
  renderDirectory();
  setInterval(tickClock, 1000);
  setInterval(() => refreshClock().catch(() => {}), 30000);
  const loc = loadLocation();
  S.tab = ["chats", "notices", "todos"].includes(loc.tab) ? loc.tab : "chats";
  const first = S.units[0]?.users[0];
  const user = S.usersById[loc.user] ? loc.user : first;
  S.chat = loc.chat || null;
  if (user) {
    S.me = user;
    renderMe();
    for (const row of document.querySelectorAll("#directory-list .person")) {
      row.classList.toggle("active", row.dataset.userId === user);
    }
    saveLocation();
    await refreshInbox(true);
  }
  connectEvents();
  document.body.dataset.ready = "true";
}

boot().catch((e) => {
  console.error(e);
  toast(`控制台加载失败：${e.message}`, "error");
});

