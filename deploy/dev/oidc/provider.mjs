// Development-only OpenID provider for Herold, built on panva's certified
// `oidc-provider`.  NEVER use this in production: the demo people have the
// password "demo", client secrets are public, all state is in memory, consent
// is granted automatically and keys are thrown away on exit.
//
// Usage: node provider.mjs [--port <P|0>] [--issuer URL] [--herold URL]
//                          [--tls-cert FILE --tls-key FILE]  (https, e.g. from an internal CA)
// (normally started through ./run.sh).  Prints exactly one line
// "READY <port>" on stdout once listening; everything else goes to stderr.
// Listens on 127.0.0.1 only.

import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { parseArgs } from "node:util";
import Provider, { errors } from "oidc-provider";

// stdout is reserved for the READY line.  oidc-provider prints its notices
// with console.info, so send every console method to stderr.
for (const method of ["log", "info", "debug"]) {
  console[method] = (...args) => console.error(...args);
}
const log = (...parts) => process.stderr.write(`dev-oidc: ${parts.join(" ")}\n`);

// ------------------------------------------------------------------ options
let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      port: { type: "string", default: "8081" },
      issuer: { type: "string" },
      herold: { type: "string", default: "http://localhost:8080" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }));
} catch (e) {
  log(e.message);
  process.exit(2);
}
if (opts.help) {
  process.stderr.write("usage: run.sh [--port <P|0>] [--issuer URL] [--herold URL] [--tls-cert FILE --tls-key FILE]\n");
  process.exit(0);
}
const HOST = "127.0.0.1";
const port = Number(opts.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  log(`invalid --port ${opts.port}`);
  process.exit(2);
}
const herold = opts.herold.replace(/\/+$/, "");
try {
  new URL(herold);
} catch {
  log(`invalid --herold ${opts.herold}`);
  process.exit(2);
}
const API_RESOURCE = `${herold}/api`;
if (opts.issuer !== undefined) {
  let u;
  try {
    u = new URL(opts.issuer);
  } catch {
    log(`invalid --issuer ${opts.issuer}`);
    process.exit(2);
  }
  // Interaction pages and routes are served from the root; keep it simple.
  if (!["http:", "https:"].includes(u.protocol) || u.pathname !== "/" || u.search || u.hash) {
    log(`--issuer must be an http(s) origin without path, query or fragment: ${opts.issuer}`);
    process.exit(2);
  }
}

// ------------------------------------------------------------------ demo people
const PASSWORD = "demo";
const PEOPLE = [
  ["alice", "Alice Author", ["herold-authors"]],
  ["bob", "Bob Approver", ["herold-approvers"]],
  ["carol", "Carol Admin", ["herold-admins"]],
  ["dana", "Dana Auditor", ["herold-auditors"]],
  ["erik", "Erik Editor", ["herold-authors", "herold-approvers"]],
  ["nora", "Nora Nobody", []],
].map(([login, name, groups]) => ({
  login,
  sub: `demo-${login}`,
  name,
  preferred_username: login,
  email: `${login}@demo.example`,
  email_verified: true,
  groups,
}));
const bySub = new Map(PEOPLE.map((p) => [p.sub, p]));
const byLogin = new Map(PEOPLE.flatMap((p) => [[p.login, p], [p.email, p]]));

function findPersonByLogin(login) {
  return byLogin.get(String(login ?? "").trim().toLowerCase());
}

function constantTimeEqual(a, b) {
  const x = crypto.createHash("sha256").update(String(a)).digest();
  const y = crypto.createHash("sha256").update(String(b)).digest();
  return crypto.timingSafeEqual(x, y);
}

