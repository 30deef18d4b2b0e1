// The staff pages work without this script; with it, nothing typed in a compose form is
// lost to a closed tab or a crash: the form's fields are kept in this browser until they
// are saved, offered back when the form is opened again, and leaving with unsaved changes
// asks first. Signing out forgets what was kept, for the next person at this computer.
// The texts come from the page (data-* attributes), in the reader's language.
// Each text of a compose form counts its characters as Mastodon does (a link counts 23, a
// mention its name without the server) and says so beside it, once past Mastodon's own 500
// also to screen readers.
(function () {
  "use strict";
  const form = document.querySelector("form[data-count-text]");
  if (!form) return;
  const LIMIT = 500;
  const status = document.createElement("span");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  form.appendChild(status);

  function length(text) {
    const counted = text
      .replace(/https?:\/\/\S+/g, "x".repeat(23))
      .replace(/(@[A-Za-z0-9_.-]+)@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, "$1");
    return Array.from(counted).length;
  }

  for (const area of form.querySelectorAll("textarea[data-count]")) {
    const counter = document.createElement("span");
    counter.className = "help counter";
    counter.id = area.id + "-count";
    area.insertAdjacentElement("afterend", counter);
    area.setAttribute("aria-describedby", ((area.getAttribute("aria-describedby") || "") + " " + counter.id).trim());
    let wasOver = false;
    const update = () => {
      const n = length(area.value);
      const over = n > LIMIT;
      const said = (over ? form.dataset.countOver : form.dataset.countText).replace("{n}", String(n));
      counter.textContent = said;
      counter.classList.toggle("over", over);
      if (over !== wasOver) status.textContent = said;
      wasOver = over;
    };
    area.addEventListener("input", update);
    update();
  }
})();

(function () {
  "use strict";
  const PREFIX = "herold-kept:";

  function storage() {
    try {
      return window.localStorage;
    } catch (_) {
      return null; // storage switched off: the page still works, it just keeps nothing
    }
  }

  function forgetAll() {
    const store = storage();
    if (!store) return;
    for (const key of Object.keys(store)) {
      if (key.startsWith(PREFIX)) store.removeItem(key);
    }
  }

  const signOut = document.querySelector("form.signout");
  if (signOut) signOut.addEventListener("submit", forgetAll);

  const form = document.querySelector("form[data-keep]");
  const store = storage();
  if (!form || !store) return;
  const key = PREFIX + form.dataset.keep;

  // What a person fills in; tokens, hidden fields and files are not theirs to restore.
  function fields() {
    return Array.from(form.elements).filter(
      (e) => e.name && e.name !== "csrf" && !["hidden", "submit", "file", "button"].includes(e.type),
    );
  }

  function values() {
    const out = {};
    for (const e of fields()) out[e.name] = e.type === "checkbox" ? e.checked : e.value;
    return out;
  }

  function apply(saved) {
    for (const e of fields()) {
      if (!(e.name in saved)) continue;
      if (e.type === "checkbox") e.checked = Boolean(saved[e.name]);
      else e.value = saved[e.name];
      // So that what counts the text counts the restored one.
      e.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  const loaded = JSON.stringify(values());
  let dirty = false;
  let timer = null;

  function keep() {
    timer = null;
    const now = values();
    if (JSON.stringify(now) === loaded) {
      store.removeItem(key);
      return;
    }
    try {
      store.setItem(key, JSON.stringify({ at: Date.now(), values: now }));
    } catch (_) {
      // full or refused: the warning before leaving still protects the text
    }
  }

  form.addEventListener("input", () => {
    dirty = true;
    if (timer === null) timer = window.setTimeout(keep, 800);
  });
  form.addEventListener("submit", () => {
    dirty = false;
    store.removeItem(key);
  });
  window.addEventListener("beforeunload", (event) => {
    if (!dirty) return;
    if (timer !== null) keep();
    event.preventDefault();
    event.returnValue = "";
  });

  // A copy kept from before: offered, never applied unasked.
  let kept = null;
  try {
    kept = JSON.parse(store.getItem(key) || "null");
  } catch (_) {
    store.removeItem(key);
  }
  if (!kept || !kept.values || JSON.stringify(kept.values) === loaded) return;
  const when = new Date(kept.at).toLocaleString(document.documentElement.lang || undefined, {
    dateStyle: "long",
    timeStyle: "short",
  });
  const notice = document.createElement("div");
  notice.className = "kept";
  notice.setAttribute("role", "status");
  const text = document.createElement("p");
  text.textContent = form.dataset.keptText.replace("{time}", when);
  const restore = document.createElement("button");
  restore.type = "button";
  restore.className = "primary";
  restore.textContent = form.dataset.keptRestore;
  const discard = document.createElement("button");
  discard.type = "button";
  discard.textContent = form.dataset.keptDiscard;
  restore.addEventListener("click", () => {
    apply(kept.values);
    dirty = true;
    notice.remove();
    form.querySelector("textarea, input:not([type=hidden])")?.focus();
  });
  discard.addEventListener("click", () => {
    store.removeItem(key);
    notice.remove();
  });
  notice.append(text, restore, " ", discard);
  form.before(notice);
})();

// A chosen image shows as a thumbnail beside its description before anything is sent, so
// that the description can be written looking at it. The picture never leaves the browser
// until the form is sent (a blob: address of this page; the policy allows no other).
(function () {
  "use strict";
  for (const input of document.querySelectorAll("input[type=file][data-thumbnail]")) {
    let shown = null;
    input.addEventListener("change", () => {
      if (shown) {
        URL.revokeObjectURL(shown.src);
        shown.remove();
        shown = null;
      }
      const file = input.files && input.files[0];
      if (!file || !/^image\/(jpeg|png)$/.test(file.type)) return;
      shown = document.createElement("img");
      shown.className = "thumbnail";
      // The description field beside it says what it shows; the thumbnail repeats nothing.
      shown.alt = "";
      shown.src = URL.createObjectURL(file);
      input.parentElement.appendChild(shown);
    });
  }
})();
