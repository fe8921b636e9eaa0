#!/usr/bin/env python3
"""The MCP door end to end, as an MCP host's client does it: the official Python SDK (`mcp`).

    BASE_URL=http://127.0.0.1:8000 REDIRECT_URI=http://127.0.0.1:PORT/callback \\
    CALLBACK_RECORD=/path/to/record BROWSER_SCRIPT=/path/to/browser.mjs CLIENT_NAME=... \\
    ARTIFACTS_DIR=artifacts GET_QUIZ_JSON=/path/to/get_quiz.json python flow.py

Run by scripts/check-mcp.sh, which starts the server and the callback listener
(tests/oauth/callback.py, appending each query string it receives to CALLBACK_RECORD). The MCP
client is the SDK's streamable HTTP transport (mcp.client.streamable_http) with its OAuth
provider (mcp.client.auth.OAuthClientProvider) as the HTTP client's auth: on the server's 401 it
reads the protected-resource metadata named by WWW-Authenticate, the RFC 8414 metadata,
registers itself (RFC 7591, a public client: token_endpoint_auth_method "none"), sends the
person to the authorization URL with PKCE S256 and `resource`, and exchanges the code; nothing
here writes an OAuth request by hand. The person's part is a real browser (browser.mjs,
MODE=register: a new learner registers on the sign-in page and clicks Allow on the consent page,
which must name CLIENT_NAME); its `CALLBACK <url>` line is what the callback handler returns.

 1. Unauthenticated POST /mcp (and one with a bad bearer token) is 401 with WWW-Authenticate
    naming resource_metadata; that document's `resource` is BASE/mcp and its authorization server
    BASE; the RFC 8414 metadata has registration_endpoint, S256 and "none".
 2. Connect and initialize through OAuth (the SDK does discovery, registration, PKCE); the
    browser is visited once; the client was registered as a public client.
 3. tools/list: the 14 tools of the contract, each with inputSchema, outputSchema and the four
    annotation hints (readOnlyHint true for the read tools, false for submit_quiz,
    mark_chapter_complete, check_in); get_quiz's _meta names the quiz widget. prompts/list: the
    4 prompts. resources/list: course://chapters/{slug} for chapters 1-3 (a free learner) and not
    for chapter 4+; the widget ui://widget/quiz.html (text/html+skybridge, served verbatim).
 4. read_chapter what-is-an-ai-agent: structuredContent.content is the chapter file's markdown
    body byte for byte (everything after the front matter, as REST serves it; content_sha256 is
    its SHA-256); resources/read course://chapters/what-is-an-ai-agent is the same text.
 5. search_course {query: "agent"} has results.
 6. get_quiz (the chapter's quiz_id): saved as JSON to GET_QUIZ_JSON for the widget test;
    submit_quiz with every answer of content/quizzes/01-what-is-an-ai-agent.toml (questions
    mapped by order) passes; get_quiz_results shows the attempt.
 7. read_chapter of chapter 4 (slug from get_course_outline, order 4) is a tool result with
    isError true and structuredContent.error "upgrade_required"; check_access agrees.
 8. submit_quiz without answers, and with quiz_id "not-a-uuid": tool results with isError true
    whose details name the field (the error code is printed).
 9. mark_chapter_complete what-is-an-ai-agent, then get_progress lists it completed.
10. REST: the learner the browser created logs in with POST /api/v1/auth/login; GET
    /api/v1/progress/me lists the same completed chapters as get_progress; GET
    /api/v1/chapters/what-is-an-ai-agent is the same JSON as read_chapter's structuredContent.
Exits 1 with "FAIL: [step] reason" at the first failure.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.to_thread
import httpx2
import mcp.types as types
from mcp import ClientSession, MCPError
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from mcp.types.version import LATEST_HANDSHAKE_VERSION

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = os.environ["BASE_URL"].rstrip("/")
MCP_URL = f"{BASE_URL}/mcp"
REDIRECT_URI = os.environ["REDIRECT_URI"]
CALLBACK_RECORD = os.environ.get("CALLBACK_RECORD", "")
BROWSER = [os.environ.get("NODE", "node"), os.environ["BROWSER_SCRIPT"]]
CLIENT_NAME = os.environ.get("CLIENT_NAME", "Course Companion MCP check")
ARTIFACTS = os.environ.get("ARTIFACTS_DIR", "artifacts")
GET_QUIZ_JSON = os.environ.get("GET_QUIZ_JSON") or os.path.join(os.environ.get("WORK", "."), "get_quiz.json")
CONTENT = Path(os.environ.get("CONTENT_DIR", ROOT / "content"))
# The widget the binary embeds; QUIZ_WIDGET_FILE="" skips the comparison (a binary built from
# another tree than this one).
WIDGET_FILE = os.environ.get("QUIZ_WIDGET_FILE", str(ROOT / "crates/mcp/assets/quiz-widget.html"))
SCOPE = "learner"
CHAPTER = "what-is-an-ai-agent"
CHAPTER_FILE = CONTENT / "chapters/01-what-is-an-ai-agent.md"
QUIZ_FILE = CONTENT / "quizzes/01-what-is-an-ai-agent.toml"
PRM_URL = f"{BASE_URL}/.well-known/oauth-protected-resource/mcp"
WIDGET_URI = "ui://widget/quiz.html"
# The same page for MCP Apps hosts (`_meta.ui.resourceUri`), under the MIME type they look for.
APP_WIDGET_URI = "ui://widget/quiz-app.html"
TIMEOUT = 30

READ_TOOLS = {
    "get_course_outline",
    "read_chapter",
    "search_course",
    "get_quiz",
    "get_quiz_results",
    "get_progress",
    "get_streak",
    "check_access",
    "what_next",
    "get_review_queue",
}
WRITE_TOOLS = {"submit_quiz", "mark_chapter_complete", "check_in", "answer_review"}
PROMPTS = {"socratic_tutor", "quiz_master", "concept_explainer", "progress_motivator"}
HINTS = ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint")


class FlowError(AssertionError):
    pass


class StepFailed(Exception):
    """A step's failure, already worded: "[step] reason"."""


