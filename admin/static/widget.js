// Alytus Connect chat widget: one <script src="https://<app>/static/widget.js" defer> on
// another site puts a chat button and panel on its pages.
//
// - Everything lives in a shadow root, styled by widget.css from the app's origin: the host
//   page's CSS does not leak in and ours does not leak out; no inline styles or scripts, so a
//   host CSP that allows the app's origin (script-src, style-src, connect-src) is enough.
// - Third-party cookies are blocked, so the member's token is kept in the host page's
//   localStorage and sent in the X-Alytus-Chat-Session header (fetch with credentials
//   "omit"); the app answers only origins listed in ALYTUS_WIDGET_ORIGINS (CORS).
// - Server text is only put into the page with textContent, never innerHTML.
// Optional attributes on the script tag: data-lang="lt|en".
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || window.__alytusChatWidget) return;
  window.__alytusChatWidget = true;

  const APP = new URL(script.src, window.location.href).origin;
  const SESSION_HEADER = "X-Alytus-Chat-Session";
  const KEY = `alytus-widget:${APP}`;
  const SAFE_PROTOCOLS = ["http:", "https:", "mailto:", "tel:"];
  const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;
  const POLL_INTERVAL_MS = 15000;
  const RETRY_DELAY_MS = 800;
  const lang = (
    script.dataset.lang ||
    document.documentElement.lang ||
    navigator.language ||
    "lt"
  ).slice(0, 2).toLowerCase();

  // ---- storage: the session token and the conversation, per app ---------------------------

  const storage = {
    get(name, fallback) {
      try {
        const value = JSON.parse(window.localStorage.getItem(`${KEY}:${name}`) || "null");
        return value === null ? fallback : value;
      } catch {
        return fallback;
      }
    },
    set(name, value) {
      try {
        window.localStorage.setItem(`${KEY}:${name}`, JSON.stringify(value));
      } catch {
        // storage disabled: the chat works, it just forgets on reload
      }
    },
    remove(name) {
      try {
        window.localStorage.removeItem(`${KEY}:${name}`);
      } catch {
        // storage disabled: nothing was kept
      }
    },
  };

  let session = storage.get("session", "");
  let transcript = storage.get("transcript", []);
  let ui = { title: "Alytus Connect", subtitle: "", placeholder: "", send: "➤", error: "!",
    download: "⇩", open: "Alytus Connect", close: "×" };
  let queue = Promise.resolve();
  let pending = 0;

  // ---- the DOM -------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(path) {
    const ns = "http://www.w3.org/2000/svg";
    const icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    const shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    shape.setAttribute("fill", "currentColor");
    icon.append(shape);
    return icon;
  }

  const host = el("div");
  host.id = "alytus-chat-widget";
  host.hidden = true; // shown once our stylesheet has loaded: no flash of unstyled widget
  const shadow = host.attachShadow({ mode: "open" });
  const style = el("link");
  style.rel = "stylesheet";
  style.href = `${APP}/static/widget.css`;
  style.addEventListener("load", () => { host.hidden = false; });

  const launcher = el("button", "launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.append(svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2Z"));

  const panel = el("section", "panel");
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  const header = el("header", "panel__header");
  const heading = el("div", "panel__heading");
  const title = el("h2", "panel__title");
  const subtitle = el("p", "panel__subtitle");
  heading.append(title, subtitle);
  const closer = el("button", "panel__close");
  closer.type = "button";
  closer.append(svg("M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4Z"));
  header.append(heading, closer);

  const scroller = el("div", "panel__body");
  const list = el("ol", "messages");
  list.setAttribute("role", "log");
  list.setAttribute("aria-live", "polite");
  list.setAttribute("aria-busy", "false");
  const typing = el("div", "typing");
  typing.hidden = true;
  typing.append(el("i"), el("i"), el("i"));
  scroller.append(list, typing);

  const form = el("form", "composer");
  const input = el("textarea", "composer__input");
  input.rows = 1;
  input.setAttribute("enterkeyhint", "send");
  const sendButton = el("button", "composer__send");
  sendButton.type = "submit";
  sendButton.append(svg("M3.4 20.4 21.9 12.5a.6.6 0 0 0 0-1L3.4 3.6a.6.6 0 0 0-.8.7L4.9 11 15 12 4.9 13l-2.3 6.7a.6.6 0 0 0 .8.7Z"));
  form.append(input, sendButton);

  panel.append(header, scroller, form);
  shadow.append(style, launcher, panel);

  function applyWords() {
    title.textContent = ui.title;
    subtitle.textContent = ui.subtitle;
    input.placeholder = ui.placeholder;
    input.setAttribute("aria-label", ui.placeholder);
    sendButton.setAttribute("aria-label", ui.send);
    closer.setAttribute("aria-label", ui.close);
    launcher.setAttribute("aria-label", ui.open);
    launcher.title = ui.open;
    panel.setAttribute("aria-label", ui.title);
  }

  // ---- rendering replies ---------------------------------------------------------------------

  function safeUrl(url, { image = false } = {}) {
    if (typeof url !== "string" || !url) return null;
    try {
      const parsed = new URL(url, APP);
      if (SAFE_PROTOCOLS.includes(parsed.protocol)) return parsed.href;
      if (image && /^data:image\//i.test(url)) return url;
    } catch {
      // not a URL
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

  function linkified(text) {
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

  function picture(url, className) {
    const src = safeUrl(url, { image: true });
    if (!src) return null;
    const img = el("img", className);
    img.src = src;
    img.alt = "";
    img.loading = "lazy";
    img.addEventListener("load", scrollToBottom, { once: true });
    return img;
  }

  function links(items) {
    const box = el("div", "links");
    for (const link of items) box.append(anchor(link.label, link.url));
    return box;
  }

  function card(data) {
    const box = el("article", "card");
    const image = picture(data.image, "card__image");
    if (image) box.append(image);
    if (data.title) box.append(el("h3", "card__title", data.title));
    if (data.text) box.append(el("p", "card__text", data.text));
    if (data.links && data.links.length) box.append(links(data.links));
    for (const button of data.buttons || []) box.append(replyButton(button, "card__button"));
    return box;
  }

  function file(data) {
    const blob = new Blob([data.content ?? ""], { type: data.mime || "application/octet-stream" });
    const a = el("a", "file", `${ui.download}: ${data.name}`);
    a.href = URL.createObjectURL(blob);
    a.download = data.name || "download";
    return a;
  }

  function message(entry) {
    if (entry.role === "user") {
      const item = el("li", "message message--user");
      item.append(el("div", "bubble", entry.text));
      return item;
    }
    const reply = entry.reply;
    const item = el("li", "message message--bot");
    if (reply.text || (reply.links && reply.links.length)) {
      const bubble = el("div", "bubble");
      if (reply.text) bubble.append(linkified(String(reply.text)));
      if (reply.links && reply.links.length) bubble.append(links(reply.links));
      item.append(bubble);
    }
    const image = picture(reply.image, "message__image");
    if (image) item.append(image);
    for (const data of reply.cards || []) item.append(card(data));
    if (reply.file) item.append(file(reply.file));
    return item;
  }

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
    list.replaceChildren(...transcript.map(message));
    const row = quickReplies();
    if (row) list.append(row);
    scrollToBottom();
  }

  function remember() {
    // a data export is not kept: it lives only in the page that got it
    storage.set("transcript", transcript.map((entry) => (
      entry.role === "bot" && entry.reply.file ? { ...entry, reply: { ...entry.reply, file: null } } : entry
    )));
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function setBusy(delta) {
    pending += delta;
    typing.hidden = pending <= 0;
    list.setAttribute("aria-busy", String(pending > 0));
    scrollToBottom();
  }

  function notice(text) {
    const item = el("li", "notice", text);
    item.setAttribute("role", "alert");
    list.append(item);
    scrollToBottom();
  }

  // ---- talking to the app --------------------------------------------------------------------

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function request(path, init = {}) {
    return fetch(`${APP}${path}`, {
      ...init,
      mode: "cors",
      credentials: "omit",
      headers: { Accept: "application/json", [SESSION_HEADER]: session || "new", ...init.headers },
    });
  }

  function keepSession(data) {
    if (data && typeof data.session === "string" && data.session !== session) {
      session = data.session;
      storage.set("session", session);
    }
    return (data && data.replies) || [];
  }

  /** POST one message; a network failure or 5xx is retried once with the same id. */
  async function post(body) {
    for (let attempt = 0; ; attempt++) {
      let response = null;
      try {
        response = await request("/api/chat", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      } catch {
        // network failure or refused by CORS
      }
      if (response && response.ok) return keepSession(await response.json());
      if (attempt === 0 && (!response || response.status >= 500)) {
        await sleep(RETRY_DELAY_MS);
        continue;
      }
      throw new Error(ui.error);
    }
  }

  function messageId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return crypto.randomUUID();
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }

  /**
   * A reply marked `forget` (the member erased their data) clears the conversation first:
   * only it and what follows stay on screen, and nothing of it is stored; the app sent a new
   * session token with it (kept by keepSession), so a reload starts a new conversation.
   */
  function showReplies(replies) {
    const erased = replies.findIndex((reply) => reply && reply.forget);
    if (erased >= 0) transcript = [];
    for (const reply of erased >= 0 ? replies.slice(erased) : replies) {
      transcript.push({ role: "bot", reply });
    }
    if (erased >= 0) storage.remove("transcript");
    else remember();
    render();
  }

  /** Typed text ({text}) or a pressed button ({payload, label}), one at a time, in order. */
  function send(outgoing) {
    const text = typeof outgoing.text === "string" ? outgoing.text.trim() : "";
    if (!text && !outgoing.payload) return;
    const shown = text || outgoing.label;
    const turn = shown ? { role: "user", text: shown } : null;
    if (turn) transcript.push(turn);
    render();
    const body = text ? { text } : { payload: outgoing.payload };
    body.id = messageId();
    body.locale = lang;
    setBusy(+1);
    queue = queue
      .then(() => post(body))
      .then(showReplies)
      .catch(() => {
        transcript = transcript.filter((entry) => entry !== turn);
        remember();
        render();
        if (text && !input.value) input.value = text;
        notice(ui.error);
      })
      .finally(() => setBusy(-1));
    remember();
  }

  function poll() {
    if (document.hidden || panel.hidden || !session) return;
    queue = queue
      .then(() => request("/api/chat/updates"))
      .then((response) => (response.ok ? response.json() : { replies: [] }))
      .then((data) => {
        const replies = keepSession(data);
        if (replies.length) showReplies(replies);
      })
      .catch(() => {}); // a missed poll is retried by the next one
  }

  // ---- opening, closing, typing --------------------------------------------------------------

  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    if (transcript.length) {
      render();
      poll();
    } else {
      send({ payload: "/start" });
    }
    if (window.matchMedia("(pointer: fine)").matches) input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", open);
  closer.addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    send({ text });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  window.setInterval(poll, POLL_INTERVAL_MS);
  document.addEventListener("visibilitychange", poll);

  applyWords();
  request(`/api/chat/widget?lang=${encodeURIComponent(lang)}`)
    .then((response) => (response.ok ? response.json() : null))
    .then((data) => {
      if (data && data.ui) {
        ui = { ...ui, ...data.ui };
        applyWords();
      }
    })
    .catch(() => {}) // the built-in words stay
    .finally(() => host.setAttribute("data-ready", "yes"));

  (document.body || document.documentElement).append(host);
})();
