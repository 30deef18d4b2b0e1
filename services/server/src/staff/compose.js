// The staff pages work without this script; with it, nothing typed in a compose form is
// lost to a closed tab or a crash: the form's fields are kept in this browser until they
// are saved, offered back when the form is opened again, and leaving with unsaved changes
// asks first. Signing out forgets what was kept, for the next person at this computer.
// The texts come from the page (data-* attributes), in the reader's language.
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
