// End-to-end self test of the development OpenID provider, without Herold:
//   node selftest.mjs        (any Node >= 20; the provider is started via ./run.sh)
// Starts a stand-in "Herold" (it only receives back-channel logouts) and the
// provider on port 0, then drives the flows with plain fetch and a tiny
// cookie jar, exactly as a browser without JavaScript would.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = dirname(fileURLToPath(import.meta.url));
let failures = 0;
let provider;
let fakeHerold;

function check(cond, msg, extra) {
  console.log(`${cond ? "ok  " : "FAIL"} ${msg}${!cond && extra !== undefined ? ` -- ${typeof extra === "string" ? extra : JSON.stringify(extra)}` : ""}`);
  if (!cond) failures++;
  return cond;
}
function must(cond, msg, extra) {
  if (!check(cond, msg, extra)) throw new Error(`cannot continue after: ${msg}`);
}

// ------------------------------------------------------------------ helpers
const b64url = (buf) => Buffer.from(buf).toString("base64url");
const rand = () => b64url(crypto.randomBytes(32)); // 43 chars, valid PKCE verifier

function decodeJwt(jwt) {
  const [h, p, s] = jwt.split(".");
  return {
    header: JSON.parse(Buffer.from(h, "base64url")),
    payload: JSON.parse(Buffer.from(p, "base64url")),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, "base64url"),
  };
}

function verifyRs256(jwt, jwks) {
  const { header, signingInput, signature } = decodeJwt(jwt);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || header.alg !== "RS256") return false;
  const key = crypto.createPublicKey({ key: jwk, format: "jwk" });
  return crypto.verify("RSA-SHA256", Buffer.from(signingInput), key, signature);
}

// Minimal cookie jar: honours Path and deletion, ignores Domain (one host).
class Jar {
  #cookies = new Map(); // "name\0path" -> { name, value, path }
  store(url, res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = "/";
      let expired = value === "";
      for (const a of attrs) {
        const [k, v = ""] = a.split("=");
        if (k.toLowerCase() === "path") path = v || "/";
        if (k.toLowerCase() === "expires" && Date.parse(v) <= Date.now()) expired = true;
        if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
      }
      const key = `${name}\0${path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }
  header(url) {
    const { pathname } = new URL(url);
    const matching = [...this.#cookies.values()].filter(
      (c) => pathname === c.path || pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`),
    );
    return matching.map((c) => `${c.name}=${c.value}`).join("; ");
  }
  names() {
    return [...this.#cookies.values()].map((c) => `${c.name}@${c.path}`);
  }
}

async function request(jar, url, { method = "GET", form, headers = {} } = {}) {
  const h = { ...headers };
  const cookie = jar?.header(url);
  if (cookie) h.cookie = cookie;
  let body;
  if (form) {
    h["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(url, { method, headers: h, body, redirect: "manual" });
  jar?.store(url, res);
  const text = await res.text();
  return { status: res.status, location: res.headers.get("location"), headers: res.headers, text, url };
}

// Follow redirects by hand until one points at `stopPrefix` (not fetched) or
// a non-redirect response arrives.  Returns { stoppedAt, res, hops }.
async function follow(jar, first, stopPrefix) {
  let res = first;
  const hops = [];
  for (let i = 0; i < 20; i++) {
    if (res.status < 300 || res.status >= 400) return { res, hops };
    const next = new URL(res.location, res.url).href;
    hops.push(`${res.status} ${next}`);
    if (stopPrefix && next.startsWith(stopPrefix)) return { stoppedAt: next, res, hops };
    res = await request(jar, next);
  }
  throw new Error("too many redirects");
}

function parseForms(html, baseUrl) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attr = (s, name) => s.match(new RegExp(`\\b${name}="([^"]*)"`, "i"))?.[1];
    const unescape = (s) => s?.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    const inputs = {};
    for (const i of m[2].matchAll(/<input\b([^>]*)>/gi)) {
      const name = attr(i[1], "name");
      if (name) inputs[name] = { type: attr(i[1], "type") ?? "text", value: unescape(attr(i[1], "value") ?? "") };
    }
    const buttons = [];
    for (const b of m[2].matchAll(/<button\b([^>]*)>/gi)) {
      buttons.push({ name: attr(b[1], "name"), value: unescape(attr(b[1], "value")) });
    }
    forms.push({
      method: (attr(m[1], "method") ?? "get").toLowerCase(),
      action: new URL(unescape(attr(m[1], "action")) ?? baseUrl, baseUrl).href,
      inputs,
      buttons,
    });
  }
  return forms;
}

