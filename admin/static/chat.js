// Alytus Connect web chat: renders the bot's replies as Messenger-style bubbles.
// Every user-visible string comes from the server (the template's data-* attributes or the
// replies); server text is only ever put into the page with textContent, never innerHTML.
(() => {
  "use strict";

  const STORAGE_KEY = "alytus-chat:v1";
  const SAFE_LINK_PROTOCOLS = ["http:", "https:", "mailto:", "tel:"];
  const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;
  const RETRY_DELAY_MS = 800;

  const root = document.getElementById("chat");
  const list = document.getElementById("messages");
  const scroller = document.getElementById("scroller");
  const typing = document.getElementById("typing");
  const form = document.getElementById("composer");
  const input = document.getElementById("input");
  const params = new URLSearchParams(window.location.search);
  const ui = { error: root.dataset.error || "", download: root.dataset.download || "" };

  /** The rendered conversation: {role: "user", text} or {role: "bot", reply}. */
  let transcript = [];
  let queue = Promise.resolve();
  let pending = 0;

  // ---- storage: a reload shows the same conversation ------------------------------------

  function loadTranscript() {
    try {
      const stored = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      return Array.isArray(stored) ? stored : [];
    } catch {
      return [];
    }
  }

  /** Files (a member's data export) are not kept: they live only in the page that got them. */
  function withoutFiles(entry) {
    return entry.role === "bot" && entry.reply.file
      ? { ...entry, reply: { ...entry.reply, file: null } }
      : entry;
  }

  function saveTranscript() {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(transcript.map(withoutFiles)));
    } catch {
      // Storage full or disabled: the conversation still works, it just won't survive a reload.
    }
  }

  /** The member erased their data: keep nothing of the conversation in this tab. */
  function forgetTranscript() {
    transcript = [];
    list.replaceChildren();
    try {
      window.sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // storage disabled: nothing was kept
    }
  }

  // ---- small DOM builders -----------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(url, { image = false } = {}) {
    if (typeof url !== "string" || !url) return null;
    try {
      const parsed = new URL(url, window.location.href);
      if (SAFE_LINK_PROTOCOLS.includes(parsed.protocol)) return parsed.href;
      if (image && parsed.protocol === "data:" && /^data:image\//i.test(url)) return url;
    } catch {
      // not a URL at all
    }
    return null;
  }

  function anchor(label, url) {
    const href = safeUrl(url);
    if (!href) return el("span", null, label || url);
    const a = el("a", null, label || url);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  /** Text with its web addresses turned into links, built from text nodes only. */
  function linkifiedText(text) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(URL_IN_TEXT)) {
      fragment.append(text.slice(last, match.index), anchor(match[0], match[0]));
      last = match.index + match[0].length;
    }
    fragment.append(text.slice(last));
    return fragment;
  }

  function replyButton(button, className) {
    const node = el("button", className, button.label);
    node.type = "button";
    node.dataset.payload = button.payload;
    node.addEventListener("click", () => send({ payload: button.payload, label: button.label }));
    return node;
  }

  function image(url, className) {
    const src = safeUrl(url, { image: true });
    if (!src) return null;
    const img = el("img", className);
    img.src = src;
    img.alt = "";
    img.loading = "lazy";
    img.addEventListener("load", scrollToBottom, { once: true });
    return img;
  }

  function linkList(links, className) {
    const box = el("div", className);
    for (const link of links) box.append(anchor(link.label, link.url));
    return box;
  }

  function card(data) {
    const box = el("article", "card");
    const picture = image(data.image, "card__image");
    if (picture) box.append(picture);
    const body = el("div", "card__body");
    if (data.title) body.append(el("h2", "card__title", data.title));
    if (data.text) body.append(el("p", "card__text", data.text));
    if (data.links && data.links.length) body.append(linkList(data.links, "card__links"));
    box.append(body);
    if (data.buttons && data.buttons.length) {
      const actions = el("div", "card__actions");
      for (const button of data.buttons) actions.append(replyButton(button, "card__button"));
      box.append(actions);
    }
    return box;
  }

  function fileLink(file) {
    const blob = new Blob([file.content ?? ""], { type: file.mime || "application/octet-stream" });
    const a = el("a", "file");
    a.href = URL.createObjectURL(blob);
    a.download = file.name || "download";
    a.append(el("span", "file__label", ui.download), el("span", "file__name", file.name));
    return a;
  }

  // ---- messages ---------------------------------------------------------------------------

  function userMessage(text) {
    const item = el("li", "message message--user");
    const content = el("div", "message__content");
    content.append(el("div", "bubble", text));
    item.append(content);
    return item;
  }

  function botMessage(reply) {
    const item = el("li", "message message--bot");
    const avatar = el("span", "avatar");
    avatar.setAttribute("aria-hidden", "true");
    const content = el("div", "message__content");

    const links = reply.links || [];
    if (reply.text || links.length) {
      const bubble = el("div", "bubble");
      if (reply.text) bubble.append(linkifiedText(String(reply.text)));
      if (links.length) bubble.append(linkList(links, "bubble__links"));
      content.append(bubble);
    }
    const picture = image(reply.image, "message__image");
    if (picture) content.append(picture);
    if (reply.cards && reply.cards.length) {
      const cards = el("div", "cards");
      for (const data of reply.cards) cards.append(card(data));
      content.append(cards);
    }
    if (reply.file) content.append(fileLink(reply.file));

    item.append(avatar, content);
    return item;
  }

  /** Pills for the buttons of the bot's latest replies (the ones after the user's last turn). */
  function quickReplies() {
    const buttons = [];
    for (let i = transcript.length - 1; i >= 0 && transcript[i].role === "bot"; i--) {
      buttons.unshift(...(transcript[i].reply.buttons || []));
    }
    if (!buttons.length) return null;
    const row = el("li", "quick-replies");
    row.setAttribute("role", "group");
    for (const button of buttons) row.append(replyButton(button, "quick-reply"));
    return row;
  }

  function render() {
    list.replaceChildren();
    for (const entry of transcript) {
      list.append(entry.role === "user" ? userMessage(entry.text) : botMessage(entry.reply));
    }
    const row = quickReplies();
    if (row) list.append(row);
    scrollToBottom();
  }

  function removeQuickReplies() {
    for (const row of list.querySelectorAll(".quick-replies")) row.remove();
  }

  function showNotice(text) {
    const notice = el("li", "notice", text);
    notice.setAttribute("role", "alert");
    list.append(notice);
    scrollToBottom();
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function setBusy(delta) {
    pending += delta;
    const busy = pending > 0;
    typing.hidden = !busy;
    list.setAttribute("aria-busy", String(busy));
    if (busy) scrollToBottom();
  }

  // ---- talking to the server ----------------------------------------------------------------

  class RequestFailed extends Error {}

  function messageId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const POLL_INTERVAL_MS = 15000;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** POST one message; a network failure or 5xx is retried once with the same id. */
  async function post(body) {
    const request = {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    };
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await fetch("api/chat", request);
      } catch (networkError) {
        if (attempt === 0) {
          await sleep(RETRY_DELAY_MS);
          continue;
        }
        throw new RequestFailed(ui.error);
      }
      if (response.ok) return response.json();
      if (response.status >= 500 && attempt === 0) {
        await sleep(RETRY_DELAY_MS);
        continue;
      }
      let detail = null;
      try {
        detail = (await response.json()).detail;
      } catch {
        // not JSON
      }
      const readable = response.status < 500 && typeof detail === "string" && detail.trim();
      throw new RequestFailed(readable ? detail : ui.error);
    }
  }

  /**
   * Send typed text ({text}) or a pressed button ({payload, label}). Messages go out one at a
   * time, in order, so the conversation state on the server sees them as the member sent them.
   */
  function send(message) {
    const text = typeof message.text === "string" ? message.text.trim() : "";
    if (!text && !message.payload) return;

    const shown = text || message.label;
    const turn = shown ? { role: "user", text: shown } : null;
    removeQuickReplies();
    if (turn) {
      transcript.push(turn);
      list.append(userMessage(shown));
      saveTranscript();
    }
    scrollToBottom();

    const body = text ? { text } : { payload: message.payload };
    body.id = messageId();
    body.locale = params.get("lang") || navigator.language || "";

    setBusy(+1);
    queue = queue
      .then(() => post(body))
      .then((data) => showReplies((data && data.replies) || []))
      .catch((error) => {
        // Undo the unanswered turn so it can be sent again, and say what happened.
        transcript = transcript.filter((entry) => entry !== turn);
        saveTranscript();
        render();
        if (text && !input.value) {
          input.value = text;
          autoresize();
        }
        showNotice(error instanceof RequestFailed ? error.message : ui.error);
      })
      .finally(() => {
        setBusy(-1);
        scrollToBottom();
      });
  }

  /**
   * Show the bot's replies. A reply marked `forget` (the member's data was erased; the server
   * has already replaced the session cookie) clears the conversation first: only it and what
   * follows stay on screen, and nothing is stored, so a reload starts a new conversation.
   */
  function showReplies(replies) {
    const erased = replies.findIndex((reply) => reply && reply.forget);
    if (erased >= 0) forgetTranscript();
    for (const reply of erased >= 0 ? replies.slice(erased) : replies) {
      transcript.push({ role: "bot", reply });
      list.append(botMessage(reply));
    }
    removeQuickReplies();
    const row = quickReplies();
    if (row) list.append(row);
    if (erased < 0) saveTranscript();
  }

  /** Ask for what the bot has to say unprompted (an answer staff found, news), in turn. */
  function poll() {
    if (document.hidden) return;
    queue = queue
      .then(() => fetch("api/chat/updates", { credentials: "same-origin" }))
      .then((response) => (response.ok ? response.json() : { replies: [] }))
      .then((data) => {
        const replies = (data && data.replies) || [];
        if (replies.length) {
          showReplies(replies);
          scrollToBottom();
        }
      })
      .catch(() => {}); // a missed poll is retried by the next one
  }

  window.setInterval(poll, POLL_INTERVAL_MS);
  document.addEventListener("visibilitychange", poll);

  // ---- the composer -------------------------------------------------------------------------

  function autoresize() {
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight + 2}px`;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    autoresize();
    send({ text });
    input.focus();
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  input.addEventListener("input", autoresize);

  // ---- start --------------------------------------------------------------------------------

  transcript = loadTranscript();
  if (transcript.length) {
    render();
  } else {
    const referral = (params.get("ref") || "").trim();
    const valid = /^[A-Za-z0-9_-]{1,64}$/.test(referral);
    send({ payload: valid ? `/start ${referral}` : "/start" });
  }
  if (window.matchMedia("(pointer: fine)").matches) input.focus();
})();
