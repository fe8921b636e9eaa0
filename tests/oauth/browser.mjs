// The browser half of scripts/check-oauth.sh: a person signing in on the authorization server.
//
//   REDIRECT_URI=http://127.0.0.1:PORT/callback CLIENT_NAME="..." \
//     node browser.mjs <authorize-url> <email> <password> [<screenshot-prefix>]
//
// Opens <authorize-url> in headless Debian chromium with every request that leaves loopback
// blocked (any such request fails the run), and on the sign-in page either creates a new learner
// with form#register-form (MODE=register, the default) or signs in with form#signin-form
// (MODE=signin). On the consent page (form#consent-form, which must name CLIENT_NAME) it clicks
// Allow (DECISION=allow, the default) or Deny (DECISION=deny), and stops once the browser is at
// REDIRECT_URI, printing `CALLBACK <url>` as its last line. With CONSENT=optional (and Allow) the
// server may skip the consent page, for a learner who allowed this client before.
//
// With a <screenshot-prefix> (e.g. artifacts/oauth-) it saves full-page screenshots of both
// pages at 1280 and 375 px wide: <prefix>signin-desktop.png, <prefix>signin-375.png,
// <prefix>consent-desktop.png, <prefix>consent-375.png. At 375 px neither page may scroll
// sideways. FAILURE_SCREENSHOT (a path) keeps the page as it was when a step failed.
//
// The browser runs in TIMEZONE (default Europe/Paris): the register form's timezone field must
// be prefilled with it by the page's script. Exit 1, naming the step, on any failure.

import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const [authorizeUrl, email, password, prefix = ""] = process.argv.slice(2);
const REDIRECT_URI = process.env.REDIRECT_URI ?? "";
const CLIENT_NAME = process.env.CLIENT_NAME ?? "";
const LEARNER_NAME = process.env.LEARNER_NAME ?? "OAuth Learner";
const MODE = process.env.MODE ?? "register";
const DECISION = process.env.DECISION ?? "allow";
const CONSENT = process.env.CONSENT ?? "required";
const TIMEZONE = process.env.TIMEZONE ?? "Europe/Paris";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const FAILURE_SCREENSHOT = process.env.FAILURE_SCREENSHOT ?? "";
const TIMEOUT_MS = Number(process.env.STEP_TIMEOUT_MS ?? 20000);
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

if (!authorizeUrl || !email || !password || !REDIRECT_URI) {
  console.error("usage: REDIRECT_URI=... node browser.mjs <authorize-url> <email> <password> [<screenshot-prefix>]");
  process.exit(2);
}
if (!["register", "signin"].includes(MODE) || !["allow", "deny"].includes(DECISION) || !["required", "optional"].includes(CONSENT)) {
  console.error(`FAIL: MODE must be register|signin, DECISION allow|deny, CONSENT required|optional (got ${MODE}, ${DECISION}, ${CONSENT})`);
  process.exit(2);
}

