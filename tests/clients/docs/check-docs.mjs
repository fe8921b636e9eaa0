// Headless check of the interactive docs page (Swagger UI served by the companion binary).
//
//   BASE_URL=http://127.0.0.1:8000 SCREENSHOT=artifacts/docs.png node check-docs.mjs
//
// Opens $BASE_URL/docs in Debian's chromium with every request that leaves loopback blocked
// (the page must work offline), waits for the operations to render, and asserts that every
// operationId of $BASE_URL/openapi.json appears exactly once as
// `.opblock .opblock-summary-operation-id`. Saves a full-page screenshot. Then asks for a few
// unknown or hostile paths under /docs and asserts none answers a 5xx.
// DOCS_PATH (default /docs), DOCS_URL (default $BASE_URL$DOCS_PATH) and SPEC_URL (default
// $BASE_URL/openapi.json) let the browser part be tried against any local page.

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const BASE_URL = (process.env.BASE_URL ?? "").replace(/\/+$/, "");
const DOCS_PATH = (process.env.DOCS_PATH ?? "/docs").replace(/\/+$/, "");
const SPEC_URL = process.env.SPEC_URL ?? `${BASE_URL}/openapi.json`;
const SCREENSHOT = process.env.SCREENSHOT ?? "artifacts/docs.png";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const RENDER_TIMEOUT_MS = Number(process.env.RENDER_TIMEOUT_MS ?? 30000);
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

const failures = [];
function check(condition, message) {
  if (!condition) failures.push(message);
  return condition;
}

if (!BASE_URL) {
  console.error("FAIL: BASE_URL is not set");
  process.exit(2);
}

// --- the operationIds the document declares -----------------------------------------------
const specResponse = await fetch(SPEC_URL);
if (!specResponse.ok) {
  console.error(`FAIL: GET ${SPEC_URL} answered ${specResponse.status}`);
  process.exit(1);
}
const spec = await specResponse.json();
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const expected = [];
for (const [route, item] of Object.entries(spec.paths ?? {})) {
  for (const method of METHODS) {
    const operation = item?.[method];
    if (!operation) continue;
    if (check(operation.operationId, `${method.toUpperCase()} ${route} has no operationId`)) {
      expected.push(operation.operationId);
    }
  }
}
console.log(`document: ${expected.length} operations`);

// --- the page, offline ---------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
});
const offsite = [];
const pageErrors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === "http:" || url.protocol === "https:") && LOOPBACK.has(url.hostname)) {
      return route.continue();
    }
    offsite.push(route.request().url());
    return route.abort("blockedbyclient");
  });
  await context.routeWebSocket(/.*/, (ws) => {
    offsite.push(ws.url());
    return ws.close();
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") console.log(`  console error: ${message.text()}`);
  });

  const docsUrl = process.env.DOCS_URL ?? `${BASE_URL}${DOCS_PATH}`;
  const response = await page.goto(docsUrl, { waitUntil: "load" });
  const status = response?.status();
  console.log(`GET ${docsUrl} -> ${status} ${response?.headers()["content-type"] ?? ""}`);
  check(status === 200, `GET ${DOCS_PATH} answered ${status}, expected 200`);

  // Swagger UI renders asynchronously, after fetching the document.
  if (status === 200) {
    try {
      await page.waitForFunction(
        (count) => document.querySelectorAll(".opblock .opblock-summary-operation-id").length >= count,
        expected.length,
        { timeout: RENDER_TIMEOUT_MS, polling: 200 },
      );
    } catch {
      const rendered = await page.locator(".opblock").count();
      check(false, `after ${RENDER_TIMEOUT_MS} ms the page shows ${rendered} .opblock elements, expected ${expected.length}`);
    }
    await page.waitForLoadState("networkidle", { timeout: 10000 }).catch(() => {});
  }

  const shown = await page.$$eval(".opblock", (blocks) =>
    blocks.map((block) => block.querySelector(".opblock-summary-operation-id")?.textContent?.trim() ?? ""),
  );
  const counts = new Map();
  for (const id of shown) counts.set(id, (counts.get(id) ?? 0) + 1);
  const missing = expected.filter((id) => !counts.has(id));
  const repeated = expected.filter((id) => (counts.get(id) ?? 0) > 1).map((id) => `${id} (${counts.get(id)}x)`);
  const unknown = [...counts.keys()].filter((id) => !expected.includes(id)).map((id) => JSON.stringify(id));
  check(missing.length === 0, `${missing.length} of ${expected.length} operationIds are not on the page: ${missing.join(", ")}`);
  check(repeated.length === 0, `operationIds shown more than once: ${repeated.join(", ")}`);
  check(unknown.length === 0, `.opblock elements whose operationId the document does not declare: ${unknown.join(", ")}`);
  console.log(`page: ${shown.length} operations rendered`);

  fs.mkdirSync(path.dirname(path.resolve(SCREENSHOT)), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`screenshot: ${SCREENSHOT}`);
} finally {
  await browser.close();
}
check(offsite.length === 0, `the page tried to reach beyond loopback: ${[...new Set(offsite)].join(", ")}`);
check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join(" | ")}`);

// --- unknown paths under /docs never answer 5xx -------------------------------------------
// Sent raw (node:http keeps the path as written; fetch/URL would normalise `..` and `%ff`).
function rawGet(rawPath) {
  const base = new URL(BASE_URL);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: base.hostname, port: base.port, method: "GET", path: rawPath, timeout: 10000 },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode));
      },
    );
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", reject);
    request.end();
  });
}
const probes = [
  `${DOCS_PATH}/nope.js`,
  `${DOCS_PATH}/../x`,
  `${DOCS_PATH}/%ff`,
  `${DOCS_PATH}/%2e%2e/%2e%2e/etc/passwd`,
  `${DOCS_PATH}/..%2f..%2fCargo.toml`,
  `${DOCS_PATH}/%00`,
  `${DOCS_PATH}/${"a".repeat(2000)}.css`,
  `${DOCS_PATH}/index.html?url=https://example.com/evil.json`,
];
for (const probe of probes) {
  try {
    const status = await rawGet(probe);
    console.log(`GET ${probe.length > 60 ? probe.slice(0, 57) + "..." : probe} -> ${status}`);
    check(status < 500, `GET ${probe} answered ${status}`);
  } catch (error) {
    check(false, `GET ${probe} failed: ${error.message}`);
  }
}

if (failures.length) {
  for (const failure of failures) console.error(`FAIL: ${failure}`);
  process.exit(1);
}
console.log(`OK: /docs renders all ${expected.length} operations offline, each operationId once`);
