#!/usr/bin/env node
// Real-browser walk through Herold's staff and public pages, with an axe-core
// accessibility audit of every Herold page the walk reaches.
//
//   node tests/browser/ui.mjs --herold http://localhost:8080 --org demo --account press \
//        [--chromium /usr/bin/chromium]
//
// Sign-in goes through the real OpenID provider pages (typing and clicking). The
// provider's own pages are used but not audited: they are not Herold's.
//
// stdout: one JSON line {"pages":[{"url","violations","page"}],"violations":N,"flow":"ok"|"failed: …"}
// stderr: progress and the details of every violation.
// Exit status 0 only when the flow succeeded and no violation was found.
//
// With HEROLD_UI_SHOTS=DIR in the environment (the Rust test sets target/ui-shots on
// SQLite unless told another), every audited page is also saved there as a full-page PNG, at the
// browser's width and at 320 px, with its first keyboard stop focused, for a person to look at.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

const NAV_TIMEOUT_MS = 15_000;
const ACTION_TIMEOUT_MS = 10_000;
// A guard against a hung browser, not a speed target: the walk covers some sixty pages and
// the suite runs it on both backends at once, two Chromiums on two cores.
const WHOLE_RUN_MS = 150_000;
const PASSWORD = "demo";
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const { values: opts } = parseArgs({
  options: {
    herold: { type: "string" },
    org: { type: "string" },
    "operator-org": { type: "string" },
    account: { type: "string" },
    // The organisation's time_zone: forms take, and pages show, its local time.
    "time-zone": { type: "string", default: "UTC" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    // The mail catcher's web address: a citizen subscribes by e-mail and confirms by the
    // link it receives.
    mail: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

if (opts.help || !opts.herold || !opts.org || !opts.account) {
  process.stderr.write(
    "usage: node tests/browser/ui.mjs --herold <URL> --org <slug> --account <username> [--operator-org <slug>] [--chromium <path>]\n",
  );
  process.exit(opts.help ? 0 : 2);
}

const heroldOrigin = new URL(opts.herold).origin;
const at = (path) => new URL(path, heroldOrigin).href;
const isHerold = (url) => {
  try {
    return new URL(url).origin === heroldOrigin;
  } catch {
    return false;
  }
};

const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const report = { pages: [], violations: 0, flow: "ok" };
const failures = [];
const started = Date.now();
const log = (msg) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);

class FlowError extends Error {}
function expect(condition, message) {
  if (!condition) throw new FlowError(message);
}

/** Origin and path only: query strings carry authorisation codes and ID tokens. */
function shortUrl(url) {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function textOf(locator) {
  return ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

// ---- axe ----------------------------------------------------------------------------------

/** Runs axe-core in the page and records the result under `label`. */
async function audit(page, label) {
  const url = shortUrl(page.url());
  if (!isHerold(url)) {
    log(`not auditing ${url} (not a Herold page)`);
    return;
  }
  // Evaluated through the DevTools protocol: the page's CSP (no scripts at all) does
  // not apply to it, so it need not be bypassed for the rest of the run.
  const name = label.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();
  const shots = process.env.HEROLD_UI_SHOTS;
  if (shots) {
    await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    // The first stop of the keyboard (the skip link) with its focus ring, to look at.
    await page.keyboard.press("Tab");
    await page.screenshot({ path: `${shots}/${name}-focus.png` });
    // The skip link, once focused, moves the page down: give the walk its page back.
    await page.evaluate(() => document.activeElement?.blur());
  }
  // Reflow (WCAG 1.4.10): at 320 px nothing may need scrolling sideways.
  const wide = page.viewportSize();
  await page.setViewportSize({ width: 320, height: wide.height });
  if (shots) await page.screenshot({ path: `${shots}/${name}-320.png`, fullPage: true });
  const wider = await page.evaluate(() =>
    document.documentElement.scrollWidth > 320
      ? [...document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > 320.5)
          .slice(-5)
          .map((e) => `${e.tagName.toLowerCase()}${e.className ? "." + e.className : ""} to ${Math.round(e.getBoundingClientRect().right)} px`)
      : [],
  );
  await page.setViewportSize(wide);
  if (wider.length) {
    report.violations += 1;
    process.stderr.write(`  VIOLATION reflow-320 on ${label} <${url}>: wider than 320 px: ${wider.join(", ")}\n`);
  }
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const violations = await page.evaluate(
    async (tags) => {
      const r = await window.axe.run(document, {
        runOnly: { type: "tag", values: tags },
        resultTypes: ["violations"],
      });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
      }));
    },
    AXE_TAGS,
  );
  const count = violations.reduce((sum, v) => sum + v.nodes.length, 0);
  report.pages.push({ url, violations: count, page: label });
  report.violations += count;
  log(`axe: ${count} violation(s) on ${label} <${url}>`);
  for (const v of violations) {
    process.stderr.write(`  VIOLATION ${v.id} (${v.impact}) on ${label} <${url}>: ${v.help}\n    ${v.helpUrl}\n`);
    for (const n of v.nodes) {
      process.stderr.write(`    target: ${JSON.stringify(n.target)}\n    html:   ${n.html}\n`);
      if (n.summary) process.stderr.write(`    ${n.summary.replace(/\n/g, "\n    ")}\n`);
    }
  }
}

// ---- browser helpers ----------------------------------------------------------------------

async function newPerson(browser, locale) {
  // Playwright's locale also sets the Accept-Language header, which picks Herold's language.
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  context.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  // Herold has no favicon; anything else that fails, and any CSP refusal, is worth seeing.
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) {
      log(`HTTP ${r.status()} for ${r.request().method()} ${shortUrl(r.url())}`);
    }
  });
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      log(`browser console error on ${shortUrl(page.url())}: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => log(`page error on ${shortUrl(page.url())}: ${e.message}`));
  // No Herold page may make the browser ask anyone else for anything (fonts, images,
  // scripts, trackers); following a link elsewhere is the reader's own choice.
  page.on("request", (r) => {
    let from = "";
    try {
      from = r.frame().url();
    } catch {
      return;
    }
    if (r.resourceType() !== "document" && isHerold(from) && !isHerold(r.url())) {
      report.violations += 1;
      process.stderr.write(`  VIOLATION third-party request from ${shortUrl(from)} to ${r.url()}\n`);
    }
  });
  return { context, page };
}

/** Opens a Herold path directly, as if typed into the address bar. */
async function open(page, path) {
  const response = await page.goto(at(path), { waitUntil: "load" });
  expect(response, `no response for ${path}`);
  expect(response.status() < 400, `${path} answered ${response.status()}`);
}

async function arriveAt(page, urlTest, what) {
  try {
    await page.waitForURL(urlTest, { waitUntil: "load" });
  } catch (err) {
    throw new FlowError(`${what}: expected to arrive at ${urlTest}, but the browser is at ${shortUrl(page.url())}`);
  }
}

/** Follows a link and waits until the browser is at `urlTest`. */
async function follow(page, link, urlTest, what) {
  expect((await link.count()) >= 1, `${what}: link not found on ${shortUrl(page.url())}`);
  await link.first().click();
  await arriveAt(page, urlTest, what);
}

/**
 * Clicks a submit button and waits for the next document to finish loading, wherever
 * the redirects lead. Returns the status of the POST's own response. A Herold 403 for a
 * form post is a refused form (CSRF check), which ends the flow right away with the
 * reason Herold gave and the Origin the browser sent.
 */
async function submit(page, button, what) {
  expect((await button.count()) === 1, `${what}: button not found on ${shortUrl(page.url())}`);
  await page.evaluate(() => {
    window.__heroldUiPrevious = true;
  });
  const posted = page.waitForRequest((r) => r.method() === "POST" && r.isNavigationRequest());
  await button.click();
  const request = await posted;
  // A fresh document does not have the marker; survives the navigation by re-polling.
  await page.waitForFunction(() => !window.__heroldUiPrevious && document.readyState === "complete");
  const response = await request.response();
  const status = response?.status() ?? 0;
  if (status === 403 && isHerold(request.url())) {
    const said = await textOf(page.locator("main [role=alert]").first()).catch(() => "");
    const origin = (await request.allHeaders()).origin ?? "(none)";
    throw new FlowError(
      `${what}: Herold refused the form post to ${shortUrl(request.url())} with 403 ("${said}"); the browser sent Origin: ${origin}`,
    );
  }
  return status;
}

/**
 * From Herold's /login, picks the organisation and signs in on the provider's form.
 * Returns when the browser is back on Herold (wherever Herold sends it).
 */
async function signIn(page, login, { auditLogin = false, org = opts.org } = {}) {
  const callback = await signInOnce(page, login, { auditLogin, org });
  // A token exchange the provider answers badly under load (the callback's 502) is said and
  // tried once more, as a person would; a second failure fails the walk.
  if (callback >= 500) {
    log(`${login}: the callback failed (${await textOf(page.locator("main"))}); signing in again`);
    await signInOnce(page, login, { auditLogin: false, org });
  }
}

/** Signs in once; the status Herold's callback answered. */
async function signInOnce(page, login, { auditLogin, org }) {
  let callback = 0;
  const watch = (response) => {
    if (new URL(response.url()).pathname === "/auth/callback") callback = response.status();
  };
  page.on("response", watch);
  await open(page, "/login");
  if (auditLogin) await audit(page, "login");
  await follow(page, page.locator(`main a[href="/login/${org}"]`), /\/interaction\//, `${login}: sign-in link`);
  expect(!isHerold(page.url()), `${login}: sign-in link did not lead to the provider`);
  log(`${login}: provider sign-in form at ${shortUrl(page.url())}`);
  await page.locator("#login").fill(login);
  await page.locator("#password").fill(PASSWORD);
  await submit(page, page.locator('form[action$="/login"] button[type="submit"]'), `${login}: provider sign-in`);
  expect(isHerold(page.url()), `${login}: signing in ended at ${shortUrl(page.url())}, not on Herold`);
  log(`${login}: back on Herold at ${shortUrl(page.url())}`);
  page.off("response", watch);
  return callback;
}

/** Header sign-out, then the provider's confirmation, ending on Herold's /login. */
async function signOut(page, who) {
  await submit(page, page.locator("header form.signout button[type=submit]"), `${who}: sign out`);
  expect(!isHerold(page.url()), `${who}: sign-out stayed on Herold at ${shortUrl(page.url())}`);
  log(`${who}: provider sign-out page ${shortUrl(page.url())}`);
  const yes = page.locator('form[action*="/session/end/confirm"] button[name="logout"][value="yes"]');
  await submit(page, yes, `${who}: confirming sign-out at the provider`);
  expect(
    isHerold(page.url()) && new URL(page.url()).pathname === "/login",
    `${who}: sign-out ended at ${shortUrl(page.url())}, not at Herold's /login`,
  );
  // The Herold session must really be gone.
  await page.goto(at("/staff"));
  expect((await page.locator("header form.signout").count()) === 0, `${who}: still signed in after signing out`);
  log(`${who}: signed out, back at Herold's /login`);
}

