// Renders the MCP quiz widget in headless Debian chromium and takes a quiz through it.
//
//   node widget.mjs [<widget.html> [<get_quiz-result.json> [<artifacts-dir>]]]
//
// Defaults: ../../crates/mcp/assets/quiz-widget.html, ./fixture-get-quiz.json (a get_quiz result
// for content/quizzes/01-what-is-an-ai-agent.toml with made-up ids) and $ARTIFACTS_DIR or
// ./artifacts. The JSON may be a CallToolResult ({content, structuredContent, isError}), a
// JSON-RPC response holding one ({result: {...}}), or the bare structuredContent.
//
// Scenarios, each in a fresh browser context with every request that is not file: or about:
// blocked (any such request, page error or console error fails the run):
//   desktop   1280 px, ChatGPT Apps SDK bridge: a stub window.openai (theme "light") injected
//             before the page's scripts, toolOutput = the quiz. Submit with nothing selected
//             must not call the tool; then the first option of every question (the first two
//             for multiple_choice, "true" for true_false) is picked by clicking its label,
//             Submit must call callTool("submit_quiz", {quiz_id, answers}) exactly once with
//             exactly those answers, and the stub's result (score, pass/fail, a mark per
//             question) must appear. Screenshot quiz-widget-desktop.png.
//   phone     the same at 375 px; the page may not scroll sideways (before and after submitting).
//             Screenshot quiz-widget-375.png.
//   dark      375 px, prefers-color-scheme: dark, no theme from the host, and toolOutput null at
//             first: the quiz arrives later through the openai:set_globals event. The background
//             must be dark. Screenshot quiz-widget-dark-375.png.
//   theme     window.openai.theme "dark" in a light browser: the background must be dark. The first
//             question's text carries markup (<img onerror>, <b>), which must show as plain text.
//   refused   the stub's callTool answers an isError result (attempt_limit_reached): its message
//             must show, no result, and Submit stays usable.
//   mcp-apps  no window.openai: a host page holds the widget in <iframe sandbox="allow-scripts">
//             and speaks MCP Apps (JSON-RPC 2.0 over postMessage): it answers ui/initialize,
//             waits for ui/notifications/initialized, sends ui/notifications/tool-input and
//             ui/notifications/tool-result (the get_quiz result), follows size-changed, and
//             answers tools/call. Exactly one tools/call submit_quiz with the answers is
//             expected. Screenshot quiz-widget-mcp-apps.png.
//
// CHROMIUM (default /usr/bin/chromium) is the browser; STEP_TIMEOUT_MS (default 15000).
// Exit 1, naming the scenario and the step, on any failure.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const [
  widgetArg = path.join(HERE, "..", "..", "crates", "mcp", "assets", "quiz-widget.html"),
  resultArg = path.join(HERE, "fixture-get-quiz.json"),
  artifactsArg = process.env.ARTIFACTS_DIR ?? "artifacts",
] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const TIMEOUT_MS = Number(process.env.STEP_TIMEOUT_MS ?? 15000);
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

const widgetPath = path.resolve(widgetArg);
const artifacts = path.resolve(artifactsArg);
const widgetUrl = pathToFileURL(widgetPath).href;
if (!fs.existsSync(widgetPath)) {
  console.error(`FAIL: no widget at ${widgetPath}\nusage: node widget.mjs [<widget.html> [<get_quiz-result.json> [<artifacts-dir>]]]`);
  process.exit(1);
}
const widgetHtml = fs.readFileSync(widgetPath, "utf8");
fs.mkdirSync(artifacts, { recursive: true });

