// Alytus Passport check: verifies a passport token in the browser, with no server round trip.
// The token is base64url(payload) "." base64url(Ed25519 signature over the payload text);
// the public key is in the page, expiry is checked against this phone's clock, and
// revocation against the list fetched at load (kept in localStorage for offline use).
// Lithuanian first, English second, from the message catalogue (the page's data-texts, which
// the service worker keeps with the page); text goes into the page only through textContent.
(() => {
  "use strict";

  const LIST_KEY = "alytus-passport:revoked:v1";
  const FETCH_TIMEOUT_MS = 4000;
  const SCAN_INTERVAL_MS = 300;
  const MAX_TOKEN_CHARS = 400;

  const root = document.getElementById("check");
  const result = document.getElementById("result");
  const form = document.getElementById("entry");
  const field = document.getElementById("code");
  const scanButton = document.getElementById("scan-button");
  const video = document.getElementById("camera");
  const $ = (id) => document.getElementById(id);

  const TEXTS = JSON.parse(root.dataset.texts);

  /** A catalogue text as [Lithuanian, English], with its {placeholders} filled in. */
  function say(key, values = {}) {
    return TEXTS[key].map((text) =>
      text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole)));
  }

  /** Revocation list: {revoked: Set of numbers, at: ISO time it was made, fresh: bool}. */
  let revocations = { revoked: new Set(), at: null, fresh: false };
  let keyPromise = null;

  // ---- bytes --------------------------------------------------------------------------

  function fromBase64url(text) {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error("not base64url");
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function day(unixSeconds) {
    return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
  }

  function minute(iso) {
    return iso ? iso.slice(0, 16).replace("T", " ") : "—";
  }

  // ---- the public key and the revocation list ------------------------------------------

  function publicKey() {
    if (!keyPromise) {
      keyPromise = crypto.subtle.importKey(
        "raw", fromBase64url(root.dataset.publicKey), { name: "Ed25519" }, false, ["verify"],
      );
    }
    return keyPromise;
  }

  function rememberList(list) {
    revocations = { revoked: new Set(list.revoked || []), at: list.generated_at || null, fresh: true };
    try {
      window.localStorage.setItem(LIST_KEY, JSON.stringify(list));
    } catch {
      // Storage off: the list still holds for this page view.
    }
  }

  function storedList() {
    try {
      const list = JSON.parse(window.localStorage.getItem(LIST_KEY) || "null");
      if (list && Array.isArray(list.revoked)) {
        revocations = { revoked: new Set(list.revoked), at: list.generated_at || null, fresh: false };
      }
    } catch {
      // A damaged entry is as good as none.
    }
  }

  async function loadRevocations() {
    storedList();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    try {
      const response = await fetch(root.dataset.revokedUrl, {
        cache: "no-store", signal: controller.signal, credentials: "omit",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const list = await response.json();
      // The service worker answers from its cache when offline: that list is not fresh.
      rememberList(list);
      revocations.fresh = response.headers.get("x-from-cache") !== "1";
    } catch {
      // Offline or server down: keep what localStorage had.
    } finally {
      clearTimeout(timer);
    }
    showListState();
  }

  function showListState() {
    if (revocations.at === null) {
      [$("list-state-lt").textContent, $("list-state-en").textContent] = say("list_missing");
      return;
    }
    const state = say(revocations.fresh ? "list_fresh" : "list_offline", { when: minute(revocations.at) });
    [$("list-state-lt").textContent, $("list-state-en").textContent] = state;
  }

  // ---- verifying ------------------------------------------------------------------------

  function tokenFrom(text) {
    const trimmed = (text || "").trim();
    const at = trimmed.indexOf("#t=");
    return (at >= 0 ? trimmed.slice(at + 3) : trimmed).trim();
  }

  /** The verdict for a token: {status, reason: [lt, en], number?, level?, expires?}. */
  async function verify(token) {
    const notToken = { status: "invalid", reason: say("not_a_code") };
    const parts = token.split(".");
    if (token.length > MAX_TOKEN_CHARS || parts.length !== 2) return notToken;
    let payloadBytes;
    let signature;
    try {
      payloadBytes = fromBase64url(parts[0]);
      signature = fromBase64url(parts[1]);
    } catch {
      return notToken;
    }
    let key;
    try {
      key = await publicKey();
    } catch {
      return { status: "error", reason: say("no_ed25519") };
    }
    const signed = new TextEncoder().encode(parts[0]);
    const genuine = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, signed);
    if (!genuine) {
      return { status: "invalid", reason: say("bad_signature") };
    }
    let payload;
    try {
      payload = JSON.parse(new TextDecoder().decode(payloadBytes));
    } catch {
      payload = null;
    }
    if (!payload || payload.v !== 1 || typeof payload.n !== "string"
        || !Number.isInteger(payload.l) || !Number.isInteger(payload.x)) {
      return { status: "invalid", reason: say("unknown_format") };
    }
    const facts = { number: payload.n, level: payload.l, expires: day(payload.x) };
    if (revocations.revoked.has(payload.n)) {
      return { ...facts, status: "revoked", reason: say("revoked", { when: minute(revocations.at) }) };
    }
    if (Date.now() / 1000 >= payload.x) {
      return { ...facts, status: "expired", reason: say("expired", { date: facts.expires }) };
    }
    const reason = say("valid_until", { date: facts.expires });
    if (revocations.at === null) {
      const note = say("no_list_note");
      return { ...facts, status: "valid", reason: [reason[0] + note[0], reason[1] + note[1]] };
    }
    return { ...facts, status: "valid", reason };
  }

  function show(verdict) {
    const [lt, en] = say(`status_${verdict.status}`);
    result.dataset.status = verdict.status;
    $("status-lt").textContent = lt;
    $("status-en").textContent = en;
    [$("reason-lt").textContent, $("reason-en").textContent] = verdict.reason;
    const facts = $("facts");
    facts.hidden = !verdict.number;
    $("fact-number").textContent = verdict.number || "";
    $("fact-level").textContent = verdict.level === undefined ? "" : String(verdict.level);
    $("fact-expires").textContent = verdict.expires || "";
  }

  async function check(text) {
    const token = tokenFrom(text);
    if (!token) return;
    show(await verify(token));
  }

  // ---- where tokens come from: the fragment, the field, the camera ---------------------

  function fromFragment() {
    const hash = window.location.hash;
    return hash.startsWith("#t=") ? decodeURIComponent(hash.slice(3)) : "";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = tokenFrom(field.value);
    if (!token) return;
    // Keep it in the fragment: a reload checks it again, and it still never reaches a server.
    window.history.replaceState(null, "", `#t=${token}`);
    check(token);
  });

  window.addEventListener("hashchange", () => {
    field.value = fromFragment();
    check(field.value);
  });

  function setUpCamera() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    scanButton.hidden = false;
    scanButton.addEventListener("click", async () => {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      } catch {
        return;
      }
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const timer = setInterval(async () => {
        const codes = await detector.detect(video).catch(() => []);
        if (!codes.length) return;
        clearInterval(timer);
        stream.getTracks().forEach((track) => track.stop());
        video.hidden = true;
        field.value = codes[0].rawValue;
        form.requestSubmit();
      }, SCAN_INTERVAL_MS);
    });
  }

  // ---- working offline -----------------------------------------------------------------

  async function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    try {
      await navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.swScope });
      await navigator.serviceWorker.ready;
      root.dataset.offlineReady = "yes";
      $("offline-state").textContent = say("works_offline").join(" · ");
    } catch {
      root.dataset.offlineReady = "no";
    }
  }

  async function start() {
    setUpCamera();
    registerWorker();
    await loadRevocations();
    const token = fromFragment();
    if (token) {
      field.value = token;
      await check(token);
    }
    root.dataset.ready = "yes";
  }

  start();
})();