// ------------------------------------------------------------------ HTML
const escapeHtml = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const STYLE = `
body{font-family:system-ui,sans-serif;line-height:1.5;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.5rem}label{display:block;margin-top:1rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem;border:1px solid #555;border-radius:4px;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem;border:2px solid #1a4d8f;border-radius:4px;background:#1a4d8f;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1a4d8f}
:focus-visible{outline:3px solid #f5a700;outline-offset:2px}
.error{border-left:4px solid #b00020;padding:.5rem 1rem;background:#fdecee}
.note{border-left:4px solid #666;padding:.5rem 1rem;background:#f3f3f3;font-size:.9rem}
form.inline{display:inline}`;

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – Herold development sign-in</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function loginPage({ uid, clientName, login = "", error }) {
  const errorHtml = error
    ? `<div class="error" role="alert" id="login-error"><p>${escapeHtml(error)}</p></div>\n`
    : "";
  const described = error ? ` aria-describedby="login-error"` : "";
  return page(
    "Sign in",
    `<h1>Sign in</h1>
<p>Sign in to continue to <strong>${escapeHtml(clientName)}</strong>.</p>
${errorHtml}<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="login">User name</label>
<input type="text" id="login" name="login" value="${escapeHtml(login)}" required autocapitalize="none" spellcheck="false"${described}>
<label for="password">Password</label>
<input type="password" id="password" name="password" required${described}>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort" class="inline">
<button type="submit" class="secondary">Cancel</button>
</form>
<div class="note">
<p>This is a development identity provider. Never use it in production.</p>
<p>Demo people (password <code>demo</code>): ${PEOPLE.map((p) => `<code>${p.login}</code>`).join(", ")}.</p>
</div>`,
  );
}

// ------------------------------------------------------------------ helpers
async function readForm(req, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new errors.InvalidRequest("request body too large");
    chunks.push(chunk);
  }
  const type = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new errors.InvalidRequest("expected an application/x-www-form-urlencoded body");
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

async function clientDisplayName(provider, clientId) {
  const client = await provider.Client.find(clientId).catch(() => undefined);
  return client?.clientName || clientId;
}

// Make sure the grant covers everything the request asks for.  This is a
// first-party development provider, so nobody is ever asked for consent.
function topUpGrant(grant, oidc) {
  const scopes = [...oidc.requestParamOIDCScopes];
  if (scopes.length) grant.addOIDCScope(scopes.join(" "));
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [indicator, server] of Object.entries(oidc.resourceServers)) {
    const wanted = [...oidc.requestParamScopes].filter((s) => server.scopes.has(s));
    if (wanted.length) grant.addResourceScope(indicator, wanted.join(" "));
  }
}