class StepError extends Error {}
let currentStep = "start";
function check(condition, message) {
  if (!condition) throw new StepError(message);
}
const offsite = [];
const offsiteMessage = () => `the page tried to reach beyond loopback: ${[...new Set(offsite)].join(", ")}`;
async function step(name, body) {
  currentStep = name;
  console.log(`  browser: ${name}`);
  const result = await body();
  check(offsite.length === 0, offsiteMessage());
  return result;
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
});
const pageErrors = [];
let page;
let status = 0;
try {
  const context = await browser.newContext({ viewport: DESKTOP, timezoneId: TIMEZONE, locale: "en-US" });
  context.setDefaultTimeout(TIMEOUT_MS);
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
  page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error}`));
  page.on("console", (message) => {
    if (message.type() === "error") console.log(`  console error: ${message.text()}`);
  });

  // What the page says, for failure messages.
  const pageText = async () =>
    ((await page.locator("body").innerText().catch(() => "")) || "").replace(/\s+/g, " ").trim().slice(0, 400);

  async function screenshots(name) {
    if (!prefix) return;
    fs.mkdirSync(path.dirname(path.resolve(prefix + "x")), { recursive: true });
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: `${prefix}${name}-desktop.png`, fullPage: true });
    await page.setViewportSize(PHONE);
    // Let the layout settle at the new width before measuring it.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: `${prefix}${name}-375.png`, fullPage: true });
    await page.setViewportSize(DESKTOP);
    check(overflow <= 0, `the ${name} page scrolls sideways at 375 px wide (${overflow} px too wide)`);
    console.log(`  browser: screenshots ${prefix}${name}-desktop.png, ${prefix}${name}-375.png`);
  }

  await step("open the authorization URL (sign-in page)", async () => {
    const response = await page.goto(authorizeUrl, { waitUntil: "load" });
    const type = response?.headers()["content-type"] ?? "";
    console.log(`  browser: GET authorization URL -> ${response?.status()} ${type}`);
    check(response?.status() === 200, `the authorization URL answered ${response?.status()}, expected 200: ${await pageText()}`);
    check(type.startsWith("text/html"), `the sign-in page's Content-Type is ${JSON.stringify(type)}, expected text/html`);
    check(await page.locator("form#signin-form").isVisible(), `no visible form#signin-form on the sign-in page: ${await pageText()}`);
    check((await page.locator("form#register-form").count()) === 1, `no form#register-form on the sign-in page: ${await pageText()}`);
    for (const form of ["form#signin-form", "form#register-form"]) {
      const passwordType = await page.locator(`${form} input[name=password]`).getAttribute("type");
      check(passwordType === "password", `${form} input[name=password] has type=${passwordType}, expected password`);
    }
    const timezone = await page.locator("form#register-form input[name=timezone]").inputValue();
    check(
      timezone === TIMEZONE,
      `form#register-form's timezone field holds ${JSON.stringify(timezone)}, expected the browser's ${TIMEZONE} (filled by the page's script)`,
    );
  });

  if (prefix) await step("screenshots of the sign-in page", () => screenshots("signin"));

  if (MODE === "register") {
    await step(`create a new learner (${email}) with form#register-form`, async () => {
      const form = page.locator("form#register-form");
      if (!(await form.isVisible())) {
        // Folded away (e.g. in a <details>): open it as a person would, by its summary.
        const summary = page.locator("details:has(form#register-form) > summary");
        check((await summary.count()) === 1, "form#register-form is hidden and no <details> summary opens it");
        console.log(`  browser: opening "${(await summary.innerText()).trim()}"`);
        await summary.click();
        await form.waitFor({ state: "visible" });
      }
      await form.locator("input[name=email]").fill(email);
      await form.locator("input[name=password]").fill(password);
      await form.locator("input[name=name]").fill(LEARNER_NAME);
      await form.getByRole("button", { name: "Create account" }).click();
    });
  } else {
    await step(`sign in as ${email} with form#signin-form`, async () => {
      const form = page.locator("form#signin-form");
      await form.locator("input[name=email]").fill(email);
      await form.locator("input[name=password]").fill(password);
      await form.getByRole("button", { name: "Sign in" }).click();
    });
  }

  const atCallback = () => page.url().startsWith(`${REDIRECT_URI}?`);
  const consentForm = page.locator("form#consent-form");
  const consentShown = await step("consent page", async () => {
    // A learner who allowed this client before may be sent straight back (CONSENT=optional).
    const deadline = Date.now() + TIMEOUT_MS;
    while (Date.now() < deadline && !atCallback() && !(await consentForm.isVisible().catch(() => false))) {
      await page.waitForTimeout(100);
    }
    if (atCallback()) {
      check(CONSENT === "optional" && DECISION === "allow", `the browser went straight to ${REDIRECT_URI} without a consent page`);
      await page.waitForLoadState("load");
      console.log("  browser: no consent page (this learner allowed this client before)");
      return false;
    }
    check(await consentForm.isVisible().catch(() => false), `no form#consent-form after submitting (at ${page.url()}): ${await pageText()}`);
    await page.waitForLoadState("load");
    const text = await page.locator("body").innerText();
    check(!CLIENT_NAME || text.includes(CLIENT_NAME), `the consent page does not name the client ${JSON.stringify(CLIENT_NAME)}: ${await pageText()}`);
    for (const value of ["allow", "deny"]) {
      check(
        await page.locator(`form#consent-form button[name=decision][value=${value}]`).isVisible(),
        `no visible button[name=decision][value=${value}] in form#consent-form`,
      );
    }
    return true;
  });

  if (consentShown && prefix) await step("screenshots of the consent page", () => screenshots("consent"));

  if (consentShown) {
    await step(`click ${DECISION === "allow" ? "Allow" : "Deny"} and land on the redirect URI`, async () => {
      const button = page.locator(`form#consent-form button[name=decision][value=${DECISION}]`);
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(`${REDIRECT_URI}?`), { waitUntil: "load" }).catch(async () => {
          check(false, `the browser did not reach ${REDIRECT_URI} (at ${page.url()}): ${await pageText()}`);
        }),
        button.click(),
      ]);
    });
  }
  currentStep = "after the redirect";
  check(offsite.length === 0, offsiteMessage());
  check(pageErrors.length === 0, `uncaught errors in the pages: ${pageErrors.join(" | ")}`);
  console.log(`CALLBACK ${page.url()}`);
} catch (error) {
  const message = error instanceof StepError ? error.message : String(error?.stack ?? error);
  console.error(`FAIL: browser step '${currentStep}': ${message}`);
  if (offsite.length && !message.includes("beyond loopback")) console.error(`FAIL: ${offsiteMessage()}`);
  if (page && FAILURE_SCREENSHOT) {
    await page.screenshot({ path: FAILURE_SCREENSHOT, fullPage: true }).catch(() => {});
    console.error(`  page at failure: ${FAILURE_SCREENSHOT} (${page.url()})`);
  }
  status = 1;
} finally {
  await browser.close();
}
process.exit(status);
