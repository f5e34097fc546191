/*
 * SEN support chat widget. One script tag on any page:
 *   <script src="https://YOUR-ASSISTANT-HOST/webhooks/web/widget.js" defer></script>
 * No build step, no framework, no requests anywhere but the assistant that served this file.
 *
 * Safety: everything the parent types and everything the assistant replies is shown as text
 * (textContent and text nodes only, never innerHTML); links are built as elements and only
 * for https URLs. The conversation is kept in this tab's sessionStorage (see docs/widget.md).
 */
(function () {
  "use strict";

  if (window.__senChatWidgetLoaded) { return; }
  window.__senChatWidgetLoaded = true;

  function findOwnScript() {
    if (document.currentScript && document.currentScript.src) { return document.currentScript; }
    var scripts = document.querySelectorAll("script[src]");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/widget\.js(?:[?#].*)?$/.test(scripts[i].src)) { return scripts[i]; }
    }
    return null;
  }

  var script = findOwnScript();
  if (!script) { return; }
  // The API lives next to this file: https://HOST/webhooks/web/
  var API = new URL("./", new URL(script.src, document.baseURI)).href;
  var STORE_KEY = "sen-chat:v1:" + API;
  var MAX_ITEMS = 100;
  var REQUEST_TIMEOUT_MS = 30000;

  var TEXT = {
    launcher: "Ask about SEN support",
    title: "Ask about SEN support",
    intro: "Hello. I can answer questions about SEN support (extra help for children with special educational needs) at nursery, school or college. I'm a computer, not a person. Please don't type your child's name or other personal details.",
    danger: "If a child is in danger now, call 999.",
    label: "Ask a question about SEN support",
    send: "Send",
    close: "Close",
    clear: "Clear chat",
    you: "You said: ",
    bot: "Assistant said: ",
    typing: "The assistant is typing",
    conversation: "Conversation",
    options: "Suggested replies",
    newTab: " (opens in a new tab)",
    source: "Source: ",
    checked: "Checked on ",
    couldNotReach: "Sorry, I couldn't reach the assistant. Please try again.",
    tooLong: "Sorry, that message is too long. Please make it shorter and try again.",
    retry: "Try again",
    linkCode: "[link code]"
  };

  // ---------- storage (sessionStorage: this tab only, gone when the tab closes) ----------

  var state = { token: null, open: false, items: [] };

  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null");
      if (saved && typeof saved === "object") {
        state.token = typeof saved.token === "string" ? saved.token : null;
        state.open = saved.open === true;
        state.items = Array.isArray(saved.items) ? saved.items.filter(validItem).slice(-MAX_ITEMS) : [];
      }
    } catch (e) { /* storage blocked or corrupt: start afresh */ }
  }

  function save() {
    try {
      var items = state.items.filter(function (item) { return !item.error; }).slice(-MAX_ITEMS);
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify({ token: state.token, open: state.open, items: items }));
    } catch (e) { /* storage full or blocked: the chat still works for this page */ }
  }

  function validItem(item) {
    return item && typeof item === "object" && (item.from === "user" || item.from === "bot") &&
      (typeof item.text === "string" || Array.isArray(item.sources));
  }

  // A link code from school (bot.security.sealed_codes) is never kept in the browser: the
  // parent's bubble and the stored transcript show "[link code]" instead. The server seals it.
  var LINK_CODE = /(^|[^A-Za-z0-9])([A-HJKMNP-TW-Z2-9]{5})[- ]?([A-HJKMNP-TW-Z2-9]{5})(?![A-Za-z0-9])/gi;

  function maskLinkCodes(text) {
    return text.replace(LINK_CODE, function (whole, before, first, second) {
      var code = first + second;
      return /[0-9]/.test(code) && /[A-Za-z]/.test(code) ? before + TEXT.linkCode : whole;
    });
  }

  // ---------- building elements (text only) ----------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function httpsUrl(value) {
    if (typeof value !== "string") { return null; }
    try {
      var url = new URL(value);
      return url.protocol === "https:" ? url.href : null;
    } catch (e) { return null; }
  }

  function link(href, text) {
    var a = el("a", "sen-chat-link", text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.appendChild(el("span", "sen-chat-vh", TEXT.newTab));
    return a;
  }

  var URL_IN_TEXT = /https:\/\/[^\s<>"']+/g;

  // Text as text nodes; https URLs in it become links (built as elements, never parsed as HTML).
  function appendText(parent, text) {
    var last = 0;
    var match;
    URL_IN_TEXT.lastIndex = 0;
    while ((match = URL_IN_TEXT.exec(text)) !== null) {
      var raw = match[0].replace(/[.,;:!?)\]]+$/, "");
      var href = httpsUrl(raw);
      if (!href) { continue; }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(link(href, raw));
      last = match.index + raw.length;
      URL_IN_TEXT.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatDate(value) {
    if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) { return null; }
    var date = new Date(value + "T12:00:00Z");
    if (isNaN(date.getTime())) { return null; }
    try {
      return date.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
    } catch (e) { return value; }
  }

  // ---------- the widget ----------

  var root, launcher, panel, log, typing, form, input;
  var busy = false;

  function build() {
    root = el("div", "sen-chat");
    root.setAttribute("data-sen-chat", "");

    launcher = el("button", "sen-chat-launcher", TEXT.launcher);
    launcher.type = "button";
    launcher.id = "sen-chat-launcher";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "sen-chat-panel");

    panel = el("section", "sen-chat-panel");
    panel.id = "sen-chat-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", "sen-chat-title");
    panel.hidden = true;

    var header = el("div", "sen-chat-header");
    var title = el("h2", "sen-chat-title", TEXT.title);
    title.id = "sen-chat-title";
    var tools = el("div", "sen-chat-tools");
    var clear = el("button", "sen-chat-tool sen-chat-clear", TEXT.clear);
    clear.type = "button";
    var close = el("button", "sen-chat-tool sen-chat-close", TEXT.close);
    close.type = "button";
    tools.appendChild(clear);
    tools.appendChild(close);
    header.appendChild(title);
    header.appendChild(tools);

    log = el("div", "sen-chat-log");
    log.id = "sen-chat-log";
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-relevant", "additions");
    log.setAttribute("aria-label", TEXT.conversation);
    log.tabIndex = 0; // scrollable: reachable and scrollable with the keyboard

    typing = el("div", "sen-chat-typing");
    typing.setAttribute("role", "status");

    form = el("form", "sen-chat-form");
    form.setAttribute("novalidate", "");
    var label = el("label", "sen-chat-label", TEXT.label);
    label.htmlFor = "sen-chat-input";
    var row = el("div", "sen-chat-row");
    input = el("input", "sen-chat-input");
    input.id = "sen-chat-input";
    input.type = "text";
    input.name = "message";
    input.autocomplete = "off";
    input.maxLength = 2000;
    input.setAttribute("enterkeyhint", "send");
    var sendButton = el("button", "sen-chat-send", TEXT.send);
    sendButton.type = "submit";
    row.appendChild(input);
    row.appendChild(sendButton);
    form.appendChild(label);
    form.appendChild(row);

    panel.appendChild(header);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(form);

    // DOM order = Tab order: the launcher, then the panel it opens (shown above it by CSS).
    root.appendChild(launcher);
    root.appendChild(panel);

    launcher.addEventListener("click", function () { setOpen(!state.open, true); });
    close.addEventListener("click", function () { setOpen(false, true); });
    clear.addEventListener("click", clearChat);
    root.addEventListener("keydown", function (event) {
      if ((event.key === "Escape" || event.key === "Esc") && state.open) {
        event.preventDefault();
        setOpen(false, true);
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      if (busy) { return; }
      input.value = "";
      send(text, text.trim() ? text.trim() : null);
      input.focus();
    });

    var stylesheet = document.createElement("link");
    stylesheet.rel = "stylesheet";
    stylesheet.href = API + "widget.css";
    document.head.appendChild(stylesheet);
    document.body.appendChild(root);
  }

  function setOpen(open, moveFocus) {
    state.open = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("sen-chat--open", open);
    save();
    if (open) {
      scrollToEnd();
      if (moveFocus) { input.focus(); }
    } else if (moveFocus) {
      launcher.focus();
    }
  }

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  function renderIntro() {
    var intro = el("div", "sen-chat-intro");
    intro.appendChild(el("p", null, TEXT.intro));
    intro.appendChild(el("p", "sen-chat-danger", TEXT.danger));
    log.appendChild(intro);
  }

  function renderItem(item, withButtons) {
    var bubble = el("div", "sen-chat-msg sen-chat-msg--" + item.from);
    if (item.urgent) { bubble.classList.add("sen-chat-msg--urgent"); }
    if (item.error) { bubble.classList.add("sen-chat-msg--error"); }
    bubble.appendChild(el("span", "sen-chat-vh", item.from === "user" ? TEXT.you : TEXT.bot));
    if (typeof item.text === "string" && item.text) {
      var body = el("div", "sen-chat-text");
      if (item.from === "bot") { appendText(body, item.text); } else { body.textContent = item.text; }
      bubble.appendChild(body);
    }
    if (Array.isArray(item.sources) && item.sources.length) {
      var list = el("ul", "sen-chat-sources");
      item.sources.forEach(function (source) {
        if (!source || typeof source.title !== "string") { return; }
        var li = el("li", null, TEXT.source);
        var href = httpsUrl(source.url);
        li.appendChild(href ? link(href, source.title) : el("span", null, source.title));
        if (typeof source.ref === "string" && source.ref) {
          li.appendChild(document.createTextNode(" (" + source.ref + ")"));
        }
        list.appendChild(li);
      });
      if (list.childNodes.length) { bubble.appendChild(list); }
    }
    var checked = formatDate(item.reviewed);
    if (checked) { bubble.appendChild(el("p", "sen-chat-checked", TEXT.checked + checked)); }
    if (withButtons) { appendButtons(bubble, item); }
    log.appendChild(bubble);
    return bubble;
  }

  function appendButtons(bubble, item) {
    var options = [];
    if (Array.isArray(item.buttons)) {
      item.buttons.forEach(function (b) {
        if (b && typeof b.title === "string" && typeof b.payload === "string") {
          options.push({ title: b.title, payload: b.payload, show: b.title });
        }
      });
    }
    if (item.error && item.retry) {
      options.push({ title: TEXT.retry, payload: item.retry.text, show: item.retry.shown, retry: true });
    }
    if (!options.length) { return; }
    var group = el("div", "sen-chat-buttons");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", TEXT.options);
    options.forEach(function (option) {
      var button = el("button", "sen-chat-option", option.title);
      button.type = "button";
      button.addEventListener("click", function () {
        if (busy) { return; }
        if (option.retry) {
          state.items = state.items.filter(function (i) { return i !== item; });
          bubble.parentNode && bubble.parentNode.removeChild(bubble);
          send(option.payload, null);
        } else {
          send(option.payload, option.show);
        }
        input.focus();
      });
      group.appendChild(button);
    });
    bubble.appendChild(group);
  }

  function removeButtons() {
    var groups = log.querySelectorAll(".sen-chat-buttons");
    for (var i = 0; i < groups.length; i++) { groups[i].parentNode.removeChild(groups[i]); }
  }

  function renderAll() {
    log.textContent = "";
    renderIntro();
    var lastIndex = state.items.length - 1;
    state.items.forEach(function (item, index) {
      renderItem(item, index === lastIndex && item.from === "bot");
    });
    scrollToEnd();
  }

  function addItem(item) {
    removeButtons();
    state.items.push(item);
    if (state.items.length > MAX_ITEMS) { state.items = state.items.slice(-MAX_ITEMS); }
    save();
    renderItem(item, item.from === "bot");
    scrollToEnd();
  }

  function clearChat() {
    state.items = [];
    state.token = null;
    save();
    renderAll();
    input.focus();
  }

  function setTyping(on) {
    typing.textContent = "";
    typing.classList.toggle("sen-chat-typing--on", on);
    if (on) {
      var dots = el("span", "sen-chat-dots");
      dots.setAttribute("aria-hidden", "true");
      dots.appendChild(el("span"));
      dots.appendChild(el("span"));
      dots.appendChild(el("span"));
      typing.appendChild(dots);
      typing.appendChild(el("span", "sen-chat-vh", TEXT.typing));
    }
  }

  // One reply (a list of messages) becomes one bubble: texts, buttons, sources, urgency.
  function itemFromReplies(replies) {
    var item = { from: "bot", text: "", buttons: [], sources: [] };
    var texts = [];
    replies.forEach(function (message) {
      if (!message || typeof message !== "object") { return; }
      if (typeof message.text === "string" && message.text.trim()) { texts.push(message.text); }
      if (Array.isArray(message.buttons)) { item.buttons = item.buttons.concat(message.buttons); }
      var custom = message.custom;
      if (custom && typeof custom === "object") {
        if (Array.isArray(custom.sources)) {
          custom.sources.forEach(function (s) {
            if (s && typeof s.title === "string") {
              item.sources.push({ title: s.title, ref: typeof s.ref === "string" ? s.ref : "", url: typeof s.url === "string" ? s.url : "" });
            }
          });
        }
        if (custom.urgent === true) { item.urgent = true; }
        if (typeof custom.reviewed === "string") { item.reviewed = custom.reviewed; }
      }
    });
    item.text = texts.join("\n\n");
    return item;
  }

  function request(path, payload) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    return fetch(API + path, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload || {}),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (timer) { clearTimeout(timer); }
      if (!response.ok) {
        var error = new Error("HTTP " + response.status);
        error.status = response.status;
        throw error;
      }
      return response.json();
    }, function (error) {
      if (timer) { clearTimeout(timer); }
      throw error;
    });
  }

  function ensureSession() {
    if (state.token) { return Promise.resolve(state.token); }
    return request("session").then(function (body) {
      if (!body || typeof body.session !== "string") { throw new Error("no session"); }
      state.token = body.session;
      save();
      return state.token;
    });
  }

  function postMessage(text, retried) {
    return ensureSession().then(function (token) {
      return request("message", { session: token, message: text });
    }).catch(function (error) {
      if (error && error.status === 401 && !retried) {
        // The session ended (expired or the server's key changed): start a new one, once.
        state.token = null;
        save();
        return postMessage(text, true);
      }
      throw error;
    });
  }

  function send(text, shown) {
    if (busy) { return; }
    if (shown) { addItem({ from: "user", text: maskLinkCodes(shown) }); } else { removeButtons(); }
    busy = true;
    setTyping(true);
    postMessage(text, false).then(function (replies) {
      if (!Array.isArray(replies)) { throw new Error("unexpected reply"); }
      var item = itemFromReplies(replies);
      if (!item.text && !item.sources.length && !item.buttons.length) { return; }
      addItem(item);
    }).catch(function (error) {
      var tooLong = error && error.status === 413;
      addItem({
        from: "bot",
        error: true,
        text: tooLong ? TEXT.tooLong : TEXT.couldNotReach,
        retry: tooLong ? null : { text: text, shown: null }
      });
    }).then(function () {
      busy = false;
      setTyping(false);
    });
  }

  function start() {
    load();
    build();
    renderAll();
    if (state.open) { setOpen(true, false); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