def check(condition: Any, message: str) -> None:
    if not condition:
        raise FlowError(message)


def dump(value: Any, limit: int = 600) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


_step = "setup"
_notes: dict[str, bool] = {}


@contextmanager
def step(name: str, seconds: float = 60) -> Iterator[None]:
    """Names the step in the failure message; a step that takes over `seconds` fails."""
    global _step
    _step = name
    print(f"  [{name}]", flush=True)
    try:
        with anyio.fail_after(seconds):
            yield
    except StepFailed:
        raise
    except FlowError as error:
        raise StepFailed(f"[{name}] {error}") from None
    except MCPError as error:
        data = f" data={dump(error.data)}" if error.data is not None else ""
        raise StepFailed(f"[{name}] the server answered JSON-RPC error {error.code}: {error.message}{data}") from None
    except TimeoutError:
        raise StepFailed(f"[{name}] no answer within {seconds:g} s") from None
    except Exception as error:  # noqa: BLE001 (any surprise is a failure of this step)
        raise StepFailed(f"[{name}] {type(error).__name__}: {error}") from None


def chapter_body(file_text: str) -> str:
    """A chapter file's body: every byte after the line that closes the front matter (the same
    rule as tests/lib.rs chapter_body, which the REST API's verbatim test uses)."""
    check(file_text.startswith("---\n"), f"{CHAPTER_FILE} does not open with a front matter line")
    after_open = file_text[len("---\n") :]
    end = after_open.find("\n---\n")
    check(end >= 0, f"{CHAPTER_FILE}'s front matter is not closed")
    return after_open[end + len("\n---\n") :]


def first_difference(got: str, expected: str) -> str:
    index = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), min(len(got), len(expected)))
    return (
        f"{len(got)} characters, expected {len(expected)}; first difference at character {index}: "
        f"got {got[max(0, index - 30) : index + 40]!r}, expected {expected[max(0, index - 30) : index + 40]!r}"
    )


# --- the OAuth client's storage and the person's part ------------------------------------------