// ------------------------------------------------------------------ processes
function startFakeHerold() {
  const backchannel = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/auth/backchannel-logout") {
        backchannel.push(new URLSearchParams(body).get("logout_token"));
        res.writeHead(200).end();
      } else {
        res.writeHead(404).end();
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, backchannel, base: `http://127.0.0.1:${server.address().port}` })),
  );
}

function startProvider(herold) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(dir, "run.sh"), ["--port", "0", "--herold", herold], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error("provider did not become ready")), 30000);
    child.stderr.on("data", (d) => {
      err += d;
      if (process.env.SELFTEST_VERBOSE) process.stderr.write(d);
    });
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/^READY (\d+)\n/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), base: `http://127.0.0.1:${m[1]}`, stdout: () => out, stderr: () => err });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`provider exited with ${code}: ${err}`));
    });
  });
}

// ------------------------------------------------------------------ flows
async function startAuth(jar, disc, client, extra = {}) {
  const verifier = rand();
  const state = rand();
  const nonce = rand();
  const url = new URL(disc.authorization_endpoint);
  const params = {
    client_id: client.client_id,
    response_type: "code",
    redirect_uri: client.redirect_uri,
    scope: "openid profile email groups",
    state,
    nonce,
    code_challenge: b64url(crypto.createHash("sha256").update(verifier).digest()),
    code_challenge_method: "S256",
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  const res = await request(jar, url.href);
  return { res, verifier, state, nonce };
}

async function signIn(jar, disc, client, login, { expectForm = true } = {}) {
  const auth = await startAuth(jar, disc, client);
  must(auth.res.status === 303, `${login}/${client.client_id}: authorization endpoint redirects (303)`, auth.res.status);
  let { stoppedAt, res, hops } = await follow(jar, auth.res, client.redirect_uri);
  if (expectForm) {
    must(!stoppedAt && res.status === 200, `${login}/${client.client_id}: redirect chain ends at the login page`, hops);
    must(/^http:\/\/127\.0\.0\.1:\d+\/interaction\/[A-Za-z0-9_-]+$/.test(res.url), `login page is at /interaction/<uid>`, res.url);
    const forms = parseForms(res.text, res.url);
    const form = forms.find((f) => f.action.endsWith("/login"));
    must(form && form.method === "post" && "login" in form.inputs && "password" in form.inputs,
      "login page has a POST form with fields login and password", forms);
    check(/<html lang="en">/.test(res.text) && /<label for="login">/.test(res.text) && /<label for="password">/.test(res.text) && /<h1>/.test(res.text) && !/<script/i.test(res.text),
      "login page: lang=en, labelled fields, heading, no script");

    const wrong = await request(jar, form.action, { method: "POST", form: { login, password: "wrong" } });
    check(wrong.status === 401 && /role="alert"/.test(wrong.text) && parseForms(wrong.text, wrong.url).some((f) => f.action === form.action),
      "wrong password re-renders the form with an error (401)", wrong.status);
    const unknown = await request(jar, form.action, { method: "POST", form: { login: "mallory", password: "demo" } });
    check(unknown.status === 401, "unknown user is refused (401)", unknown.status);

    const posted = await request(jar, form.action, { method: "POST", form: { login, password: "demo" } });
    must(posted.status === 303, "login POST answers 303", posted.status);
    ({ stoppedAt, res, hops } = await follow(jar, posted, client.redirect_uri));
    console.log(`     redirects after login POST: ${hops.map((h) => h.replace(/\?.*/, "?…")).join("  ->  ")}`);
  } else {
    console.log(`     redirects (existing session): ${hops.map((h) => h.replace(/\?.*/, "?…")).join("  ->  ")}`);
  }
  must(stoppedAt, `${login}/${client.client_id}: ends in a redirect to the client's callback`, { status: res.status, body: res.text.slice(0, 300), hops });
  const cb = new URL(stoppedAt);
  check(cb.searchParams.get("state") === auth.state, "callback carries our state");
  check(cb.searchParams.get("iss") === disc.issuer, "callback carries iss (RFC 9207)", cb.search);
  const code = cb.searchParams.get("code");
  must(code, "callback carries a code", cb.search);

  const tokenRes = await fetch(disc.token_endpoint, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: client.redirect_uri, code_verifier: auth.verifier }),
  });
  const tokens = await tokenRes.json();
  must(tokenRes.status === 200 && tokens.id_token, `${login}/${client.client_id}: code exchange with client_secret_basic`, tokens);
  const { header, payload } = decodeJwt(tokens.id_token);
  check(header.alg === "RS256", "ID token is RS256", header);
  check(verifyRs256(tokens.id_token, disc.jwks), "ID token signature verifies against jwks_uri");
  check(payload.iss === disc.issuer, "ID token iss", payload.iss);
  check(payload.aud === client.client_id, "ID token aud", payload.aud);
  check(payload.nonce === auth.nonce, "ID token nonce");
  check(payload.sub === `demo-${login}`, "ID token sub", payload.sub);
  check(payload.exp - payload.iat === 3600, "ID token lives 1 hour", payload.exp - payload.iat);
  check(typeof payload.sid === "string", "ID token has sid");
  check(payload.email === `${login}@demo.example` && payload.email_verified === true && payload.preferred_username === login && typeof payload.name === "string",
    "ID token has profile and email claims", payload);
  check(tokens.expires_in === 600, "access token lives 10 minutes", tokens.expires_in);
  return { tokens, idToken: payload };
}