// ------------------------------------------------------------------ provider
function buildProvider(issuer) {
  const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signingKey = {
    ...rsa.privateKey.export({ format: "jwk" }),
    kid: `dev-${crypto.randomBytes(6).toString("hex")}`,
    alg: "RS256",
    use: "sig",
  };

  const configuration = {
    jwks: { keys: [signingKey] },
    cookies: {
      keys: [crypto.randomBytes(32).toString("base64url")],
    },
    clients: [
      {
        client_id: "herold-demo",
        client_secret: "herold-demo-dev-secret",
        client_name: "Herold (demo)",
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: [`${herold}/auth/callback`],
        post_logout_redirect_uris: [`${herold}/`, `${herold}/login`],
        backchannel_logout_uri: `${herold}/auth/backchannel-logout`,
        backchannel_logout_session_required: true,
        id_token_signed_response_alg: "RS256",
      },
      {
        client_id: "herold-demo-cms",
        client_secret: "herold-demo-cms-dev-secret",
        client_name: "Herold CMS connector (demo)",
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
      },
    ],
    clientDefaults: {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
      backchannel_logout_session_required: true,
    },
    clientAuthMethods: ["client_secret_basic", "client_secret_post"],
    responseTypes: ["code"], // authorization code flow only
    // Server-to-server only; browsers never call the token endpoint directly.
    clientBasedCORS: () => false,

    scopes: ["openid", "profile", "email", "groups"],
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      email: ["email", "email_verified"],
      groups: ["groups"],
    },
    // Herold reads roles from the ID token, so put the scope's claims there too.
    conformIdTokenClaims: false,

    async findAccount(_ctx, sub) {
      const person = bySub.get(sub);
      if (!person) return undefined;
      return {
        accountId: person.sub,
        async claims() {
          const { login: _login, ...claims } = person;
          return { ...claims, groups: [...person.groups] };
        },
      };
    },

    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const accountId = oidc.account?.accountId ?? oidc.session.accountId;
      const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
      let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (!grant || grant.accountId !== accountId || grant.clientId !== oidc.client.clientId) {
        grant = new oidc.provider.Grant({ accountId, clientId: oidc.client.clientId });
      }
      topUpGrant(grant, oidc);
      await grant.save();
      return grant;
    },

    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },

    pkce: {
      required: () => true, // every code flow, confidential clients included; S256 is the only method
    },

    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      registration: {
        enabled: true,
        initialAccessToken: false,
      },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx) {
          const secret = ctx.oidc.session.state?.secret ?? "";
          const action = ctx.oidc.urlFor("end_session_confirm");
          const who = bySub.get(ctx.oidc.session.accountId);
          const client = ctx.oidc.client ? ctx.oidc.client.clientName || ctx.oidc.client.clientId : undefined;
          ctx.type = "html";
          ctx.body = page(
            "Sign out",
            `<h1>Sign out</h1>
<p>${who ? `You are signed in as <strong>${escapeHtml(who.name)}</strong> (${escapeHtml(who.login)}).` : "You are signed in."}
${client ? `<strong>${escapeHtml(client)}</strong> asks you to sign out.` : ""}</p>
<p>Do you want to sign out of the development identity provider?</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="xsrf" value="${escapeHtml(secret)}">
<button type="submit" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" class="secondary">No, stay signed in</button>
</form>`,
          );
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = "html";
          ctx.body = page("Signed out", `<h1>Signed out</h1>\n<p>You have been signed out.</p>`);
        },
      },
      backchannelLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        async defaultResource(ctx, _client, oneOf) {
          if (oneOf) return oneOf;
          // Machine-to-machine tokens are for Herold's API unless asked otherwise.
          if (ctx.oidc.params?.grant_type === "client_credentials") return API_RESOURCE;
          return undefined;
        },
        async useGrantedResource() {
          return false;
        },
        async getResourceServerInfo(_ctx, resourceIndicator) {
          if (resourceIndicator === API_RESOURCE) {
            return {
              scope: "publish",
              audience: API_RESOURCE,
              accessTokenTTL: 10 * 60,
              accessTokenFormat: "jwt",
              jwt: { sign: { alg: "RS256" } },
            };
          }
          throw new errors.InvalidTarget(`unknown resource; only ${API_RESOURCE} is served`);
        },
      },
    },

    enabledJWA: {
      idTokenSigningAlgValues: ["RS256"],
    },

    ttl: {
      AccessToken: 10 * 60,
      ClientCredentials: 10 * 60,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      Session: 8 * 60 * 60,
      Grant: 8 * 60 * 60,
      RefreshToken: 24 * 60 * 60,
    },

    // oidc-provider refuses to call loopback addresses by default (SSRF
    // protection).  Back-channel logout must reach Herold on 127.0.0.1, so
    // use plain fetch without the guarded dispatcher.
    fetch: (url, options) => {
      const { dispatcher: _guarded, ...rest } = options;
      return globalThis.fetch(url, rest);
    },

    async renderError(ctx, out) {
      ctx.type = "html";
      const rows = Object.entries(out)
        .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
        .join("\n");
      ctx.body = page("Error", `<h1>Something went wrong</h1>\n<dl>\n${rows}\n</dl>`);
    },
  };

  const provider = new Provider(issuer, configuration);

  provider.on("server_error", (_ctx, err) => log("server error:", err?.stack ?? err));
  provider.on("backchannel.success", (_ctx, client, accountId, sid) =>
    log(`back-channel logout delivered to ${client.clientId} (sub=${accountId} sid=${sid})`));
  provider.on("backchannel.error", (_ctx, err, client) =>
    log(`back-channel logout to ${client.clientId} failed: ${err?.message ?? err}`));
  provider.on("registration_create.success", (_ctx, client) => log(`registered client ${client.clientId}`));

  provider.use(interactionRoutes(provider));
  return provider;
}