function sectionByHeading(page, heading) {
  return page.locator("main section").filter({ has: page.getByRole("heading", { level: 2, name: heading, exact: true }) });
}

/** The first <dd> of the draft's facts is its state. */
async function waitForState(page, state, what) {
  try {
    await page.waitForFunction(
      (s) => document.querySelector("main dl dd")?.textContent.trim() === s,
      state,
      { timeout: 5_000 },
    );
  } catch {
    const shown = await textOf(page.locator("main dl dd").first()).catch(() => "(none)");
    throw new FlowError(`${what}: draft state is "${shown}", expected "${state}"`);
  }
}

// ---- the walk -----------------------------------------------------------------------------

/** Alice writes and submits; Bob approves and follows it to the public pages. */
async function publishing(browser) {
  const marker = `browser-ui-${Date.now().toString(36)}`;
  // Short enough (under 80 characters) that the staff lists show it whole.
  const text = `UI test ${marker} ${new Date().toISOString()}, please ignore #HeroldUiTest`;
  log(`announcement text: ${text}`);

  // A: alice, author.
  const { page } = await newPerson(browser, "en-GB");
  await signIn(page, "alice", { auditLogin: true });
  expect(new URL(page.url()).pathname === "/staff", `alice landed on ${shortUrl(page.url())}, expected /staff`);
  await page.getByRole("heading", { level: 1, name: "Overview", exact: true }).waitFor();
  await audit(page, "overview (author)");

  await follow(page, page.locator('header nav a[href="/staff/new"]'), /\/staff\/new$/, "New announcement link");
  await audit(page, "compose");

  await page.locator("select#account").selectOption(opts.account);
  await page.locator("textarea#text").fill(text);
  // The text counts its characters as Mastodon does, and says when it passes 500.
  const counted = await textOf(page.locator("#text-count"));
  expect(counted.includes(`${Array.from(text).length} of 500 characters`), `the counter says: ${counted}`);
  await page.locator("textarea#text").fill("x".repeat(480) + " https://www.example.org/a/very/long/address");
  const over = await textOf(page.locator("#text-count"));
  expect(over.startsWith("504 characters: more than Mastodon's 500"), `a long text is not flagged: ${over}`);
  await audit(page, "compose over 500");
  await page.locator("textarea#text").fill(text);
  const language = page.locator("input#language");
  const prefilled = await language.inputValue();
  expect(prefilled !== "", "the language field is not prefilled");

  // A failed submit: empty language. The field is `required`, so the browser's own check
  // is switched off to reach the server's error page, as a browser without it would.
  await language.fill("");
  await page.locator("main form[data-keep]").evaluate((form) => {
    form.noValidate = true;
  });
  const saveDraft = page.getByRole("button", { name: "Save draft", exact: true });
  const status = await submit(page, saveDraft, "saving with an empty language");
  expect(status === 400 || status === 422, `saving with an empty language answered ${status}, expected 400`);
  await page.locator("#form-error").waitFor();
  log(`compose error shown: ${await textOf(page.locator("#form-error"))}`);
  expect((await page.locator("textarea#text").inputValue()).trim() === text, "the text was lost after the failed submit");
  await audit(page, "compose (with error)");

  await page.locator("select#account").selectOption(opts.account);
  await page.locator("input#language").fill(prefilled);
  // Behind a content warning, which the approver must see through.
  await page.locator("input#summary").fill("UI test warning");
  await page.locator("select#replies").selectOption("followers");
  // Its image is chosen in the same form, with its description beside it.
  const square = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  );
  await page.locator("input#image_1").setInputFiles({ name: "square.png", mimeType: "image/png", buffer: square });
  await page.locator("textarea#image_alt_1").fill("A green square, the test image");
  // A second image waits behind "More images", which opens like any disclosure.
  await page.locator("details:has(#image_2) > summary").click();
  await page.locator("input#image_2").setInputFiles({ name: "again.png", mimeType: "image/png", buffer: square });
  await page.locator("textarea#image_alt_2").fill("The same square once more");
  // The chosen image shows as a thumbnail at once (the page's policy lets it, and only it).
  await page
    .waitForFunction(() => {
      const img = document.querySelector("img.thumbnail");
      return img && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 5000 })
    .catch(() => expect(false, "the chosen image shows no thumbnail"));
  await audit(page, "compose with an image chosen");
  await submit(page, saveDraft, "saving the draft");
  await arriveAt(page, /\/staff\/drafts\/[^/]+$/, "saving the draft");
  expect((await page.locator('.preview img[alt="A green square, the test image"]').count()) === 1, "the image chosen while writing is not in the preview");
  expect((await page.locator('.preview img[alt="The same square once more"]').count()) === 1, "the second image chosen while writing is not in the preview");
  const draftUrl = page.url();
  log(`draft saved at ${shortUrl(draftUrl)}`);
  await waitForState(page, "Draft", "the new draft");
  expect((await textOf(page.locator(".preview"))).includes(marker), "the preview does not show the text");
  await audit(page, "draft (author, Draft)");

  await submit(page, page.getByRole("button", { name: "Submit for approval", exact: true }), "submitting for approval");
  await waitForState(page, "Waiting for approval", "after submitting");
  log("submitted for approval");
  await audit(page, "draft (author, Waiting for approval)");
  await signOut(page, "alice");

  // B: bob, approver.
  const b = await newPerson(browser, "en-GB");
  const bp = b.page;
  await signIn(bp, "bob");
  expect(new URL(bp.url()).pathname === "/staff", `bob landed on ${shortUrl(bp.url())}, expected /staff`);
  await audit(bp, "overview (approver)");

  const queued = sectionByHeading(bp, "Waiting for approval").getByRole("link").filter({ hasText: marker });
  expect((await queued.count()) === 1, 'the submitted draft is not listed under "Waiting for approval"');
  await follow(bp, queued, /\/staff\/drafts\/[^/]+$/, "the queued draft");
  expect(bp.url() === draftUrl, `the queue links to ${shortUrl(bp.url())}, expected ${shortUrl(draftUrl)}`);
  await waitForState(bp, "Waiting for approval", "the queued draft");
  expect((await bp.locator("textarea#comment[required]").count()) === 1, "no reject form with a required comment");
  expect((await textOf(bp.locator("main dl"))).includes("Only the account's followers"), "the approver does not see who may reply");
  // The approver reads the text behind the warning without unfolding anything.
  expect(await bp.locator(".preview").getByText(marker).isVisible(), "the approver does not see the text behind the warning");
  await audit(bp, "draft (approver, Waiting for approval)");

  await submit(bp, bp.getByRole("button", { name: "Approve", exact: true }), "approving");
  await waitForState(bp, "Published", "after approving");
  log("approved; the draft page says Published");
  await audit(bp, "draft (approver, Published)");

  // The dialogue inbox: what a citizen asked, with its count in the navigation; answered,
  // it leaves the open ones.
  await follow(bp, bp.locator('header nav a[href="/staff/dialogue"]'), /\/staff\/dialogue$/, "Dialogue link");
  expect((await textOf(bp.locator("header nav"))).includes("1 open"), "the navigation does not count the open message");
  expect((await textOf(bp.locator("main"))).includes("Wann öffnet das Bürgeramt"), "the citizen's message is not shown");
  await audit(bp, "dialogue");
  // The approver shows the reply under the announcement; its public page lists it.
  await submit(bp, bp.getByRole("button", { name: "Show under the announcement", exact: true }), "showing the reply");
  await arriveAt(bp, /\/staff\/dialogue\?state=open#m-/, "showing the reply");
  expect((await textOf(bp.locator("article.message"))).includes("Shown on its public page"), "the reply is not said to be shown");
  await audit(bp, "dialogue (reply shown)");
  const staffLink = await bp.locator('article.message a[href*="/announcements/"]').getAttribute("href");
  const publicPath = staffLink.replace(/^\/staff\/accounts\/([^/]+)\/announcements\//, "/users/$1/announcements/");
  await open(bp, publicPath);
  const replies = sectionByHeading(bp, "Replies");
  expect((await textOf(replies)).includes("Wann öffnet das Bürgeramt"), "the public page does not show the reply");
  await audit(bp, "announcement page with a reply");
  // Bob takes the message; it is then among his own, with its deadline.
  await open(bp, "/staff/dialogue");
  await bp.getByLabel("Give it to").selectOption({ label: "Bob Approver (you)" });
  await submit(bp, bp.getByRole("button", { name: "Assign", exact: true }), "taking the message");
  await arriveAt(bp, /\/staff\/dialogue\?state=open#m-/, "taking the message");
  const taken = await textOf(bp.locator("article.message"));
  expect(taken.includes("Assigned to Bob Approver") && taken.includes("Answer by"), `the message does not say who has it and by when: ${taken}`);
  await follow(bp, bp.getByRole("link", { name: "Mine", exact: true }), /state=mine$/, "the Mine list");
  expect((await textOf(bp.locator("main"))).includes("Wann öffnet das Bürgeramt"), "the taken message is not under Mine");
  await audit(bp, "dialogue (mine)");
  // One message on a page of its own, as a notification links it.
  await open(bp, "/staff/dialogue/messages/browser-message");
  expect((await textOf(bp.locator("main"))).includes("Wann öffnet das Bürgeramt"), "the message's own page does not show it");
  await audit(bp, "dialogue message");
  await open(bp, "/staff/dialogue");
  await submit(bp, bp.getByRole("button", { name: "Mark as answered", exact: true }), "marking the message answered");
  await arriveAt(bp, /\/staff\/dialogue\?state=open#m-/, "marking the message answered");
  expect((await bp.locator("article.message").count()) === 0, "the answered message is still listed as open");

  // The archive finds it by its words across accounts; the calendar shows what is planned.
  await follow(bp, bp.locator('header nav a[href="/staff/announcements"]'), /\/staff\/announcements$/, "Announcements link");
  await bp.getByLabel("Words").fill(marker.toUpperCase());
  await follow(bp, bp.getByRole("button", { name: "Search", exact: true }), /\/staff\/announcements\?q=/, "searching the archive");
  expect((await textOf(sectionByHeading(bp, "Found"))).includes(marker), "the archive does not find the announcement by its words");
  await audit(bp, "archive (search)");
  await follow(bp, bp.getByRole("link", { name: "The calendar of what is planned", exact: true }), /\/staff\/calendar$/, "the calendar link");
  await audit(bp, "calendar");

  // The announcement's staff page, through the overview and the account page.
  await follow(bp, bp.locator('header nav a[href="/staff"]'), /\/staff$/, "Overview link");
  await follow(
    bp,
    bp.locator(`main a[href="/staff/accounts/${opts.account}"]`),
    new RegExp(`/staff/accounts/${escapeRegExp(opts.account)}$`),
    "account link",
  );
  await audit(bp, "account");
  await follow(
    bp,
    bp.locator("main li a").filter({ hasText: marker }),
    new RegExp(`/staff/accounts/${escapeRegExp(opts.account)}/announcements/[^/]+$`),
    "the new announcement on the account page",
  );
  expect((await textOf(bp.locator("main"))).includes(marker), "the announcement page does not show the text");
  expect((await bp.locator("main table").count()) >= 1, "no delivery progress table");
  expect((await bp.locator("textarea#reason[required]").count()) === 1, "no retract form with a required reason");
  await audit(bp, "announcement (staff)");

  // The approver pins it to the profile, and the page says so.
  await submit(bp, bp.getByRole("button", { name: "Pin", exact: true }), "pinning the announcement");
  await arriveAt(bp, new RegExp(`/staff/accounts/${escapeRegExp(opts.account)}/announcements/[^/]+$`), "pinning");
  expect((await bp.getByRole("button", { name: "Unpin", exact: true }).count()) === 1, "no Unpin button after pinning");
  await audit(bp, "announcement pinned (staff)");

  // The article's permalink (its time stamp) is the public page.
  const permalink = bp
    .locator(
      `main article a[href*="/users/${opts.account}/announcements/"], main article a[href*="/users/${opts.account}/statuses/"]`,
    )
    .first();
  expect((await permalink.count()) === 1, "no link to the public announcement page");
  const publicUrl = await permalink.evaluate((a) => a.href);
  log(`public announcement page ${publicUrl}`);

  // Public pages.
  await open(bp, "/");
  await audit(bp, "home (public)");
  await follow(
    bp,
    bp.locator(`main a[href$="/users/${opts.account}"]`),
    new RegExp(`/users/${escapeRegExp(opts.account)}$`),
    "the account on the home page",
  );
  expect((await textOf(bp.locator("main"))).includes(marker), "the public profile does not show the new announcement");
  expect((await bp.getByRole("heading", { name: "Pinned", exact: true }).count()) === 1, "the profile shows no pinned announcements");
  await audit(bp, "profile (public)");
  // Following from one's own server: the form, and what a mistyped address says.
  await follow(bp, bp.getByRole("link", { name: "Follow from your fediverse server" }), /\/follow$/, "the follow link");
  await audit(bp, "follow (public)");
  await bp.locator("input#address").fill("not-an-address");
  await submit(bp, bp.getByRole("button", { name: "Continue", exact: true }), "asking to follow");
  expect((await bp.locator('[role="alert"]').count()) === 1, "a mistyped address gives no message");
  await audit(bp, "follow with error (public)");
  await bp.goBack();
  await bp.goBack();
  await follow(bp, bp.locator(`main article a[href="${publicUrl}"]`), (u) => u.href === publicUrl, "the permalink on the profile");
  expect((await textOf(bp.locator("main article"))).includes(marker), "the public announcement page does not show the text");
  // Citizens see the warning first and unfold the text themselves.
  expect(!(await bp.locator("main article").getByText(marker).isVisible()), "the public page does not fold the text behind its warning");
  await bp.locator("main article summary").click();
  await audit(bp, "announcement (public)");
  await follow(bp, bp.locator('main article a[rel="tag"]'), /\/tags\/herolduitest$/, "the hashtag on the announcement");
  expect((await textOf(bp.locator("main"))).includes(marker), "the tag page does not list the announcement");
  await audit(bp, "tag (public)");
  await open(bp, `/users/${opts.account}/embed`);
  expect((await bp.locator("main article").count()) >= 1, "the embeddable page shows no announcement");
  await audit(bp, "embed (public)");
  const missing = await bp.goto(at("/users/nobody-by-this-name"), { waitUntil: "load" });
  expect(missing?.status() === 404, `a missing account answered ${missing?.status()}`);
  await audit(bp, "not found (public)");

  await open(bp, "/staff");
  await signOut(bp, "bob");
}

/** Nora has no role: after signing in she gets the "No access" page. */
async function noAccess(browser) {
  const { page } = await newPerson(browser, "en-GB");
  await signIn(page, "nora");
  await page.getByRole("heading", { level: 1, name: "No access", exact: true }).waitFor();
  expect((await page.locator("header form.signout").count()) === 0, "nora got a signed-in staff header");
  log(`nora sees "No access" at ${shortUrl(page.url())}`);
  await audit(page, "no access");
}

/** The German interface: /login and /staff with de-DE (Erik, author and approver). */
async function german(browser) {
  const { page } = await newPerson(browser, "de-DE");
  await open(page, "/login");
  expect((await page.locator("html").getAttribute("lang")) === "de", "/login is not in German with de-DE");
  await audit(page, "login (de)");
  await signIn(page, "erik");
  await open(page, "/staff");
  expect((await page.locator("html").getAttribute("lang")) === "de", "/staff is not in German with de-DE");
  await page.getByRole("heading", { level: 1, name: "Übersicht", exact: true }).waitFor();
  await audit(page, "overview (de)");
  // A citizen in Germany follows from their own server: the page and its error, in German.
  await open(page, `/users/${opts.account}/follow`);
  expect((await page.locator("html").getAttribute("lang")) === "de", "the follow page is not in German with de-DE");
  await page.locator("input#address").fill("keine-adresse");
  await submit(page, page.getByRole("button", { name: "Weiter", exact: true }), "asking to follow (de)");
  expect((await page.locator('[role="alert"]').count()) === 1, "a mistyped address gives no message (de)");
  await audit(page, "follow with error (public, de)");
  // One submission in two tabs: the step taken again in the older tab is refused, and the
  // page says why in German.
  await open(page, "/staff/new");
  // What is typed survives leaving the page: the browser asks first, and the form offers it
  // back when opened again.
  const unsaved = `Ungespeichert ${Date.now().toString(36)}`;
  await page.locator("textarea#text").click();
  await page.locator("textarea#text").pressSequentially(unsaved);
  await page.waitForTimeout(1200);
  let warned = false;
  page.once("dialog", (dialog) => {
    warned = dialog.type() === "beforeunload";
    dialog.accept();
  });
  await page.reload({ waitUntil: "load" });
  expect(warned, "leaving with unsaved text gave no warning");
  await page.locator(".kept").waitFor();
  await audit(page, "compose with kept text (de)");
  await page.getByRole("button", { name: "Wiederherstellen", exact: true }).click();
  expect((await page.locator("textarea#text").inputValue()) === unsaved, "the kept text was not restored");
  // The session ends while writing (signed out elsewhere): saving keeps the text on a page
  // that says how to go on, and after signing in again in another tab, it saves.
  await page.context().clearCookies();
  const ended = await submit(page, page.getByRole("button", { name: "Entwurf speichern", exact: true }), "saving after the session ended (de)");
  expect(ended === 401, `saving after the session ended answered ${ended}, expected 401`);
  expect((await page.locator("textarea#text").inputValue()) === unsaved, "the text was lost with the session");
  await audit(page, "session ended (de)");
  const tab = await page.context().newPage();
  await signIn(tab, "erik");
  await tab.close();
  const stale = await submit(page, page.getByRole("button", { name: "Erneut speichern", exact: true }), "saving again (de)");
  expect(stale === 400, `saving again answered ${stale}, expected 400 (the form to check)`);
  expect((await page.locator("textarea#text").inputValue()) === unsaved, "the text was lost after signing in again");
  await audit(page, "form from before signing in again (de)");
  await page.locator("select#account").selectOption(opts.account);
  await page.locator("textarea#text").fill(`Browser-Test ${Date.now().toString(36)}, bitte ignorieren`);
  // A publishing time that has passed (an hour ago on the organisation's clock) is refused,
  // in German, keeping the text.
  const hourAgo = localInput(new Date(Date.now() - 3600 * 1000));
  await page.locator("input#publish_at").fill(hourAgo);
  const past = await submit(page, page.getByRole("button", { name: "Entwurf speichern", exact: true }), "saving with a past time (de)");
  expect(past === 400, `saving with a past time answered ${past}, expected 400`);
  const pastSaid = await textOf(page.locator("#form-error"));
  expect(pastSaid.includes("liegt in der Vergangenheit"), `the past time is not refused in German: ${pastSaid}`);
  expect((await page.locator("textarea#text").inputValue()).includes("Browser-Test"), "the text was lost");
  await audit(page, "compose with a past time (de)");
  await page.locator("select#account").selectOption(opts.account);
  // Tomorrow at ten, as a press officer types it, reads back as ten o'clock in words.
  const tomorrow = localInput(new Date(Date.now() + 86400 * 1000)).slice(0, 10) + "T10:00";
  await page.locator("input#publish_at").fill(tomorrow);
  await submit(page, page.getByRole("button", { name: "Entwurf speichern", exact: true }), "saving a draft (de)");
  await arriveAt(page, /\/staff\/drafts\/[^/]+$/, "saving a draft (de)");
  const scheduled = await textOf(page.locator("main dd time").first());
  expect(/^\d{1,2}\. \S+ \d{4}, 10:00 Uhr \S+$/.test(scheduled), `the schedule does not read as typed: ${scheduled}`);
  await audit(page, "draft scheduled in local time (de)");
  await submit(page, page.getByRole("button", { name: "Zur Freigabe vorlegen", exact: true }), "submitting (de)");
  const recall = "Zur Bearbeitung zurückholen";
  const other = await page.context().newPage();
  await other.goto(page.url());
  await submit(other, other.getByRole("button", { name: recall, exact: true }), "taking it back in a second tab (de)");
  await other.close();
  const again = await submit(page, page.getByRole("button", { name: recall, exact: true }), "taking it back again (de)");
  expect(again === 409, `taking it back twice answered ${again}, expected 409`);
  const said = await textOf(page.locator("main [role=alert]").first());
  log(`refusal shown: ${said}`);
  expect(said.includes("kann jetzt nicht zurückgeholt werden"), `the refusal is not in German: ${said}`);
  await audit(page, "draft with a refusal (de)");

  // Answering the citizen whose message was marked answered earlier: the question is beside
  // the form, in German.
  await open(page, "/staff/dialogue?state=answered");
  await audit(page, "dialogue answered (de)");
  await follow(page, page.getByRole("link", { name: "Öffentlich antworten", exact: true }), /\/staff\/new\?answer=/, "answering a citizen (de)");
  expect((await textOf(page.locator("main section"))).includes("Wann öffnet das Bürgeramt"), "the question is not beside the answer");
  // The organisation's template fills the text, after the citizen's address.
  await page.getByLabel("Mit einer Vorlage beginnen").selectOption({ label: "Danke" });
  await follow(page, page.getByRole("button", { name: "Diese Vorlage verwenden", exact: true }), /template=Danke/, "the template");
  const started = await page.locator("textarea#text").inputValue();
  expect(started.includes("Vielen Dank für Ihre Nachricht."), `the template did not fill the answer: ${started}`);
  await audit(page, "answer (de)");

  // A change to the published announcement, with an image: the page shows what changes,
  // word by word, and each image with its description.
  await open(page, `/staff/accounts/${opts.account}`);
  await follow(
    page,
    page.locator("main li a").first(),
    new RegExp(`/staff/accounts/${escapeRegExp(opts.account)}/announcements/[^/]+$`),
    "the announcement on the account page (de)",
  );
  await follow(page, page.getByRole("link", { name: "Änderung vorschlagen", exact: true }), /\/staff\/new\?/, "proposing a change (de)");
  const text = page.locator("textarea#text");
  await text.fill((await text.inputValue()).replace("please ignore", "bitte nicht beachten"));
  await submit(page, page.getByRole("button", { name: "Entwurf speichern", exact: true }), "saving the change (de)");
  await arriveAt(page, /\/staff\/drafts\/[^/]+$/, "saving the change (de)");
  const dot = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  );
  await page.locator("input#file").setInputFiles({ name: "punkt.png", mimeType: "image/png", buffer: dot });
  await page.locator("textarea#alt").fill("Ein blauer Punkt als Testbild");
  await submit(page, page.getByRole("button", { name: "Bild anhängen", exact: true }), "attaching an image (de)");
  await arriveAt(page, /\/staff\/drafts\/[^/]+$/, "attaching an image (de)");
  const changes = await textOf(page.locator(".diff"));
  expect(changes.includes("bitte nicht beachten"), `the change is not shown: ${changes}`);
  expect((await page.locator(".diff del").count()) >= 1 && (await page.locator(".diff ins").count()) >= 1, "nothing is marked as removed and added");
  expect((await page.locator("figure.image figcaption").filter({ hasText: "Ein blauer Punkt" }).count()) === 1, "the image's description is not shown");
  await audit(page, "change with an image (de)");
  // Withdrawing asks first, and says what it does.
  await follow(page, page.getByRole("link", { name: "Zurückziehen…", exact: true }), /\/withdraw$/, "withdrawing (de)");
  await audit(page, "withdraw confirmation (de)");
  await follow(page, page.getByRole("link", { name: "Nein, behalten", exact: true }), /\/staff\/drafts\/[^/]+$/, "keeping it (de)");

  // What is not there is said inside the workspace, with its navigation: no dead end.
  const missing = await page.goto(at("/staff/drafts/gibt-es-nicht"), { waitUntil: "load" });
  expect(missing?.status() === 404, `a missing submission answered ${missing?.status()}`);
  expect((await page.locator('header nav a[href="/staff"]').count()) === 1, "the error page has no navigation");
  expect((await textOf(page.locator("main [role=alert]"))).startsWith("Hier ist nichts"), "the error is not said in German");
  await audit(page, "problem (de)");

  // Bob approves: he is told, in the navigation and on his notifications page, that Erik's
  // submission waited for him (Herold tells approvers it knows, those who signed in before).
  const b = await newPerson(browser, "de-DE");
  await signIn(b.page, "bob");
  let told = "";
  for (let i = 0; i < 20 && !told.includes("Erik Editor hat eine Mitteilung zur Freigabe vorgelegt"); i++) {
    await open(b.page, "/staff/notifications");
    told = await textOf(b.page.locator("main"));
    if (!told.includes("Erik Editor")) await b.page.waitForTimeout(500);
  }
  expect(told.includes("Erik Editor hat eine Mitteilung zur Freigabe vorgelegt"), `bob was not told of the submission: ${told}`);
  expect((await textOf(b.page.locator("header nav"))).includes("neu"), "the navigation does not count what is new");
  await audit(b.page, "notifications (de)");
  await open(b.page, "/staff/announcements?status=retracted");
  await audit(b.page, "archive, retracted (de)");
  await open(b.page, "/staff/calendar");
  await audit(b.page, "calendar (de)");
}

/** A moment as `<input type="datetime-local">` takes it, on the organisation's clock. */
function localInput(date) {
  // Sweden writes dates as ISO 8601 does: "2026-12-07 14:00".
  const text = date.toLocaleString("sv-SE", { timeZone: opts["time-zone"], hour12: false });
  return text.slice(0, 16).replace(" ", "T");
}

/** Dana is the auditor: the audit trail (filtered), the compliance report, the Art. 30 record. */
async function oversight(browser) {
  const { page } = await newPerson(browser, "en-GB");
  await signIn(page, "dana");
  await open(page, "/staff/audit");
  await page.getByRole("heading", { level: 1, name: "Audit trail", exact: true }).waitFor();
  await audit(page, "audit trail");
  await page.getByLabel("Action", { exact: true }).selectOption("staff.sign_in");
  await Promise.all([
    page.waitForURL(/action=staff\.sign_in/, { timeout: NAV_TIMEOUT_MS }),
    page.getByRole("button", { name: "Filter" }).click(),
  ]);
  expect((await page.locator("table.audit tbody tr").count()) > 0, "the filtered trail is empty");
  await audit(page, "audit trail (filtered)");
  await open(page, "/staff/report");
  await audit(page, "compliance report");
  await open(page, "/staff/ropa");
  await audit(page, "record of processing");
  await open(page, "/staff/dsar");
  await page.getByRole("heading", { level: 1, name: "Subject requests", exact: true }).waitFor();
  await audit(page, "subject requests");
  // A request entered in the register, by keyboard-reachable fields, with its deadline, the
  // forms to close it and (behind a disclosure) to extend it.
  await page.locator("input#request-subject").fill("@anna@social.example");
  await page.locator("select#request-kind").selectOption("access");
  await submit(page, page.getByRole("button", { name: "Register", exact: true }), "registering a request");
  await arriveAt(page, /\/staff\/dsar/, "registering a request");
  expect((await page.locator("p.success").count()) === 1, "registering a request is not confirmed");
  await page.getByText("Extend the deadline by two months…").click();
  expect(await page.locator("textarea[id^=reason-]").isVisible(), "the extension form does not open");
  await audit(page, "subject request registered");
  // Her own settings: whether notifications also come by e-mail.
  await follow(page, page.locator('header a[href="/staff/settings"]'), /\/staff\/settings$/, "Settings link");
  expect((await page.locator("input#email[type=checkbox]").count()) === 1, "no e-mail setting");
  await audit(page, "settings");
}

/** A PNG file of `size` pixels square: a light disc on a dark blue ground, like a logo. */
function logoPng(size) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "latin1");
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = [0];
    for (let x = 0; x < size; x++) {
      const inside = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2;
      row.push(...(inside ? [250, 204, 21] : [20, 50, 110]));
    }
    rows.push(Buffer.from(row));
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const png = Buffer.concat([
    signature,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  const file = join(mkdtempSync(join(tmpdir(), "herold-ui-")), "logo.png");
  writeFileSync(file, png);
  return file;
}

/** Carol is the organisation's administrator: accounts and staff, and she proposes a
 * profile for @press (name, biography, a website field, the logo as avatar). */
async function administration(browser) {
  const { page } = await newPerson(browser, "en-GB");
  await signIn(page, "carol");
  await open(page, "/staff/admin");
  await page.getByRole("heading", { level: 1, name: "Administration", exact: true }).waitFor();
  await audit(page, "administration");
  await follow(page, page.locator('a[href="/staff/accounts/press/profile"]'), /\/profile$/, "Profile link");
  await audit(page, "profile");
  await page.getByLabel("Display name", { exact: true }).fill("Press Office of the Demo Authority");
  await page.getByLabel("Biography", { exact: true }).fill(
    "Official announcements of the Demo Authority.\n\nWe answer on working days.",
  );
  await page.getByLabel("Name of field 1", { exact: true }).fill("Website");
  await page.getByLabel("Value of field 1", { exact: true }).fill("https://www.demo.example/");
  await page.locator("#avatar-file").setInputFiles(logoPng(400));
  await page.locator("#avatar-alt").fill("Logo of the Demo Authority: a yellow disc on blue");
  const status = await submit(page, page.getByRole("button", { name: "Propose change" }), "propose profile");
  expect(status === 303, `proposing the profile answered ${status}`);
  await page.getByRole("heading", { name: "A change waits for approval" }).waitFor();
  await audit(page, "profile (change waiting)");
}

/** Bob approves Carol's profile change; the public profile and the privacy notice show it. */
async function profileApproval(browser) {
  const { page } = await newPerson(browser, "de-DE");
  await signIn(page, "bob");
  await open(page, "/staff/accounts/press/profile");
  await page.getByRole("heading", { name: "Eine Änderung wartet auf Freigabe" }).waitFor();
  await audit(page, "profile approval");
  const status = await submit(page, page.getByRole("button", { name: "Änderung übernehmen" }), "apply profile");
  expect(status === 303, `applying the profile answered ${status}`);
  await open(page, "/users/press");
  await page.getByRole("heading", { level: 1, name: "Press Office of the Demo Authority" }).waitFor();
  expect((await page.locator('a[rel="me"][href="https://www.demo.example/"]').count()) === 1, "no rel=me link");
  await audit(page, "public profile");
  await follow(page, page.locator('footer a[href$="/privacy/demo"]'), /\/privacy\/demo$/, "privacy notice link");
  await audit(page, "privacy notice");
}

/** Carol also administers the organisation that runs the server: the relay's page. */
async function relayOperator(browser) {
  const { page } = await newPerson(browser, "de-DE");
  await signIn(page, "carol", { org: opts["operator-org"] });
  await open(page, "/staff/relay");
  await page.getByRole("heading", { level: 1, name: "Relay", exact: true }).waitFor();
  await audit(page, "relay");
  // Ending a server's subscription is asked again, with a reason, before anything happens.
  await submit(page, page.getByRole("button", { name: "Abonnement beenden", exact: true }).first(), "ending a subscription");
  expect((await page.locator("textarea#reason").count()) === 1, "ending a subscription was not asked again");
  await audit(page, "relay confirmation (de)");
  // The delivery queue across every account: the servers that fail, what can be done.
  await follow(page, page.locator('header nav a[href="/staff/deliveries"]'), /\/staff\/deliveries$/, "Zustellwarteschlange link");
  await page.getByRole("heading", { level: 1, name: "Zustellwarteschlange", exact: true }).waitFor();
  await audit(page, "delivery queue (de)");
}

/**
 * A citizen without a fediverse account subscribes by e-mail, in German: the form, a
 * mistyped address, the request taken, then the confirmation link from the mail and its
 * button.
 */
async function subscribing(browser) {
  if (!opts.mail) return;
  const { context, page } = await newPerson(browser, "de-DE");
  await open(page, `/users/${opts.account}`);
  await follow(page, page.getByRole("link", { name: "Die Mitteilungen per E-Mail erhalten" }), /\/subscribe$/, "the subscribe link");
  await audit(page, "subscribe (public)");
  await page.locator("input#email").fill("bürger at example.org");
  // The browser's own check of type=email would stop the form: Herold's answer is what is audited.
  await page.locator("form").evaluate((f) => f.setAttribute("novalidate", ""));
  await submit(page, page.getByRole("button", { name: "Abonnieren", exact: true }), "subscribing with a mistyped address");
  expect((await page.locator('[role="alert"]').count()) === 1, "a mistyped address gives no message");
  await audit(page, "subscribe with error (public)");
  const address = "anna.buerger@example.org";
  await page.locator("input#email").fill(address);
  await submit(page, page.getByRole("button", { name: "Abonnieren", exact: true }), "subscribing");
  expect((await page.locator('[role="status"]').count()) === 1, "the request is not acknowledged");
  await audit(page, "subscribe requested (public)");
  let link;
  for (let i = 0; i < 40 && !link; i++) {
    const mails = await (await fetch(`${opts.mail}/email`)).json();
    const mail = mails.find((m) => m.to?.some((t) => t.address === address));
    link = mail?.text?.match(/https?:\/\/\S+\/confirm/)?.[0];
    if (!link) await new Promise((r) => setTimeout(r, 250));
  }
  expect(link, "no confirmation mail reached the mail catcher");
  await page.goto(link, { waitUntil: "load" });
  await audit(page, "confirm subscription (public)");
  await submit(page, page.getByRole("button", { name: "Abonnement bestätigen", exact: true }), "confirming");
  expect((await textOf(page.locator("main"))).includes("Bestätigt"), "the subscription is not confirmed");
  await audit(page, "subscription confirmed (public)");
  await context.close();
}

async function part(name, fn, browser) {
  try {
    await fn(browser);
    log(`${name}: ok`);
  } catch (err) {
    const msg = err instanceof FlowError ? err.message : (err?.stack ?? String(err));
    failures.push(`${name}: ${msg}`);
    log(`${name}: FAILED: ${msg}`);
  }
}

async function main() {
  let browser;
  const watchdog = setTimeout(() => {
    failures.push(`the whole run took longer than ${WHOLE_RUN_MS / 1000} s`);
    finish();
  }, WHOLE_RUN_MS);

  let finished = false;
  function finish() {
    if (finished) return;
    finished = true;
    clearTimeout(watchdog);
    if (failures.length) report.flow = `failed: ${failures.join("; ")}`;
    process.stdout.write(`${JSON.stringify(report)}\n`);
    const code = report.flow === "ok" && report.violations === 0 ? 0 : 1;
    // Closing the browser also removes the temporary profile playwright made for it.
    const exit = () => process.exit(code);
    Promise.resolve(browser?.close()).catch(() => {}).finally(exit);
    setTimeout(exit, 5_000).unref();
  }

  try {
    // launch() gives chromium a fresh temporary user-data dir; every person below gets a
    // separate, cookie-isolated browser context in it.
    browser = await chromium.launch({
      executablePath: opts.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: NAV_TIMEOUT_MS,
    });
    log(`chromium ${browser.version()} started`);
    // The three parts do not depend on each other; a failure in one still lets the
    // others run (and be audited).
    await part("publishing (alice, bob)", publishing, browser);
    await part("no access (nora)", noAccess, browser);
    await part("German interface (erik)", german, browser);
    await part("oversight (dana)", oversight, browser);
    await part("administration (carol)", administration, browser);
    await part("subscribing by e-mail (a citizen)", subscribing, browser);
    await part("profile approval (bob)", profileApproval, browser);
    if (opts["operator-org"]) await part("relay operator (carol)", relayOperator, browser);
  } catch (err) {
    failures.push(err?.stack ?? String(err));
  }
  finish();
}

main();