class MemoryStorage:
    """The SDK's TokenStorage, in memory: one run, one learner."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


def recorded() -> list[str]:
    if not CALLBACK_RECORD:
        return []
    with open(CALLBACK_RECORD, encoding="utf-8") as record:
        return [line.rstrip("\n") for line in record]


class Person:
    """The SDK's redirect_handler and callback_handler: a new learner in a real browser."""

    def __init__(self, email: str, password: str) -> None:
        self.email = email
        self.password = password
        self.visits = 0
        self.authorization_url = ""
        self.callback_url = ""
        self.problem = ""

    def fail(self, message: str) -> None:
        self.problem = message
        raise FlowError(message)

    async def redirect(self, url: str) -> None:
        self.visits += 1
        self.authorization_url = url
        query = parse_qs(urlsplit(url).query)
        shown = {k: v[0] for k, v in query.items() if k not in ("code_challenge", "state")}
        print(f"    authorization URL: {urlsplit(url)._replace(query='').geturl()} {dump(shown)}", flush=True)
        if self.visits > 1:
            self.fail(f"the SDK sent the person to the authorization URL {self.visits} times (the first token was not accepted?)")
        if query.get("code_challenge_method") != ["S256"] or not query.get("code_challenge"):
            self.fail(f"the authorization URL has no PKCE S256 challenge: {url}")
        if query.get("resource") != [MCP_URL]:
            self.fail(f"the authorization URL's resource is {query.get('resource')}, expected [{MCP_URL!r}] (from the protected-resource metadata)")
        before = len(recorded())
        env = dict(
            os.environ,
            REDIRECT_URI=REDIRECT_URI,
            CLIENT_NAME=CLIENT_NAME,
            MODE="register",
            DECISION="allow",
            CONSENT="required",
            FAILURE_SCREENSHOT=os.path.join(ARTIFACTS, "mcp-failure-browser.png"),
        )
        os.makedirs(ARTIFACTS, exist_ok=True)
        run = functools.partial(
            subprocess.run,
            [*BROWSER, url, self.email, self.password, os.path.join(ARTIFACTS, "mcp-")],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            timeout=180,
        )
        result = await anyio.to_thread.run_sync(run)
        lines = result.stdout.splitlines()
        for line in lines:
            print(f"    {line}", flush=True)
        if result.returncode != 0:
            self.fail(f"the browser script failed (exit {result.returncode}, its FAIL line above)")
        if not lines or not lines[-1].startswith("CALLBACK "):
            self.fail(f"the browser script's last line is not 'CALLBACK <url>': {lines[-1:]!r}")
        self.callback_url = lines[-1][len("CALLBACK ") :].strip()
        if not self.callback_url.startswith(f"{REDIRECT_URI}?"):
            self.fail(f"the browser ended at {self.callback_url}, not at {REDIRECT_URI}")
        if CALLBACK_RECORD:
            # The listener writes the line before it answers, and the browser waited for the answer.
            deadline = time.monotonic() + 5
            while len(recorded()) == before and time.monotonic() < deadline:
                await anyio.sleep(0.1)
            received = recorded()[before:]
            if received != [urlsplit(self.callback_url).query]:
                self.fail(f"the callback listener received {len(received)} requests, expected the one the browser ended on")

    async def callback(self) -> AuthorizationCodeResult:
        query = parse_qs(urlsplit(self.callback_url).query, keep_blank_values=True)
        if "error" in query:
            self.fail(f"the callback got error={query['error']} ({query.get('error_description')})")
        for name in ("code", "state"):
            if len(query.get(name, [])) != 1 or not query[name][0]:
                self.fail(f"the callback query has no single {name!r}: {sorted(query)}")
        iss = query.get("iss", [None])[0]
        return AuthorizationCodeResult(code=query["code"][0], state=query["state"][0], iss=iss)


# --- MCP helpers -------------------------------------------------------------------------------


async def list_all(fetch: Callable[..., Awaitable[Any]], attribute: str) -> list[Any]:
    """Every item of a paginated list (tools, prompts, resources)."""
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(100):
        page = await fetch(params=types.PaginatedRequestParams(cursor=cursor) if cursor else None)
        items.extend(getattr(page, attribute))
        cursor = page.next_cursor
        if not cursor:
            return items
    raise FlowError(f"{attribute}: more than 100 pages")


def text_of(result: types.CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, types.TextContent))[:400]