// ------------------------------------------------------------------ interaction pages
function interactionRoutes(provider) {
  const ROUTE = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/;

  return async function interactions(ctx, next) {
    const match = ROUTE.exec(ctx.path);
    if (!match) return next();
    try {
      await handle(ctx, match);
    } catch (err) {
      // These routes run outside oidc-provider's own error handling.
      const status = err.statusCode ?? err.status ?? 500;
      if (status >= 500) log("interaction error:", err.stack ?? err);
      ctx.status = status;
      ctx.type = "html";
      const text = status >= 500 ? "internal error" : `${err.message}${err.error_description ? `: ${err.error_description}` : ""}`;
      ctx.body = page("Error", `<h1>Something went wrong</h1>\n<p>${escapeHtml(text)}</p>\n<p>Start the sign-in again from the application.</p>`);
    }
  };

  async function handle(ctx, [, uid, action]) {

    ctx.set("cache-control", "no-store");
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) {
      throw new errors.SessionNotFound("interaction cookie does not match this page");
    }
    const { prompt, params } = details;

    const finish = async (result) => {
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(returnTo);
    };

    if (!action) {
      if (ctx.method !== "GET" && ctx.method !== "HEAD") {
        ctx.status = 405;
        ctx.set("allow", "GET, HEAD");
        return;
      }
      if (prompt.name === "consent") {
        // Never show a consent screen: grant what is missing and carry on.
        return finish({ consent: { grantId: await grantFromConsentPrompt(details) } });
      }
      if (prompt.name !== "login") {
        throw new errors.InvalidRequest(`unsupported interaction prompt ${prompt.name}`);
      }
      ctx.type = "html";
      ctx.body = loginPage({
        uid,
        clientName: await clientDisplayName(provider, params.client_id),
        login: params.login_hint ?? "",
      });
      return;
    }

    if (ctx.method !== "POST") {
      ctx.status = 405;
      ctx.set("allow", "POST");
      return;
    }
    const form = await readForm(ctx.req);

    if (action === "abort") {
      return finish({ error: "access_denied", error_description: "End-User aborted interaction" });
    }

    // action === "login"
    if (prompt.name !== "login") {
      throw new errors.InvalidRequest("this interaction is not waiting for a sign-in");
    }
    const login = form.get("login") ?? "";
    const person = findPersonByLogin(login);
    const passwordOk = constantTimeEqual(form.get("password") ?? "", PASSWORD);
    if (!person || !passwordOk) {
      log(`sign-in refused for ${JSON.stringify(login)}`);
      ctx.status = 401;
      ctx.type = "html";
      ctx.body = loginPage({
        uid,
        clientName: await clientDisplayName(provider, params.client_id),
        login,
        error: "Wrong user name or password.",
      });
      return;
    }
    log(`signed in ${person.login} for ${params.client_id}`);
    return finish({ login: { accountId: person.sub, amr: ["pwd"] } });
  }

  async function grantFromConsentPrompt(details) {
    const { prompt: { details: missing }, params, session, grantId } = details;
    let grant = grantId ? await provider.Grant.find(grantId) : undefined;
    if (!grant) {
      grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    }
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
    return grant.save();
  }
}

// ------------------------------------------------------------------ server
// Listen first (so that --port 0 yields the real port), then build the
// provider with the final issuer.
let handler = (_req, res) => {
  res.statusCode = 503;
  res.end("starting\n");
};
const tls = opts["tls-cert"] && opts["tls-key"]
  ? { cert: fs.readFileSync(opts["tls-cert"]), key: fs.readFileSync(opts["tls-key"]) }
  : null;
const server = tls
  ? https.createServer(tls, (req, res) => handler(req, res))
  : http.createServer((req, res) => handler(req, res));
server.on("error", (e) => {
  log("server error:", e.stack ?? e);
  process.exit(1);
});
server.listen(port, HOST, () => {
  const actual = server.address().port;
  const issuer = (opts.issuer ?? `${tls ? "https" : "http"}://${HOST}:${actual}`).replace(/\/+$/, "");
  let provider;
  try {
    provider = buildProvider(issuer);
  } catch (e) {
    log("could not configure oidc-provider:", e.stack ?? e);
    process.exit(1);
  }
  handler = provider.callback();
  log(`issuer ${issuer}, herold ${herold}, listening on ${HOST}:${actual}`);
  process.stdout.write(`READY ${actual}\n`);
});

// ------------------------------------------------------------------ lifecycle
let stopping = false;
function shutdown(reason) {
  if (stopping) return;
  stopping = true;
  log(`${reason}, shutting down`);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
// Don't outlive the process that spawned us (e.g. a panicking cargo test).
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) shutdown("parent exited");
}, 1000).unref();
process.on("unhandledRejection", (e) => log("unhandled rejection:", e?.stack ?? e));
