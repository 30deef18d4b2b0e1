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
// stdout: one JSON line {"pages":[{"url","violations"}],"violations":N,"flow":"ok"|"failed: …"}
// stderr: progress and the details of every violation.
// Exit status 0 only when the flow succeeded and no violation was found.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

const NAV_TIMEOUT_MS = 15_000;
const ACTION_TIMEOUT_MS = 10_000;
const WHOLE_RUN_MS = 55_000;
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
    account: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

if (opts.help || !opts.herold || !opts.org || !opts.account) {
  process.stderr.write(
    "usage: node tests/browser/ui.mjs --herold <URL> --org <slug> --account <username> [--chromium <path>]\n",
  );
  process.exit(opts.help ? 0 : 2);
}

const herold = new URL(opts.herold);
const heroldOrigin = herold.origin;
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
const started = Date.now();
const log = (msg) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);

class FlowError extends Error {}
function expect(condition, message) {
  if (!condition) throw new FlowError(message);
}

/** Origin and path only: the sign-out URL carries an ID token that need not be in logs. */
function shortUrl(url) {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Runs axe-core in the page and records the result under `label`. */
async function audit(page, label) {
  const url = page.url();
  if (!isHerold(url)) {
    log(`not auditing ${url} (not a Herold page)`);
    return;
  }
  // Evaluated through the DevTools protocol, so the page's CSP (which forbids all
  // scripts) does not get in the way and does not need to be bypassed.
  const loaded = await page.evaluate(() => typeof window.axe === "object");
  if (!loaded) await page.evaluate(axeSource);
  const result = await page.evaluate(
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
        nodes: v.nodes.map((n) => ({
          target: n.target,
          html: n.html,
          summary: n.failureSummary,
        })),
      }));
    },
    AXE_TAGS,
  );
  const count = result.reduce((sum, v) => sum + v.nodes.length, 0);
  report.pages.push({ url, page: label, violations: count });
  report.violations += count;
  log(`axe ${label} ${url}: ${count} violation(s)`);
  for (const v of result) {
    process.stderr.write(`  VIOLATION ${v.id} (${v.impact}) on ${label} <${url}>: ${v.help}\n    ${v.helpUrl}\n`);
    for (const n of v.nodes) {
      process.stderr.write(`    target: ${JSON.stringify(n.target)}\n    html:   ${n.html}\n`);
      if (n.summary) process.stderr.write(`    ${n.summary.replace(/\n/g, "\n    ")}\n`);
    }
  }
}

/** Opens a Herold path by typing it into the address bar, so to speak. */
async function open(page, path) {
  const response = await page.goto(at(path), { waitUntil: "load" });
  expect(response, `no response for ${path}`);
  expect(response.status() < 400, `${path} answered ${response.status()}`);
  return response;
}

/** Clicks something that navigates and waits until the browser is at `urlTest`. */
async function clickAndWait(page, locator, urlTest, what) {
  await locator.click();
  try {
    await page.waitForURL(urlTest, { waitUntil: "load" });
  } catch (err) {
    throw new FlowError(`${what}: expected to arrive at ${urlTest}, browser is at ${page.url()} (${err.message.split("\n")[0]})`);
  }
}