// --- the quiz, the answers the test picks, and the result the stub host returns -------------
function loadQuiz(file) {
  let value = JSON.parse(fs.readFileSync(file, "utf8"));
  if (value && value.jsonrpc && value.result) value = value.result;
  if (value && value.isError) throw new Error(`${file} is an error result: ${JSON.stringify(value).slice(0, 300)}`);
  const quiz = value && value.structuredContent ? value.structuredContent : value;
  if (!quiz || typeof quiz.id !== "string" || !Array.isArray(quiz.questions) || quiz.questions.length === 0) {
    throw new Error(`${file} holds no quiz (want {id, questions: [...]} as structuredContent)`);
  }
  for (const q of quiz.questions) {
    if (!["single_choice", "multiple_choice", "true_false"].includes(q.kind)) throw new Error(`question ${q.id}: unknown kind ${q.kind}`);
    if (q.kind !== "true_false" && (q.options ?? []).length < 2) throw new Error(`question ${q.id} has fewer than 2 options`);
  }
  const toolResult = value.structuredContent ? value : { content: [{ type: "text", text: JSON.stringify(quiz) }], structuredContent: quiz };
  return { quiz, toolResult };
}
let loaded;
try {
  loaded = loadQuiz(path.resolve(resultArg));
} catch (error) {
  console.error(`FAIL: ${error.message}`);
  process.exit(1);
}
const { quiz, toolResult } = loaded;
const ordered = quiz.questions.slice().sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
const picks = (q) => (q.kind === "true_false" ? 1 : q.kind === "multiple_choice" ? 2 : 1);
const expectedAnswers = Object.fromEntries(
  ordered.map((q) => [
    q.id,
    q.kind === "true_false" ? "true" : q.kind === "multiple_choice" ? q.options.slice(0, 2).map((o) => o.key) : q.options[0].key,
  ]),
);
// Every other question right (the first, the third…), like a real grading with reveal_answers = "always".
const verdicts = ordered.map((_, i) => i % 2 === 0);
const correctCount = verdicts.filter(Boolean).length;
const score = Math.floor((100 * correctCount) / ordered.length);
const submitResult = {
  attempt_id: "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
  attempt_number: 1,
  score,
  correct_count: correctCount,
  total: ordered.length,
  passed: score >= (quiz.pass_mark ?? 70),
  pass_mark: quiz.pass_mark ?? 70,
  results: ordered.map((q, i) => ({
    question_id: q.id,
    selected: expectedAnswers[q.id],
    is_correct: verdicts[i],
    correct_answer: verdicts[i]
      ? expectedAnswers[q.id]
      : q.kind === "true_false" ? "false" : q.kind === "multiple_choice" ? [q.options[1].key] : q.options[1].key,
    explanation: `Why question ${i + 1} is graded this way (stub explanation from the test host).`,
  })),
};
const submitToolResult = { content: [{ type: "text", text: JSON.stringify(submitResult) }], structuredContent: submitResult, isError: false };

// --- the browser ------------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
});
let scenario = "start";
let stepName = "";
const passed = [];