async def call(session: ClientSession, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A tool call that must succeed; returns its structuredContent (the REST twin's JSON body)."""
    # The SDK validates structuredContent against the tool's outputSchema on success.
    result = await session.call_tool(name, arguments)
    check(
        not result.is_error,
        f"{name} {dump(arguments)} answered isError: {dump(result.structured_content) if result.structured_content is not None else text_of(result)}",
    )
    content = result.structured_content
    check(isinstance(content, dict), f"{name} returned no structuredContent object (content: {text_of(result)!r})")
    return content


async def refusal(session: ClientSession, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A tool call that must be refused as a tool result (isError: true); returns its structuredContent."""
    try:
        result = await session.call_tool(name, arguments)
    except MCPError as error:
        data = f", data {dump(error.data)}" if error.data is not None else ""
        raise FlowError(
            f"{name} {dump(arguments)} was answered with JSON-RPC error {error.code} ({error.message}{data}), "
            "expected a tool result with isError: true and structuredContent {error, message, details}"
        ) from None
    content = result.structured_content
    print(f"    {name} {dump(arguments)} -> isError={result.is_error} structuredContent={dump(content)}", flush=True)
    check(result.is_error, f"{name} {dump(arguments)} was not refused (isError false): {dump(content)}")
    check(isinstance(content, dict), f"{name}'s refusal has no structuredContent object (content: {text_of(result)!r})")
    check(isinstance(content.get("error"), str) and content["error"], f"{name}'s refusal has no error code: {dump(content)}")
    check(isinstance(content.get("message"), str) and content["message"], f"{name}'s refusal has no message: {dump(content)}")
    return content


def access_arguments(tool: types.Tool, slug: str) -> dict[str, str]:
    """check_access's arguments for a chapter: its REST twin's `resource` (`chapter:<slug>`)."""
    properties = tool.input_schema.get("properties") or {}
    check("resource" in properties, f"check_access's inputSchema has no 'resource': {dump(tool.input_schema)}")
    return {"resource": f"chapter:{slug}"}


def completed_ids(progress: dict[str, Any], what: str) -> set[str]:
    chapters = progress.get("completed_chapters")
    check(isinstance(chapters, list), f"{what} has no completed_chapters list: {dump(progress)}")
    return {str(item.get("chapter_id")) for item in chapters}


# --- the steps ---------------------------------------------------------------------------------


async def discovery(http: httpx2.AsyncClient) -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": LATEST_HANDSHAKE_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "unauthenticated probe", "version": "0"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    with step("1. POST /mcp without a token: 401 naming the protected-resource metadata"):
        for label, extra in (("no token", {}), ("a bad bearer token", {"Authorization": f"Bearer not-a-token-{uuid.uuid4().hex}"})):
            response = await http.post(MCP_URL, json=initialize, headers={**headers, **extra})
            check(response.status_code == 401, f"POST /mcp with {label} answered {response.status_code}, expected 401: {response.text[:300]!r}")
            challenge = response.headers.get("WWW-Authenticate", "")
            print(f"    {label}: 401 WWW-Authenticate: {challenge}")
            check(challenge.lower().startswith("bearer"), f"WWW-Authenticate is {challenge!r}, expected a Bearer challenge")
            check(
                f'resource_metadata="{PRM_URL}"' in challenge,
                f'WWW-Authenticate is {challenge!r}, expected it to hold resource_metadata="{PRM_URL}"',
            )
    with step("1. GET the protected-resource metadata (RFC 9728)"):
        for url in (PRM_URL, f"{BASE_URL}/.well-known/oauth-protected-resource"):
            response = await http.get(url)
            check(response.status_code == 200, f"GET {url} answered {response.status_code}: {response.text[:300]!r}")
            doc = response.json()
            check(doc.get("resource") == MCP_URL, f"{url}: resource is {doc.get('resource')!r}, expected {MCP_URL!r}")
            check(doc.get("authorization_servers") == [BASE_URL], f"{url}: authorization_servers is {doc.get('authorization_servers')!r}, expected [{BASE_URL!r}]")
            check(SCOPE in (doc.get("scopes_supported") or []), f"{url}: scopes_supported is {doc.get('scopes_supported')!r}, expected it to hold {SCOPE!r}")
        print(f"    {dump(doc)}")
    with step("1. GET /.well-known/oauth-authorization-server: registration, S256, public clients"):
        response = await http.get(f"{BASE_URL}/.well-known/oauth-authorization-server")
        check(response.status_code == 200, f"the RFC 8414 metadata answered {response.status_code}: {response.text[:300]!r}")
        meta = response.json()
        check(meta.get("issuer") == BASE_URL, f"issuer is {meta.get('issuer')!r}, expected {BASE_URL!r}")
        check(meta.get("registration_endpoint") == f"{BASE_URL}/oauth/register", f"registration_endpoint is {meta.get('registration_endpoint')!r}, expected {BASE_URL}/oauth/register")
        check("S256" in (meta.get("code_challenge_methods_supported") or []), f"code_challenge_methods_supported is {meta.get('code_challenge_methods_supported')!r}")
        check("none" in (meta.get("token_endpoint_auth_methods_supported") or []), f"token_endpoint_auth_methods_supported is {meta.get('token_endpoint_auth_methods_supported')!r}, expected it to hold 'none'")


async def tools_prompts_resources(session: ClientSession) -> tuple[dict[str, types.Tool], dict[str, Any]]:
    with step("3. tools/list: the 14 tools with schemas and annotations"):
        tools = {tool.name: tool for tool in await list_all(session.list_tools, "tools")}
        print(f"    {len(tools)} tools: {', '.join(sorted(tools))}")
        missing = sorted((READ_TOOLS | WRITE_TOOLS) - set(tools))
        check(not missing, f"tools/list lacks {missing}")
        extra = sorted(set(tools) - READ_TOOLS - WRITE_TOOLS)
        if extra:
            print(f"    note: tools beyond the contract: {extra}")
        for name in sorted(READ_TOOLS | WRITE_TOOLS):
            tool = tools[name]
            check(isinstance(tool.input_schema, dict) and tool.input_schema.get("type") == "object", f"{name}'s inputSchema is {dump(tool.input_schema)}, expected a JSON Schema object")
            check(isinstance(tool.output_schema, dict) and tool.output_schema, f"{name} has no outputSchema")
            check(tool.description, f"{name} has no description")
            check(tool.annotations is not None, f"{name} has no annotations")
            for hint in HINTS:
                value = getattr(tool.annotations, hint)
                check(isinstance(value, bool), f"{name}'s annotation {hint} is {value!r}, expected true or false")
            expected = name in READ_TOOLS
            check(
                tool.annotations.read_only_hint is expected,
                f"{name}'s readOnlyHint is {tool.annotations.read_only_hint}, expected {str(expected).lower()}",
            )
        quiz_meta = tools["get_quiz"].meta or {}
        check(quiz_meta.get("openai/outputTemplate") == WIDGET_URI, f"get_quiz's _meta is {dump(quiz_meta)}, expected openai/outputTemplate {WIDGET_URI!r}")
        check((quiz_meta.get("ui") or {}).get("resourceUri") == APP_WIDGET_URI, f"get_quiz's _meta is {dump(quiz_meta)}, expected ui.resourceUri {APP_WIDGET_URI!r}")

    with step("3. prompts/list: the 4 prompts"):
        prompts = {prompt.name: prompt for prompt in await list_all(session.list_prompts, "prompts")}
        print(f"    {len(prompts)} prompts: {', '.join(sorted(prompts))}")
        missing = sorted(PROMPTS - set(prompts))
        check(not missing, f"prompts/list lacks {missing}")
        for name in sorted(PROMPTS - {"progress_motivator"}):
            arguments = [argument.name for argument in prompts[name].arguments or []]
            check("chapter" in arguments, f"prompt {name}'s arguments are {arguments}, expected 'chapter'")
        required = [a.name for a in prompts["progress_motivator"].arguments or [] if a.required]
        check(not required, f"prompt progress_motivator requires {required}, expected no argument")
        prompt = await session.get_prompt("socratic_tutor", {"chapter": CHAPTER})
        check(prompt.messages, "prompts/get socratic_tutor returned no messages")

    with step("3. get_course_outline"):
        outline = await call(session, "get_course_outline", {})
        items = outline.get("items")
        check(isinstance(items, list) and items, f"get_course_outline has no items: {dump(outline)}")
        by_order = {item.get("order"): item for item in items}
        check({1, 2, 3, 4} <= set(by_order), f"the outline's orders are {sorted(by_order)}, expected 1-4 at least")
        check(by_order[1].get("slug") == CHAPTER, f"chapter 1's slug is {by_order[1].get('slug')!r}, expected {CHAPTER!r}")
        print(f"    {len(items)} chapters; locked: {[item.get('order') for item in items if item.get('locked')]}")

    with step("3. resources/list: chapters 1-3 for a free learner (not 4+), and the quiz widget"):
        resources = await list_all(session.list_resources, "resources")
        uris = [resource.uri for resource in resources]
        print(f"    {len(uris)} resources: {', '.join(uris)}")
        chapters = {uri.removeprefix("course://chapters/") for uri in uris if uri.startswith("course://chapters/")}
        open_slugs = {by_order[order]["slug"] for order in (1, 2, 3)}
        closed = {item["slug"] for order, item in by_order.items() if isinstance(order, int) and order >= 4}
        check(open_slugs <= chapters, f"resources/list lacks {sorted(open_slugs - chapters)} (chapters 1-3 are open to a free learner)")
        check(not chapters & closed, f"resources/list offers {sorted(chapters & closed)} to a free learner (chapter 4+ needs premium)")
        for resource in resources:
            if resource.uri.startswith("course://chapters/"):
                check(resource.mime_type == "text/markdown", f"{resource.uri}'s mimeType is {resource.mime_type!r}, expected text/markdown")
        for uri, mime in ((WIDGET_URI, "text/html+skybridge"), (APP_WIDGET_URI, "text/html;profile=mcp-app")):
            widget = next((resource for resource in resources if resource.uri == uri), None)
            check(widget is not None, f"resources/list lacks the widget {uri}")
            check(widget.mime_type == mime, f"{uri}'s mimeType is {widget.mime_type!r}, expected {mime}")
            read = await session.read_resource(uri)
            check(len(read.contents) == 1 and isinstance(read.contents[0], types.TextResourceContents), f"resources/read {uri} did not return one text content")
            if not WIDGET_FILE:
                print("    note: QUIZ_WIDGET_FILE is empty; the widget's text is not compared")
            elif os.path.isfile(WIDGET_FILE):
                expected = Path(WIDGET_FILE).read_bytes().decode("utf-8")
                check(
                    read.contents[0].text == expected,
                    f"{uri} is not {WIDGET_FILE} verbatim (was the binary built from this tree?): "
                    f"{first_difference(read.contents[0].text, expected)}",
                )
            else:
                print(f"    note: {WIDGET_FILE} does not exist; the widget's text is not compared")
    return tools, outline


async def flow() -> None:
    tag = uuid.uuid4().hex
    email = f"mcp-{tag[:12]}@example.com"
    password = f"Pw{tag[12:26]}9"
    person = Person(email, password)
    storage = MemoryStorage()
    body = chapter_body(CHAPTER_FILE.read_bytes().decode("utf-8"))
    with open(QUIZ_FILE, "rb") as quiz_file:
        quiz_source = tomllib.load(quiz_file)

    async with httpx2.AsyncClient(timeout=TIMEOUT) as http:
        await discovery(http)

    provider = OAuthClientProvider(
        server_url=MCP_URL,
        client_metadata=OAuthClientMetadata(
            redirect_uris=[REDIRECT_URI],
            token_endpoint_auth_method="none",
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            scope=SCOPE,
            client_name=CLIENT_NAME,
        ),
        storage=storage,
        redirect_handler=person.redirect,
        callback_handler=person.callback,
    )
    http = httpx2.AsyncClient(auth=provider, timeout=httpx2.Timeout(TIMEOUT, read=120))
    client_info = types.Implementation(name="course-companion-mcp-check", version="1.0.0")
    async with http, streamable_http_client(MCP_URL, http_client=http) as (read_stream, write_stream):
        async with ClientSession(read_stream, write_stream, client_info=client_info) as session:
            with step(f"2. connect + initialize through OAuth (a new learner {email} registers in the browser)", seconds=300):
                try:
                    init = await session.initialize()
                except Exception:
                    if person.problem:
                        raise FlowError(person.problem) from None
                    raise
                check(person.visits == 1, f"the browser was sent to the authorization URL {person.visits} times, expected once")
                check(storage.tokens and storage.tokens.access_token, "no access token was stored")
                info = storage.client_info
                check(info and info.client_id, "the client was not registered")
                check(info.token_endpoint_auth_method in (None, "none"), f"registered with token_endpoint_auth_method {info.token_endpoint_auth_method!r}, asked for 'none'")
                check(info.client_secret is None, "a public client (token_endpoint_auth_method none) was given a client_secret")
                caps = init.capabilities
                check(caps.tools is not None and caps.prompts is not None and caps.resources is not None, f"the server's capabilities lack tools, prompts or resources: {caps.model_dump(exclude_none=True)}")
                print(
                    f"    client {info.client_id} registered; server {init.server_info.name} {init.server_info.version}, "
                    f"protocol {init.protocol_version}; token scope {storage.tokens.scope!r}"
                )

            tools, outline = await tools_prompts_resources(session)
            by_order = {item.get("order"): item for item in outline["items"]}

            with step(f"4. read_chapter {CHAPTER}: content is the chapter file's body, verbatim"):
                chapter = await call(session, "read_chapter", {"chapter": CHAPTER})
                content = chapter.get("content")
                check(isinstance(content, str), f"read_chapter has no content string: {sorted(chapter)}")
                if content != body and content == CHAPTER_FILE.read_bytes().decode("utf-8"):
                    raise FlowError("content is the whole file, front matter included; the REST twin serves the body after the front matter")
                check(content == body, f"content differs from {CHAPTER_FILE.relative_to(ROOT)}'s body: {first_difference(content, body)}")
                digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
                check(chapter.get("content_sha256") == digest, f"content_sha256 is {chapter.get('content_sha256')!r}, expected {digest}")
                check(chapter.get("slug") == CHAPTER and chapter.get("order") == 1, f"read_chapter answered chapter {chapter.get('slug')!r} (order {chapter.get('order')!r})")
                quiz_id = chapter.get("quiz_id")
                check(isinstance(quiz_id, str) and quiz_id, f"read_chapter has no quiz_id: {chapter.get('quiz_id')!r}")
                print(f"    {len(content)} characters, sha256 {digest[:16]}…, quiz_id {quiz_id}")

            with step(f"4. resources/read course://chapters/{CHAPTER}: the same text"):
                read = await session.read_resource(f"course://chapters/{CHAPTER}")
                check(len(read.contents) == 1, f"resources/read returned {len(read.contents)} contents, expected 1")
                item = read.contents[0]
                check(isinstance(item, types.TextResourceContents), f"resources/read returned {type(item).__name__}, expected text")
                check(item.mime_type == "text/markdown", f"the resource's mimeType is {item.mime_type!r}, expected text/markdown")
                check(item.text == body, f"the resource's text differs from the chapter's body: {first_difference(item.text, body)}")

            with step('5. search_course {query: "agent"}'):
                found = await call(session, "search_course", {"query": "agent"})
                results = found.get("results")
                check(isinstance(results, list) and results, f"search_course found nothing: {dump(found)}")
                print(f"    total {found.get('total')}; first: {results[0].get('chapter_slug')} § {results[0].get('section')}")

            with step(f"6. get_quiz {quiz_id}: saved to {GET_QUIZ_JSON}"):
                quiz = await call(session, "get_quiz", {"quiz_id": quiz_id})
                check(quiz.get("id") == quiz_id, f"get_quiz answered quiz {quiz.get('id')!r}")
                questions = sorted(quiz.get("questions") or [], key=lambda question: question.get("order", 0))
                expected_questions = quiz_source["questions"]
                check(len(questions) == len(expected_questions), f"the quiz has {len(questions)} questions, {QUIZ_FILE.name} has {len(expected_questions)}")
                for question in questions:
                    leaked = sorted({"answer", "correct_answer", "explanation"} & set(question))
                    check(not leaked, f"question {question.get('order')} shows {leaked} before any attempt")
                os.makedirs(os.path.dirname(os.path.abspath(GET_QUIZ_JSON)), exist_ok=True)
                with open(GET_QUIZ_JSON, "w", encoding="utf-8") as out:
                    json.dump(quiz, out, ensure_ascii=False, indent=2)
                    out.write("\n")

            with step("6. submit_quiz with every answer of the quiz file: passed"):
                answers: dict[str, Any] = {}
                for question, source in zip(questions, expected_questions, strict=True):
                    check(question.get("kind") == source["kind"], f"question {question.get('order')} is {question.get('kind')!r}, the file says {source['kind']!r}")
                    check(question.get("text") == source["text"], f"question {question.get('order')}'s text differs from the file's: {question.get('text')!r}")
                    answer = source["answer"]
                    answers[question["id"]] = str(answer).lower() if isinstance(answer, bool) else answer
                graded = await call(session, "submit_quiz", {"quiz_id": quiz_id, "answers": answers})
                print(f"    score {graded.get('score')}, {graded.get('correct_count')}/{graded.get('total')}, passed {graded.get('passed')}")
                check(graded.get("passed") is True, f"the quiz was not passed with every answer right: {dump(graded)}")
                check(graded.get("correct_count") == graded.get("total") == len(questions), f"correct_count/total is {graded.get('correct_count')}/{graded.get('total')}, expected {len(questions)}/{len(questions)}")

            with step("6. get_quiz_results: the attempt"):
                history = await call(session, "get_quiz_results", {"quiz_id": quiz_id})
                check(history.get("attempt_count") == 1 and history.get("passed_ever") is True, f"get_quiz_results is {dump(history)}, expected one attempt, passed")

            fourth = by_order[4]
            with step(f"7. read_chapter {fourth['slug']} (chapter 4): upgrade_required"):
                refused = await refusal(session, "read_chapter", {"chapter": fourth["slug"]})
                check(refused["error"] == "upgrade_required", f"the error is {refused['error']!r}, expected 'upgrade_required'")
                check("content" not in refused, "the refusal carries the chapter's content")
                for slug, granted in ((fourth["slug"], False), (CHAPTER, True)):
                    arguments = access_arguments(tools["check_access"], slug)
                    access = await call(session, "check_access", arguments)
                    check(access.get("access_granted") is granted, f"check_access {dump(arguments)} is {dump(access)}, expected access_granted {str(granted).lower()}")

            for label, arguments, field in (
                ("answers missing", {"quiz_id": quiz_id}, "answers"),
                ('quiz_id "not-a-uuid"', {"quiz_id": "not-a-uuid", "answers": answers}, "quiz_id"),
            ):
                with step(f"8. submit_quiz with {label}: refused, details name {field}"):
                    refused = await refusal(session, "submit_quiz", arguments)
                    details = refused.get("details")
                    check(details, f"the refusal ({refused['error']}) has no details: {dump(refused)}")
                    fields = details.get("fields") if isinstance(details, dict) else None
                    named = field in fields if isinstance(fields, dict) else field in dump(details, limit=10_000)
                    check(named, f"the refusal's details do not name {field!r}: {dump(details)}")
                    print(f"    error code {refused['error']!r}")

            with step(f"9. mark_chapter_complete {CHAPTER}, then get_progress lists it"):
                await call(session, "mark_chapter_complete", {"chapter": CHAPTER})
                progress = await call(session, "get_progress", {})
                mcp_completed = completed_ids(progress, "get_progress")
                check(chapter["id"] in mcp_completed, f"get_progress's completed chapters are {sorted(mcp_completed)}, expected {chapter['id']} ({CHAPTER})")
                print(f"    completed: {sorted(mcp_completed)}; completed_count {progress.get('completed_count')}")

    async with httpx2.AsyncClient(timeout=TIMEOUT) as rest:
        with step(f"10. REST: POST /api/v1/auth/login as {email}"):
            response = await rest.post(f"{BASE_URL}/api/v1/auth/login", json={"email": email, "password": password})
            check(response.status_code == 200, f"login answered {response.status_code}: {response.text[:300]!r}")
            token = response.json().get("access_token")
            check(token, "the login answer has no access_token")
            auth = {"Authorization": f"Bearer {token}"}
        with step("10. REST: GET /api/v1/progress/me lists the same completed chapters"):
            response = await rest.get(f"{BASE_URL}/api/v1/progress/me", headers=auth)
            check(response.status_code == 200, f"GET /api/v1/progress/me answered {response.status_code}: {response.text[:300]!r}")
            rest_completed = completed_ids(response.json(), "GET /api/v1/progress/me")
            check(rest_completed == mcp_completed, f"REST lists {sorted(rest_completed)} completed, get_progress listed {sorted(mcp_completed)}")
        with step(f"10. REST: GET /api/v1/chapters/{CHAPTER} is read_chapter's structuredContent"):
            response = await rest.get(f"{BASE_URL}/api/v1/chapters/{CHAPTER}", headers=auth)
            check(response.status_code == 200, f"GET /api/v1/chapters/{CHAPTER} answered {response.status_code}: {response.text[:300]!r}")
            twin = response.json()
            differing = sorted(key for key in set(twin) | set(chapter) if twin.get(key, "<absent>") != chapter.get(key, "<absent>"))
            check(not differing, "read_chapter and REST differ in " + ", ".join(f"{key} (MCP {dump(chapter.get(key, '<absent>'), 80)}, REST {dump(twin.get(key, '<absent>'), 80)})" for key in differing))

    print(
        "ok  MCP over OAuth (discovery, dynamic registration, PKCE) for a new learner; 14 tools, 4 prompts, "
        "resources; chapter verbatim; search; quiz passed; upgrade_required; validation; progress = REST"
    )


def failures(error: BaseException) -> Iterator[BaseException]:
    """The leaves of an exception (group)."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from failures(inner)
    else:
        yield error


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="    %(name)s %(levelname)s: %(message)s")
    try:
        anyio.run(flow)
    except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001
        leaves = list(failures(error))
        named = [leaf for leaf in leaves if isinstance(leaf, StepFailed)]
        if named:
            sys.exit(f"FAIL: {named[0]}")
        # A failure inside the SDK's HTTP auth flow (the browser, a handler) surfaces here,
        # outside the step that was running.
        leaf = next((leaf for leaf in leaves if isinstance(leaf, FlowError)), leaves[0] if leaves else error)
        reason = str(leaf) if isinstance(leaf, FlowError) else f"{type(leaf).__name__}: {leaf}"
        sys.exit(f"FAIL: [{_step}] {reason}")


if __name__ == "__main__":
    main()