async function newContext(browser, locale) {
  const context = await browser.newContext({
    locale,
    extraHTTPHeaders: { "Accept-Language": locale },
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  await context.route((u) => isHerold(u.href), async (route) => {
    const req = route.request();
    if (req.method() === "POST" && req.headers().origin === "null") {
      const response = await route.fetch({ headers: { ...req.headers(), origin: heroldOrigin }, maxRedirects: 0 });
      return route.fulfill({ response });
    }
    return route.continue();
  });
  // Herold has no favicon; anything else that fails, and any CSP refusal, is worth seeing.
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) {
      log(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
    }
  });
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      log(`browser console error on ${page.url()}: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => log(`page error on ${page.url()}: ${e.message}`));
  return { context, page };
}

/**
 * From Herold's /login, picks the organisation and signs in on the provider's form.
 * Returns when the browser is back on Herold (wherever Herold sends it).
 */
async function signIn(page, login, { auditLogin = false } = {}) {
  await open(page, "/login");
  if (auditLogin) await audit(page, "login");
  const orgLink = page.locator(`a[href="/login/${opts.org}"]`);
  expect((await orgLink.count()) === 1, `no sign-in link for organisation ${opts.org} on /login`);
  await clickAndWait(page, orgLink, /\/interaction\//, "sign-in link");
  expect(!isHerold(page.url()), `sign-in link did not lead to the provider (at ${page.url()})`);
  log(`${login}: provider sign-in form at ${shortUrl(page.url())}`);
  await page.locator("#login").fill(login);
  await page.locator("#password").fill(PASSWORD);
  await clickAndWait(
    page,
    page.locator('form[action*="/login"] button[type="submit"]'),
    (u) => isHerold(u.href),
    `${login} signing in`,
  );
  log(`${login}: back on Herold at ${page.url()}`);
}

/** Header sign-out, then the provider's confirmation, ending on Herold's /login. */
async function signOut(page, who) {
  await clickAndWait(
    page,
    page.locator("header form.signout button[type=submit]"),
    (u) => !isHerold(u.href),
    `${who} signing out`,
  );
  log(`${who}: provider sign-out page ${shortUrl(page.url())}`);
  const yes = page.locator('form[action*="/session/end/confirm"] button[name="logout"][value="yes"]');
  expect((await yes.count()) === 1, `no "yes, sign me out" button on ${page.url()}`);
  await clickAndWait(page, yes, (u) => isHerold(u.href), `${who} confirming sign-out`);
  const end = new URL(page.url());
  expect(end.pathname === "/login", `${who} ended sign-out at ${page.url()}, not at Herold's /login`);
  // The Herold session must really be gone.
  await page.goto(at("/staff"));
  expect(!(await page.locator("header form.signout").count()), `${who} still signed in after sign-out`);
  log(`${who}: signed out, back at ${end.href}`);
}

function sectionByHeading(page, heading) {
  return page.locator("section").filter({ has: page.getByRole("heading", { level: 2, name: heading, exact: true }) });
}

async function textOf(locator) {
  return ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

async function draftState(page) {
  // The first <dd> of the facts list is the state.
  return textOf(page.locator("main dl dd").first());
}

async function run(browser) {
  const stamp = new Date().toISOString();
  const marker = `browser-ui-${Date.now().toString(36)}`;
  // Short enough (under 80 characters) that the lists show it whole.
  const text = `UI test ${marker} ${stamp}, please ignore`;
  log(`announcement text: ${text}`);

  // ---- A: alice, author, en-GB ------------------------------------------------------------
  const a = await newContext(browser, "en-GB");
  let draftUrl;
  {
    const { page } = a;
    await signIn(page, "alice", { auditLogin: true });
    expect(new URL(page.url()).pathname === "/staff", `alice landed on ${page.url()}, expected /staff`);
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await audit(page, "overview (author)");

    await clickAndWait(page, page.locator('header nav a[href="/staff/new"]'), /\/staff\/new$/, "New announcement link");
    await audit(page, "compose");

    const account = page.locator("select#account");
    await account.selectOption(opts.account);
    await page.locator("textarea#text").fill(text);
    const language = page.locator("input#language");
    const prefilled = await language.inputValue();
    expect(prefilled !== "", "language field was not prefilled");

    // A failed submit: empty language. The field is `required`, so switch off the browser's
    // own validation to get the server's error page (as a browser without it would).
    await language.fill("");
    await page.locator("textarea#text").evaluate((el) => {
      el.form.noValidate = true;
    });
    await page.getByRole("button", { name: "Save draft", exact: true }).click();
    await page.waitForLoadState("load");
    await page.locator("#form-error").waitFor();
    log(`compose error shown: ${await textOf(page.locator("#form-error"))}`);
    await audit(page, "compose (with error)");
    expect(
      (await page.locator("textarea#text").inputValue()).trim() === text,
      "the text was not kept after the failed submit",
    );

    await page.locator("select#account").selectOption(opts.account);
    await page.locator("textarea#text").fill(text);
    await page.locator("input#language").fill(prefilled);
    await page.locator("input#summary").fill("");
    await clickAndWait(
      page,
      page.getByRole("button", { name: "Save draft", exact: true }),
      /\/staff\/drafts\/[^/]+$/,
      "saving the draft",
    );
    draftUrl = page.url();
    log(`draft saved at ${draftUrl}`);
    expect((await draftState(page)) === "Draft", `new draft has state "${await draftState(page)}"`);
    expect((await textOf(page.locator(".preview"))).includes(marker), "preview does not show the text");
    await audit(page, "draft (author, state Draft)");

    await page.getByRole("button", { name: "Submit for approval", exact: true }).click();
    await page.waitForLoadState("load");
    await page.waitForFunction(
      () => document.querySelector("main dl dd")?.textContent.trim() === "Waiting for approval",
    );
    log("submitted for approval");
    await audit(page, "draft (author, state Waiting for approval)");
    await signOut(page, "alice");
  }

  // ---- B: bob, approver, en-GB ------------------------------------------------------------
  const b = await newContext(browser, "en-GB");
  {
    const { page } = b;
    await signIn(page, "bob");
    expect(new URL(page.url()).pathname === "/staff", `bob landed on ${page.url()}, expected /staff`);
    await audit(page, "overview (approver)");

    const queued = sectionByHeading(page, "Waiting for approval").getByRole("link").filter({ hasText: marker });
    expect((await queued.count()) === 1, "the submitted draft is not listed under \"Waiting for approval\"");
    await clickAndWait(page, queued, /\/staff\/drafts\/[^/]+$/, "opening the queued draft");
    expect(page.url() === draftUrl, `queue link led to ${page.url()}, expected ${draftUrl}`);
    expect((await draftState(page)) === "Waiting for approval", `draft state is "${await draftState(page)}"`);
    expect((await page.locator("textarea#comment[required]").count()) === 1, "reject form with a required comment missing");
    await audit(page, "draft (approver, state Waiting for approval)");

    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await page.waitForLoadState("load");
    await page.waitForFunction(() => document.querySelector("main dl dd")?.textContent.trim() === "Published");
    log("approved; the draft page says Published");
    await audit(page, "draft (approver, state Published)");

    // The announcement's staff page, reached through the overview and the account page.
    await clickAndWait(page, page.locator('header nav a[href="/staff"]'), /\/staff$/, "Overview link");
    await clickAndWait(
      page,
      page.locator(`main a[href="/staff/accounts/${opts.account}"]`),
      new RegExp(`/staff/accounts/${escapeRegExp(opts.account)}$`),
      "account link",
    );
    await audit(page, "account");
    const listed = page.locator("main li a").filter({ hasText: marker });
    expect((await listed.count()) === 1, "the new announcement is not listed on the account page");
    await clickAndWait(
      page,
      listed,
      new RegExp(`/staff/accounts/${escapeRegExp(opts.account)}/announcements/[^/]+$`),
      "announcement link",
    );
    expect((await textOf(page.locator("main"))).includes(marker), "announcement page does not show the text");
    expect((await page.locator("main table").count()) === 1, "no delivery progress table");
    expect((await page.locator("textarea#reason[required]").count()) === 1, "no retract form with a required reason");
    await audit(page, "announcement (staff)");

    // The article's permalink (its time stamp) is the public page.
    const publicLink = page
      .locator(
        `main article a[href*="/users/${opts.account}/announcements/"], main article a[href*="/users/${opts.account}/statuses/"]`,
      )
      .first();
    expect((await publicLink.count()) === 1, "no link to the public announcement page");
    const publicUrl = await publicLink.evaluate((el) => el.href);
    log(`public announcement URL ${publicUrl}`);

    // Public pages.
    await open(page, "/");
    await audit(page, "home (public)");
    await clickAndWait(
      page,
      page.locator(`main a[href$="/users/${opts.account}"]`),
      new RegExp(`/users/${escapeRegExp(opts.account)}$`),
      "profile link on the home page",
    );
    expect((await textOf(page.locator("main"))).includes(marker), "public profile does not show the new announcement");
    await audit(page, "profile (public)");
    await clickAndWait(
      page,
      page.locator(`main article a[href="${publicUrl}"]`).first(),
      (u) => u.href === publicUrl,
      "announcement link on the profile",
    );
    expect((await textOf(page.locator("main article"))).includes(marker), "public announcement page does not show the text");
    await audit(page, "announcement (public)");

    await open(page, "/staff");
    await signOut(page, "bob");
  }

  // ---- C: nora, no role ---------------------------------------------------------------------
  const c = await newContext(browser, "en-GB");
  {
    const { page } = c;
    await signIn(page, "nora");
    await page.getByRole("heading", { level: 1, name: "No access", exact: true }).waitFor();
    expect(!(await page.locator("header form.signout").count()), "nora got a staff header");
    log(`nora sees "No access" at ${page.url()}`);
    await audit(page, "no access");
  }

  // ---- D: German interface ------------------------------------------------------------------
  const d = await newContext(browser, "de-DE");
  {
    const { page } = d;
    await signIn(page, "erik", { auditLogin: false });
    // /login in German (signIn already went through it; audit it afresh).
    await open(page, "/login");
    expect((await page.locator("html").getAttribute("lang")) === "de", "/login is not German with de-DE");
    await audit(page, "login (de)");
    await open(page, "/staff");
    expect((await page.locator("html").getAttribute("lang")) === "de", "/staff is not German with de-DE");
    await page.getByRole("heading", { level: 1, name: "Übersicht" }).waitFor();
    await audit(page, "overview (de)");
  }

  for (const x of [a, b, c, d]) await x.context.close();
}

async function main() {
  let browser;
  const watchdog = setTimeout(() => {
    report.flow = `failed: the whole run took longer than ${WHOLE_RUN_MS / 1000} s`;
    finish(1);
  }, WHOLE_RUN_MS);

  function finish(code) {
    clearTimeout(watchdog);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    // Closing the browser also removes the temporary profile playwright made for it.
    const exit = () => process.exit(code);
    Promise.resolve(browser?.close())
      .catch(() => {})
      .finally(exit);
    setTimeout(exit, 5000).unref();
  }

  try {
    // launch() starts chromium with a fresh temporary user-data dir of its own; every
    // person below gets a separate, cookie-isolated browser context in it.
    browser = await chromium.launch({
      executablePath: opts.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: NAV_TIMEOUT_MS,
    });
    log(`chromium ${browser.version()} started`);
    await run(browser);
  } catch (err) {
    report.flow = `failed: ${err instanceof FlowError ? err.message : (err?.stack ?? String(err))}`;
    log(report.flow);
  }
  finish(report.flow === "ok" && report.violations === 0 ? 0 : 1);
}

main();
