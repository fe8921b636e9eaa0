// A second, independent MCP client for scripts/check-mcp.sh: the official TypeScript SDK
// (@modelcontextprotocol/sdk's Client over StreamableHTTPClientTransport), with a password token.
//
//   BASE_URL=http://127.0.0.1:PORT node ts-client.mjs
//
// 1. POST /api/v1/auth/register (fetch) creates a new learner; its access_token is the bearer
//    token (the MCP door accepts password tokens as well as OAuth ones);
// 2. connects to BASE_URL/mcp with requestInit headers `Authorization: Bearer <token>` and
//    initializes;
// 3. tools/list holds the 14 tools of the contract, each with an outputSchema;
// 4. tools/call search_course {query: "agent"} is not an error and has results (the SDK checks
//    structuredContent against the tool's outputSchema).
// Only BASE_URL (loopback) is reached. Exit 1 with "FAIL: [ts-client] step: reason" on failure.

import { randomUUID } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const BASE_URL = (process.env.BASE_URL ?? "").replace(/\/+$/, "");
const TIMEOUT_MS = 30000;
const TOOLS = [
  "what_next",
  "get_course_outline",
  "read_chapter",
  "search_course",
  "get_quiz",
  "submit_quiz",
  "get_quiz_results",
  "get_progress",
  "mark_chapter_complete",
  "check_in",
  "get_streak",
  "check_access",
  "get_review_queue",
  "answer_review",
];

if (!BASE_URL) {
  console.error("usage: BASE_URL=http://127.0.0.1:PORT node ts-client.mjs");
  process.exit(2);
}

// The SDK's validator (Ajv) warns once per use of a JSON Schema format it does not know (e.g.
// schemars' "uint32"); they are ignored for validation, so gather them into one note.
const unknownFormats = new Set();
const warn = console.warn;
console.warn = (...args) => {
  const match = /^unknown format "([^"]+)" ignored in schema/.exec(String(args[0] ?? ""));
  if (match) unknownFormats.add(match[1]);
  else warn(...args);
};

class StepError extends Error {}
function check(condition, message) {
  if (!condition) throw new StepError(message);
}
const dump = (value, limit = 600) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= limit ? text : `${text.slice(0, limit)}…`;
};
let currentStep = "start";
async function step(name, body) {
  currentStep = name;
  console.log(`  [ts-client] ${name}`);
  return body();
}

let client;
let status = 0;
try {
  const tag = randomUUID().replaceAll("-", "");
  const email = `mcp-ts-${tag.slice(0, 12)}@example.com`;
  const password = `Pw${tag.slice(12, 26)}9`;

  const token = await step(`POST /api/v1/auth/register (${email})`, async () => {
    const response = await fetch(`${BASE_URL}/api/v1/auth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password, name: "MCP TS Learner", timezone: "Europe/Paris" }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text();
    check(response.status === 201, `register answered ${response.status}, expected 201: ${text.slice(0, 300)}`);
    const body = JSON.parse(text);
    check(typeof body.access_token === "string" && body.access_token, `no access_token in ${Object.keys(body)}`);
    return body.access_token;
  });

  await step("connect + initialize with Authorization: Bearer <password token>", async () => {
    client = new Client({ name: "course-companion-mcp-ts-check", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${BASE_URL}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    await client.connect(transport, { timeout: TIMEOUT_MS });
    const server = client.getServerVersion();
    console.log(`  [ts-client] server ${server?.name} ${server?.version}`);
  });

  await step("tools/list: the 14 tools", async () => {
    const tools = [];
    let cursor;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: TIMEOUT_MS });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    const names = new Set(tools.map((tool) => tool.name));
    const missing = TOOLS.filter((name) => !names.has(name));
    check(missing.length === 0, `tools/list lacks ${missing.join(", ")} (it has ${[...names].join(", ")})`);
    for (const tool of tools.filter((tool) => TOOLS.includes(tool.name))) {
      check(tool.outputSchema && typeof tool.outputSchema === "object", `${tool.name} has no outputSchema`);
    }
    console.log(`  [ts-client] ${tools.length} tools`);
    if (unknownFormats.size) {
      console.log(`  [ts-client] note: the tools' schemas use formats the validator does not know (ignored): ${[...unknownFormats].join(", ")}`);
    }
  });

  await step('tools/call search_course {query: "agent"}', async () => {
    const result = await client.callTool({ name: "search_course", arguments: { query: "agent" } }, undefined, {
      timeout: TIMEOUT_MS,
    });
    check(!result.isError, `search_course answered isError: ${dump(result.structuredContent ?? result.content)}`);
    const found = result.structuredContent;
    check(found && typeof found === "object", `search_course returned no structuredContent: ${dump(result.content)}`);
    check(Array.isArray(found.results) && found.results.length > 0, `search_course found nothing: ${dump(found)}`);
    console.log(`  [ts-client] total ${found.total}; first: ${found.results[0].chapter_slug}`);
  });

  console.log("ok  TypeScript SDK client: password token as bearer, initialize, 14 tools, search_course");
} catch (error) {
  const message = error instanceof StepError ? error.message : String(error?.stack ?? error);
  console.error(`FAIL: [ts-client] ${currentStep}: ${message}`);
  status = 1;
} finally {
  await client?.close().catch(() => {});
}
process.exit(status);