async function withContext(options, body) {
  const context = await browser.newContext({ locale: "en-US", ...options });
  context.setDefaultTimeout(TIMEOUT_MS);
  const blocked = [];
  const problems = [];
  const local = (url) => url.startsWith("file:") || url.startsWith("about:");
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (local(url)) return route.continue();
    blocked.push(url);
    return route.abort("blockedbyclient");
  });
  await context.routeWebSocket(/.*/, (ws) => {
    blocked.push(ws.url());
    return ws.close();
  });
  const page = await context.newPage();
  page.on("request", (request) => {
    if (!local(request.url())) blocked.push(request.url());
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  try {
    await body(page);
    assert.deepEqual([...new Set(blocked)], [], "the widget made requests beyond file:/about:");
    assert.deepEqual(problems, [], "the page reported errors");
  } catch (error) {
    const shot = path.join(artifacts, `quiz-widget-failure-${scenario}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    if (blocked.length) console.error(`  blocked requests: ${[...new Set(blocked)].join(", ")}`);
    if (problems.length) console.error(`  ${problems.join("\n  ")}`);
    console.error(`  failure screenshot: ${shot}`);
    throw error;
  } finally {
    await context.close();
  }
}

async function step(name, body) {
  stepName = name;
  console.log(`  ${scenario}: ${name}`);
  return body();
}

const settle = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

async function noSidewaysScroll(page, when) {
  await settle(page);
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= 375, `${when}: document scrollWidth is ${scrollWidth} px at a ${innerWidth} px wide viewport (must be ≤ 375)`);
}

async function backgroundIsDark(scope) {
  const [r, g, b] = await scope.locator("body").evaluate((body) =>
    getComputedStyle(body).backgroundColor.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number),
  );
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 80;
}

// Pick the answers by clicking the options' labels, as a person would. `scope` is a page or a frame.
async function answerAll(scope) {
  const fieldsets = scope.locator("fieldset[data-question-id]");
  assert.equal(await fieldsets.count(), ordered.length, "one fieldset per question");
  for (const q of ordered) {
    const fieldset = scope.locator(`fieldset[data-question-id="${q.id}"]`);
    const legend = (await fieldset.locator("legend").innerText()).replace(/\s+/g, " ");
    assert.ok(legend.includes(q.text.replace(/\s+/g, " ").slice(0, 40)), `question ${q.id}'s legend shows its text (got ${JSON.stringify(legend)})`);
    const inputs = fieldset.locator("input");
    const want = q.kind === "true_false" ? 2 : q.options.length;
    assert.equal(await inputs.count(), want, `question ${q.id} (${q.kind}) has ${want} inputs`);
    const type = q.kind === "multiple_choice" ? "checkbox" : "radio";
    for (let i = 0; i < want; i++) assert.equal(await inputs.nth(i).getAttribute("type"), type, `question ${q.id}: ${type} inputs`);
    if (q.kind === "true_false") {
      assert.deepEqual(await inputs.evaluateAll((xs) => xs.map((x) => x.value)), ["true", "false"], "true_false values");
    }
    for (let i = 0; i < picks(q); i++) {
      await fieldset.locator("label.opt").nth(i).click();
      assert.ok(await inputs.nth(i).isChecked(), `question ${q.id}: clicking option ${i + 1}'s label checks it`);
    }
  }
}

async function resultShown(scope) {
  const result = scope.locator("#result");
  await result.waitFor({ state: "visible" });
  assert.equal(await result.getAttribute("aria-live"), "polite", "#result is an aria-live region");
  const text = (await result.innerText()).replace(/\s+/g, " ");
  assert.ok(text.includes(`${score}%`), `the result shows the score ${score}% (got ${JSON.stringify(text)})`);
  assert.ok(text.includes(`${correctCount} of ${ordered.length} correct`), `the result counts correct answers (got ${JSON.stringify(text)})`);
  assert.ok(text.includes(submitResult.passed ? "Passed" : "Not passed"), `the result says passed/not passed (got ${JSON.stringify(text)})`);
  for (const [i, q] of ordered.entries()) {
    const mark = scope.locator(`fieldset[data-question-id="${q.id}"] .mark`);
    assert.equal(await mark.getAttribute("data-state"), verdicts[i] ? "correct" : "incorrect", `question ${i + 1}'s mark`);
    assert.ok(await mark.isVisible(), `question ${i + 1}'s mark is visible`);
  }
}

// Markup in a question's text must come out as text.
const HOSTILE = ' <img src="x" onerror="window.__xss = 1"> & <b>bold</b>';
const hostileQuiz = { ...quiz, questions: quiz.questions.map((q) => (q.id === ordered[0].id ? { ...q, text: q.text + HOSTILE } : q)) };

// --- ChatGPT Apps SDK bridge ----------------------------------------------------------------------
async function openaiScenario({ name, viewport, colorScheme = "light", theme, late = false, shot, response = submitToolResult, toolOutput = quiz }) {
  const refusal = Boolean(response.isError);
  scenario = name;
  await withContext({ viewport, colorScheme }, async (page) => {
    await page.addInitScript(
      ({ toolOutput, theme, late, response }) => {
        window.__calls = [];
        window.openai = {
          theme,
          locale: "en-US",
          displayMode: "inline",
          toolInput: { quiz_id: toolOutput.id },
          toolOutput: late ? null : toolOutput,
          widgetState: null,
          async callTool(name, args) {
            window.__calls.push({ name, args: JSON.parse(JSON.stringify(args)) });
            return JSON.parse(JSON.stringify(response));
          },
          async setWidgetState(state) {
            window.openai.widgetState = state;
          },
        };
        window.__deliver = () => {
          window.openai.toolOutput = toolOutput;
          window.dispatchEvent(new CustomEvent("openai:set_globals", { detail: { globals: { toolOutput } } }));
        };
      },
      { toolOutput, theme, late, response },
    );
    await step(`open ${widgetUrl}`, () => page.goto(widgetUrl, { waitUntil: "load" }));
    if (late) {
      await step("no toolOutput yet: a loading line, then the quiz through openai:set_globals", async () => {
        assert.ok(await page.locator("#empty").isVisible(), "#empty is shown while there is no quiz");
        await page.evaluate(() => window.__deliver());
      });
    }
    await step("the quiz renders", async () => {
      await page.locator("fieldset[data-question-id]").first().waitFor();
      assert.equal((await page.locator("h1").innerText()).trim(), quiz.title, "the heading is the quiz title");
    });
    if (toolOutput !== quiz) {
      await step("text from the server is shown as text, never parsed as HTML", async () => {
        const legend = await page.locator("fieldset[data-question-id] legend").first().innerText();
        assert.ok(legend.includes(HOSTILE), `the first legend shows ${JSON.stringify(HOSTILE)} literally (got ${JSON.stringify(legend)})`);
        assert.equal(await page.locator("main img, main b").count(), 0, "no element was created from quiz text");
        assert.equal(await page.evaluate(() => window.__xss ?? null), null, "no script ran from quiz text");
      });
    }
    if (viewport.width === 375) await step("no sideways scroll at 375 px (form)", () => noSidewaysScroll(page, "form"));
    await step("Submit with nothing selected calls no tool", async () => {
      await page.locator("#submit").click();
      assert.match(await page.locator("#status").innerText(), /Answer every question/, "#status asks for every answer");
      assert.equal((await page.evaluate(() => window.__calls)).length, 0, "no callTool before every question is answered");
      assert.equal(await page.locator("fieldset.missing").count(), ordered.length, "every unanswered question is marked");
    });
    await step("answer every question", async () => {
      await answerAll(page);
      assert.equal(await page.locator("fieldset.missing").count(), 0, "answering a question clears its mark");
    });
    await step(`Submit calls submit_quiz once with the answers${refusal ? " (the tool refuses)" : ""}`, async () => {
      await page.locator("#submit").click();
      if (refusal) {
        const message = response.structuredContent.message;
        await page.locator("#status", { hasText: message }).waitFor();
        assert.ok(await page.locator("#result").isHidden(), "no result is shown for a refusal");
        assert.ok(await page.locator("#submit").isEnabled(), "Submit can be used again after a refusal");
      } else {
        await resultShown(page);
        // Graded answers are locked: clicking another option changes nothing.
        const last = ordered[ordered.length - 1];
        const options = page.locator(`fieldset[data-question-id="${last.id}"] label.opt`);
        assert.equal(await options.nth(1).locator("input").getAttribute("aria-disabled"), "true", "graded inputs are aria-disabled");
        await options.nth(1).click({ force: true });
        assert.ok(await options.nth(0).locator("input").isChecked(), "a graded answer cannot be changed");
        assert.ok(!(await options.nth(1).locator("input").isChecked()), "a graded answer cannot be changed");
      }
      const calls = await page.evaluate(() => window.__calls);
      assert.equal(calls.length, 1, `exactly one callTool (got ${JSON.stringify(calls)})`);
      assert.deepStrictEqual(calls[0], { name: "submit_quiz", args: { quiz_id: quiz.id, answers: expectedAnswers } });
      const kept = await page.evaluate(() => window.openai.widgetState?.quiz_id ?? null);
      assert.equal(kept, refusal ? null : quiz.id, "a result (and only a result) is kept in widgetState");
    });
    if (viewport.width === 375) await step("no sideways scroll at 375 px (result)", () => noSidewaysScroll(page, "result"));
    if (colorScheme === "dark" || theme === "dark") {
      await step("the background is dark", async () => assert.ok(await backgroundIsDark(page), "dark background"));
    } else {
      await step("the background is light", async () => assert.ok(!(await backgroundIsDark(page)), "light background"));
    }
    if (shot) {
      await step(`screenshot ${shot}`, () => page.screenshot({ path: path.join(artifacts, shot), fullPage: true }));
    }
  });
  passed.push(name);
}

// --- MCP Apps bridge (SEP-1865): JSON-RPC over postMessage to a host page ---------------------------
const HOST_PAGE = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>MCP Apps test host</title></head>
<body style="margin:0;background:#fff">
<iframe id="view" title="Quiz" sandbox="allow-scripts" style="display:block;border:0;width:100%;height:120px"></iframe>
<script>
  window.__log = []; window.__calls = [];
  const frame = document.getElementById("view");
  let data = null;
  const post = (msg) => frame.contentWindow.postMessage(Object.assign({ jsonrpc: "2.0" }, msg), "*");
  window.addEventListener("message", (e) => {
    if (e.source !== frame.contentWindow) return;
    const m = e.data;
    window.__log.push(m);
    if (m.method === "ui/initialize") {
      post({ id: m.id, result: { protocolVersion: "2026-01-26", hostInfo: { name: "widget-test-host", version: "1.0.0" },
        hostCapabilities: { serverTools: {} }, hostContext: { theme: "light", displayMode: "inline", platform: "web" } } });
    } else if (m.method === "ui/notifications/initialized") {
      post({ method: "ui/notifications/tool-input", params: { arguments: { quiz_id: data.quiz.structuredContent.id } } });
      post({ method: "ui/notifications/tool-result", params: data.quiz });
    } else if (m.method === "ui/notifications/size-changed") {
      frame.style.height = m.params.height + "px";
    } else if (m.method === "tools/call") {
      window.__calls.push(JSON.parse(JSON.stringify(m.params)));
      post({ id: m.id, result: data.submit });
    } else if (m.id != null) {
      post({ id: m.id, error: { code: -32601, message: "Method not found: " + m.method } });
    }
  });
  window.__start = (d, html) => { data = d; frame.srcdoc = html; };
</script></body></html>`;

async function mcpAppsScenario() {
  scenario = "mcp-apps";
  await withContext({ viewport: { width: 720, height: 900 } }, async (page) => {
    await step("open the host page and load the widget in a sandboxed iframe", async () => {
      await page.setContent(HOST_PAGE, { waitUntil: "load" });
      await page.evaluate(([d, html]) => window.__start(d, html), [{ quiz: toolResult, submit: submitToolResult }, widgetHtml]);
    });
    const frame = page.frameLocator("#view");
    await step("handshake: ui/initialize, then ui/notifications/initialized; the quiz renders", async () => {
      await frame.locator("fieldset[data-question-id]").first().waitFor();
      const log = await page.evaluate(() => window.__log);
      const init = log.findIndex((m) => m.method === "ui/initialize");
      const done = log.findIndex((m) => m.method === "ui/notifications/initialized");
      assert.ok(init >= 0 && log[init].id != null, "ui/initialize was sent as a request");
      assert.equal(typeof log[init].params?.protocolVersion, "string", "ui/initialize carries protocolVersion");
      assert.ok(log[init].params?.appInfo?.name, "ui/initialize carries appInfo.name");
      assert.ok(done > init, "ui/notifications/initialized follows the initialize response");
      assert.ok(log.every((m) => m.jsonrpc === "2.0"), "every message is JSON-RPC 2.0");
    });
    await step("answer every question and submit", async () => {
      await answerAll(frame);
      await frame.locator("#submit").click();
      await resultShown(frame);
    });
    await step("exactly one tools/call submit_quiz with the answers", async () => {
      const calls = await page.evaluate(() => window.__calls);
      assert.equal(calls.length, 1, `exactly one tools/call (got ${JSON.stringify(calls)})`);
      assert.deepStrictEqual(calls[0], { name: "submit_quiz", arguments: { quiz_id: quiz.id, answers: expectedAnswers } });
    });
    await step("the widget reported its size (ui/notifications/size-changed) and the host followed it", async () => {
      const sizes = (await page.evaluate(() => window.__log)).filter((m) => m.method === "ui/notifications/size-changed");
      assert.ok(sizes.length > 0 && sizes.every((m) => m.params.height > 0), "size-changed notifications with a height");
      // The iframe must end up exactly as tall as the widget's content (no inner scrolling).
      await page.waitForFunction(() => {
        const frame = document.getElementById("view");
        const last = window.__log.filter((m) => m.method === "ui/notifications/size-changed").pop();
        const content = frame.contentDocument; // null: the sandbox hides it, so compare with the last report
        return last && Math.abs(frame.getBoundingClientRect().height - last.params.height) < 1 && !content;
      });
      const inner = await frame.locator("html").evaluate((html) => Math.ceil(html.getBoundingClientRect().height));
      const outer = await page.locator("#view").evaluate((f) => Math.round(f.getBoundingClientRect().height));
      assert.ok(Math.abs(inner - outer) <= 1, `iframe height ${outer} px follows the content height ${inner} px`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await settle(page);
    });
    await step("screenshot quiz-widget-mcp-apps.png", async () => {
      // A full-page capture leaves the (out-of-process) sandboxed frame unpainted below the first
      // viewport, so make the viewport as tall as the page instead.
      const height = await page.evaluate(() => Math.ceil(document.documentElement.scrollHeight));
      await page.setViewportSize({ width: 720, height });
      await settle(page);
      await page.waitForTimeout(200);
      await page.screenshot({ path: path.join(artifacts, "quiz-widget-mcp-apps.png") });
    });
  });
  passed.push("mcp-apps");
}

let failed = 0;
console.log(`widget: ${widgetPath}\nquiz:   ${path.resolve(resultArg)} (${quiz.title}, ${ordered.length} questions)\nartifacts: ${artifacts}`);
try {
  await openaiScenario({ name: "desktop", viewport: DESKTOP, theme: "light", shot: "quiz-widget-desktop.png" });
  await openaiScenario({ name: "phone", viewport: PHONE, theme: "light", shot: "quiz-widget-375.png" });
  await openaiScenario({ name: "dark", viewport: PHONE, colorScheme: "dark", late: true, shot: "quiz-widget-dark-375.png" });
  await openaiScenario({ name: "theme", viewport: PHONE, colorScheme: "light", theme: "dark", toolOutput: hostileQuiz });
  await openaiScenario({ name: "refused", viewport: PHONE, theme: "light", response: {
    isError: true,
    content: [{ type: "text", text: "No attempts left on this quiz." }],
    structuredContent: { error: "attempt_limit_reached", message: "No attempts left on this quiz.", details: {} },
  } });
  await mcpAppsScenario();
} catch (error) {
  failed = 1;
  console.error(`FAIL [${scenario}] ${stepName}: ${error.message}`);
} finally {
  await browser.close();
}
console.log(`widget: ${passed.length} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