// ------------------------------------------------------------------ main
async function main() {
  fakeHerold = await startFakeHerold();
  const herold = fakeHerold.base;
  provider = await startProvider(herold);
  console.log(`provider on ${provider.base}, stand-in Herold on ${herold}`);

  // Discovery
  const discRes = await fetch(`${provider.base}/.well-known/openid-configuration`);
  const disc = await discRes.json();
  must(discRes.status === 200, "discovery document");
  check(disc.issuer === provider.base, "issuer is http://127.0.0.1:<port>", disc.issuer);
  check(JSON.stringify(disc.code_challenge_methods_supported) === '["S256"]', "PKCE S256 only", disc.code_challenge_methods_supported);
  check(["openid", "profile", "email", "groups"].every((s) => disc.scopes_supported.includes(s)), "scopes openid profile email groups", disc.scopes_supported);
  check(disc.claims_supported.includes("groups"), "groups claim supported");
  check(disc.registration_endpoint === `${provider.base}/reg`, "registration endpoint", disc.registration_endpoint);
  check(disc.end_session_endpoint === `${provider.base}/session/end`, "end_session endpoint", disc.end_session_endpoint);
  check(disc.backchannel_logout_supported === true && disc.backchannel_logout_session_supported === true, "back-channel logout with sid");
  check(disc.grant_types_supported.includes("client_credentials"), "client_credentials grant");
  check(JSON.stringify(disc.response_types_supported) === '["code"]', "response type code only", disc.response_types_supported);
  check(JSON.stringify(disc.id_token_signing_alg_values_supported) === '["RS256"]', "ID tokens RS256 only", disc.id_token_signing_alg_values_supported);
  disc.jwks = await (await fetch(disc.jwks_uri)).json();
  check(disc.jwks.keys.length === 1 && disc.jwks.keys[0].kty === "RSA" && disc.jwks.keys[0].alg === "RS256", "one RSA signing key", disc.jwks);

  const demo = {
    client_id: "herold-demo",
    client_secret: "herold-demo-dev-secret",
    redirect_uri: `${herold}/auth/callback`,
  };

  // PKCE is required and S256 only
  {
    const jar = new Jar();
    const noPkce = await startAuth(jar, disc, demo, { code_challenge: undefined, code_challenge_method: undefined });
    const loc = new URL(noPkce.res.location ?? "about:blank", provider.base);
    check(noPkce.res.status === 303 && loc.href.startsWith(demo.redirect_uri) && loc.searchParams.get("error") === "invalid_request",
      "authorization without PKCE is refused (error=invalid_request at callback)", loc.href);
    const plain = await startAuth(jar, disc, demo, { code_challenge: rand() + rand(), code_challenge_method: "plain" });
    const loc2 = new URL(plain.res.location ?? "about:blank", provider.base);
    check(loc2.searchParams.get("error") === "invalid_request", "code_challenge_method=plain is refused", loc2.href);
  }

  // Sign-in as alice with herold-demo
  const jar = new Jar();
  const alice = await signIn(jar, disc, demo, "alice");
  check(JSON.stringify(alice.idToken.groups) === '["herold-authors"]', "alice: groups claim in the ID token is [herold-authors]", alice.idToken.groups);
  console.log(`     cookies held after sign-in: ${jar.names().join(", ")}`);
  console.log(`     alice's ID token claims: ${JSON.stringify(alice.idToken)}`);

  // prompt=consent must not show a consent screen either (auto-granted)
  {
    const a = await startAuth(jar, disc, demo, { prompt: "consent" });
    const { stoppedAt, hops } = await follow(jar, a.res, demo.redirect_uri);
    check(stoppedAt && new URL(stoppedAt).searchParams.get("code"), "prompt=consent is granted automatically", hops);
    console.log(`     redirects for prompt=consent: ${hops.map((h) => h.replace(/\?.*/, "?…")).join("  ->  ")}`);
  }

  const ui = await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${alice.tokens.access_token}` } });
  const uiBody = await ui.json();
  check(ui.status === 200 && uiBody.sub === "demo-alice" && uiBody.groups?.includes("herold-authors"), "userinfo works with the access token", uiBody);

  // Wrong client secret
  {
    const r = await fetch(disc.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: "x", redirect_uri: demo.redirect_uri, code_verifier: rand(), client_id: "herold-demo", client_secret: "nope" }),
    });
    check(r.status === 401, "wrong client secret (client_secret_post) is refused with 401", r.status);
  }

  // Dynamic client registration
  const regRes = await fetch(disc.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "selftest client",
      redirect_uris: [`${herold}/auth/callback`],
      post_logout_redirect_uris: [`${herold}/`],
      backchannel_logout_uri: `${herold}/auth/backchannel-logout`,
    }),
  });
  const reg = await regRes.json();
  must(regRes.status === 201 && reg.client_id && reg.client_secret, "dynamic client registration (201, client_id + client_secret)", reg);
  check(reg.token_endpoint_auth_method === "client_secret_basic" && reg.id_token_signed_response_alg === "RS256"
    && JSON.stringify(reg.grant_types) === '["authorization_code"]' && JSON.stringify(reg.response_types) === '["code"]'
    && reg.backchannel_logout_session_required === true, "registered client defaults match herold-demo", reg);
  const dyn = { client_id: reg.client_id, client_secret: reg.client_secret, redirect_uri: `${herold}/auth/callback` };

  // Same browser session: SSO into the registered client without a login form or consent
  const aliceDyn = await signIn(jar, disc, dyn, "alice", { expectForm: false });
  check(aliceDyn.idToken.aud === dyn.client_id, "SSO into the registered client (no form, no consent)");

  // A client whose back-channel receiver is down must not break logout
  {
    const r = await fetch(disc.registration_endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        redirect_uris: [`${herold}/auth/callback`],
        backchannel_logout_uri: "http://127.0.0.1:9/auth/backchannel-logout",
      }),
    });
    const dead = await r.json();
    must(r.status === 201, "registered a client with an unreachable back-channel receiver", dead);
    await signIn(jar, disc, { client_id: dead.client_id, client_secret: dead.client_secret, redirect_uri: `${herold}/auth/callback` }, "alice", { expectForm: false });
  }

  // Fresh browser: erik with the registered client
  const erik = await signIn(new Jar(), disc, dyn, "erik");
  check(JSON.stringify(erik.idToken.groups) === '["herold-authors","herold-approvers"]', "erik: both groups", erik.idToken.groups);
  const nora = await signIn(new Jar(), disc, demo, "nora");
  check(Array.isArray(nora.idToken.groups) && nora.idToken.groups.length === 0, "nora: empty groups", nora.idToken.groups);

  // Client credentials
  const cmsAuth = `Basic ${Buffer.from("herold-demo-cms:herold-demo-cms-dev-secret").toString("base64")}`;
  const cmsPost = { client_id: "herold-demo-cms", client_secret: "herold-demo-cms-dev-secret" };
  for (const [label, extra, auth] of [
    ["basic, resource=<herold>/api", { resource: `${herold}/api` }, cmsAuth],
    ["basic, no resource", {}, cmsAuth],
    ["client_secret_post, no resource", cmsPost, undefined],
  ]) {
    const r = await fetch(disc.token_endpoint, {
      method: "POST",
      headers: { ...(auth ? { authorization: auth } : {}), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", scope: "publish", ...extra }),
    });
    const body = await r.json();
    must(r.status === 200 && body.access_token, `client_credentials (${label})`, body);
    const parts = body.access_token.split(".");
    must(parts.length === 3, `client_credentials (${label}): access token is a JWT`, body.access_token);
    const { header, payload } = decodeJwt(body.access_token);
    console.log(`     client_credentials JWT: header ${JSON.stringify(header)} payload ${JSON.stringify(payload)}`);
    check(header.alg === "RS256" && header.typ === "at+jwt", "JWT access token header alg RS256 typ at+jwt", header);
    check(verifyRs256(body.access_token, disc.jwks), "JWT access token signature verifies");
    check(payload.aud === `${herold}/api` && payload.iss === disc.issuer && payload.client_id === "herold-demo-cms"
      && payload.scope === "publish" && payload.exp - payload.iat === 600, "JWT access token claims (aud, iss, client_id, scope, 10 min)", payload);
    check(body.scope === "publish" && body.token_type === "Bearer" && body.expires_in === 600, "token response scope/type/expiry", body);
  }
  {
    const r = await fetch(disc.token_endpoint, {
      method: "POST",
      headers: { authorization: cmsAuth, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", resource: "https://elsewhere.example/" }),
    });
    check(r.status === 400 && (await r.json()).error === "invalid_target", "unknown resource is refused (invalid_target)");
  }

  // RP-initiated logout of alice's browser session (herold-demo + registered client)
  const before = fakeHerold.backchannel.length;
  const endUrl = new URL(disc.end_session_endpoint);
  endUrl.searchParams.set("id_token_hint", alice.tokens.id_token);
  endUrl.searchParams.set("post_logout_redirect_uri", `${herold}/`);
  endUrl.searchParams.set("state", "bye");
  const confirmPage = await request(jar, endUrl.href);
  must(confirmPage.status === 200, "end_session shows a confirmation page", confirmPage.status);
  check(!/<script/i.test(confirmPage.text), "logout page needs no JavaScript");
  const lf = parseForms(confirmPage.text, confirmPage.url)[0];
  must(lf && lf.method === "post" && lf.action === `${provider.base}/session/end/confirm` && lf.inputs.xsrf?.value
    && lf.buttons.some((b) => b.name === "logout" && b.value === "yes"), "logout form: POST /session/end/confirm, hidden xsrf, button logout=yes", lf);
  const fields = Object.fromEntries(Object.entries(lf.inputs).map(([k, v]) => [k, v.value]));
  const done = await request(jar, lf.action, { method: "POST", form: { ...fields, logout: "yes" } });
  check(done.status === 303 && done.location === `${herold}/?state=bye`, "logout confirm redirects to post_logout_redirect_uri with state", { status: done.status, location: done.location, body: done.text.slice(0, 300) });
  const tokensNow = fakeHerold.backchannel.slice(before);
  check(tokensNow.length === 2, "back-channel logout delivered to both clients of the session", tokensNow.length);
  for (const t of tokensNow) {
    const { payload } = decodeJwt(t);
    check(verifyRs256(t, disc.jwks) && payload.iss === disc.issuer && payload.sub === "demo-alice" && typeof payload.sid === "string"
      && payload.events?.["http://schemas.openid.net/event/backchannel-logout"] && !payload.nonce,
      `logout_token for ${payload.aud} is valid (iss, sub, sid, events)`, payload);
  }
  check(tokensNow.some((t) => decodeJwt(t).payload.sid === alice.idToken.sid), "logout_token sid matches the ID token sid");

  // After logout the browser must sign in again
  const again = await startAuth(jar, disc, demo);
  const { stoppedAt, res } = await follow(jar, again.res, demo.redirect_uri);
  check(!stoppedAt && res.status === 200 && /\/interaction\//.test(res.url), "after logout the login form is shown again");
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  console.log(`FAIL ${e.message}`);
  failures++;
}
if (provider) {
  check(provider.stdout() === `READY ${provider.port}\n`, "stdout carries exactly the READY line", provider.stdout());
  const exited = new Promise((r) => provider.child.once("exit", (code, signal) => r({ code, signal })));
  provider.child.kill("SIGTERM");
  const { code } = await exited;
  check(code === 0, "provider exits 0 on SIGTERM", code);
  if (failures) process.stderr.write(`--- provider stderr ---\n${provider.stderr()}\n`);
}
fakeHerold?.server.close();
exitCode = failures ? 1 : 0;
console.log(failures ? `${failures} check(s) FAILED` : "all checks passed");
process.exit(exitCode);
