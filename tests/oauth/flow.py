#!/usr/bin/env python3
"""OAuth 2 authorization-code flow against the companion binary, as a GPT Action's client does it.

    BASE_URL=http://127.0.0.1:8000 CLIENT_ID=... CLIENT_SECRET=... CLIENT_NAME=... \\
    REDIRECT_URI=http://127.0.0.1:PORT/callback CALLBACK_RECORD=/path/to/record \\
    BROWSER_SCRIPT=/path/to/browser.mjs ARTIFACTS_DIR=artifacts python flow.py

Run by scripts/check-oauth.sh, which starts the server, the callback listener (callback.py,
appending each query string it receives to CALLBACK_RECORD) and registers the client. The OAuth
client is authlib's OAuth2Session: it builds the authorization URL (with PKCE S256 on the first
run), exchanges the code, refreshes the token and revokes it; nothing here writes a token request
by hand. A real browser (browser.mjs) does the person's part on the server's pages.

1. GET /.well-known/oauth-authorization-server: the RFC 8414 fields the flow relies on.
2. Run "client_secret_basic + PKCE S256" and run "client_secret_post" (no PKCE), each with a new
   learner: the browser registers on the sign-in page and clicks Allow; the listener gets code and
   the unchanged state; authlib exchanges the code; the access token reads chapter 1, marks it
   complete and reads /api/v1/me (the learner the browser created, in the browser's timezone);
   authlib refreshes: a new refresh token (rotation), and the new access token works; the used
   code and the rotated-out refresh token are refused (invalid_grant).
3. Last run only: authlib revokes the refresh token at the revocation endpoint; it is refused after.
4. Sign-in: the first run's learner signs in with the sign-in form (the consent page may be
   skipped, as this learner allowed this client before; else Allow); authlib exchanges the code
   and the token is this learner's.
5. Deny: a new learner registers and clicks Deny; the listener gets error=access_denied with the
   unchanged state and no code.
Screenshots of the sign-in and consent pages (1280 and 375 px) come from the first run.
Exits 1 with "FAIL: [run] step: reason" at the first failure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

BASE_URL = os.environ["BASE_URL"].rstrip("/")
CLIENT_ID = os.environ["CLIENT_ID"]
CLIENT_SECRET = os.environ["CLIENT_SECRET"]
CLIENT_NAME = os.environ.get("CLIENT_NAME", "")
REDIRECT_URI = os.environ["REDIRECT_URI"]
CALLBACK_RECORD = os.environ["CALLBACK_RECORD"]
BROWSER = [os.environ.get("NODE", "node"), os.environ["BROWSER_SCRIPT"]]
ARTIFACTS = os.environ.get("ARTIFACTS_DIR", "artifacts")
TIMEZONE = "Europe/Paris"
SCOPE = "learner"
CHAPTER = "what-is-an-ai-agent"
TIMEOUT = 30


class FlowError(AssertionError):
    pass


def check(condition: Any, message: str) -> None:
    if not condition:
        raise FlowError(message)


_run = "setup"


@contextmanager
def step(name: str) -> Iterator[None]:
    """Names the step in the failure message and stops the flow at the first failure."""
    print(f"  [{_run}] {name}", flush=True)
    try:
        yield
    except FlowError as error:
        sys.exit(f"FAIL: [{_run}] {name}: {error}")
    except OAuthError as error:
        detail = f" ({error.description})" if error.description else ""
        sys.exit(f"FAIL: [{_run}] {name}: the authorization server answered error {error.error!r}{detail}")
    except Exception as error:  # noqa: BLE001 (any surprise is a failure of this step)
        sys.exit(f"FAIL: [{_run}] {name}: {type(error).__name__}: {error}")


def json_of(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise FlowError(f"{what} answered {response.status_code} with a body that is not JSON: {response.text[:300]!r}")


def expect(response: requests.Response, status: int, what: str) -> Any:
    check(
        response.status_code == status,
        f"{what} answered {response.status_code}, expected {status}: {response.text[:300]!r}",
    )
    return json_of(response, what)


def recorded() -> list[str]:
    with open(CALLBACK_RECORD, encoding="utf-8") as record:
        return [line.rstrip("\n") for line in record]


def browse(url: str, email: str, password: str, *, mode: str, decision: str, screenshots: bool, consent: str = "required") -> dict[str, list[str]]:
    """The browser's part: returns the query the callback listener received from this visit."""
    before = len(recorded())
    prefix = os.path.join(ARTIFACTS, "oauth-") if screenshots else ""
    env = dict(
        os.environ,
        REDIRECT_URI=REDIRECT_URI,
        CLIENT_NAME=CLIENT_NAME,
        MODE=mode,
        DECISION=decision,
        CONSENT=consent,
        TIMEZONE=TIMEZONE,
        FAILURE_SCREENSHOT=os.path.join(ARTIFACTS, f"oauth-failure-{re.sub(r'[^a-z0-9]+', '-', _run.lower())}.png"),
    )
    os.makedirs(ARTIFACTS, exist_ok=True)
    result = subprocess.run([*BROWSER, url, email, password, prefix], env=env, timeout=180)
    check(result.returncode == 0, f"the browser script failed (exit {result.returncode}, its FAIL line above)")
    # The listener writes the line before it answers, and the browser waited for the answer.
    deadline = time.monotonic() + 5
    while len(recorded()) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = recorded()[before:]
    check(len(lines) == 1, f"the callback listener received {len(lines)} requests for one authorization, expected 1")
    return parse_qs(lines[0], keep_blank_values=True)


def single(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name, [])
    check(len(values) <= 1, f"the callback query has {len(values)} {name!r} parameters")
    return values[0] if values else None


def metadata() -> dict[str, Any]:
    with step("GET /.well-known/oauth-authorization-server (RFC 8414)"):
        doc = expect(requests.get(f"{BASE_URL}/.well-known/oauth-authorization-server", timeout=TIMEOUT), 200, "the metadata")
        check(isinstance(doc, dict), "the metadata is not a JSON object")
        check(doc.get("issuer") == BASE_URL, f"issuer is {doc.get('issuer')!r}, expected {BASE_URL!r} (PUBLIC_URL)")
        for field in ("authorization_endpoint", "token_endpoint", "revocation_endpoint"):
            value = doc.get(field)
            check(isinstance(value, str) and value.startswith(BASE_URL + "/"), f"{field} is {value!r}, expected a URL under {BASE_URL}/")
        check("code" in (doc.get("response_types_supported") or []), f"response_types_supported is {doc.get('response_types_supported')!r}, expected it to hold 'code'")
        check(SCOPE in (doc.get("scopes_supported") or []), f"scopes_supported is {doc.get('scopes_supported')!r}, expected it to hold {SCOPE!r}")
        check("S256" in (doc.get("code_challenge_methods_supported") or []), f"code_challenge_methods_supported is {doc.get('code_challenge_methods_supported')!r}, expected it to hold 'S256'")
        methods = doc.get("token_endpoint_auth_methods_supported") or []
        for method in ("client_secret_basic", "client_secret_post"):
            check(method in methods, f"token_endpoint_auth_methods_supported is {methods!r}, expected it to hold {method!r}")
        grants = doc.get("grant_types_supported")
        if grants is not None:  # optional; when given it must hold both grants the flow uses
            for grant in ("authorization_code", "refresh_token"):
                check(grant in grants, f"grant_types_supported is {grants!r}, expected it to hold {grant!r}")
        print(f"    authorization_endpoint={doc['authorization_endpoint']} token_endpoint={doc['token_endpoint']}")
        return doc


def session(auth_method: str, pkce: bool) -> OAuth2Session:
    return OAuth2Session(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_endpoint_auth_method=auth_method,
        scope=SCOPE,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256" if pkce else None,
    )


def expect_invalid_grant(what: str, call: Any) -> None:
    try:
        token = call()
    except OAuthError as error:
        check(error.error == "invalid_grant", f"{what} was refused with {error.error!r} ({error.description}), expected 'invalid_grant'")
        return
    raise FlowError(f"{what} was accepted (a token came back: {sorted(token)}), expected invalid_grant")


def authorize(meta: dict[str, Any], auth_method: str, pkce: bool, email: str, password: str, *, screenshots: bool, last: bool) -> None:
    client = session(auth_method, pkce)
    verifier = generate_token(64) if pkce else None

    with step("build the authorization URL (authlib)"):
        url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
        query = parse_qs(urlsplit(url).query)
        check(query.get("response_type") == ["code"] and query.get("scope") == [SCOPE], f"unexpected authorization URL {url}")
        check(("code_challenge" in query) == pkce, f"code_challenge in the URL: {'code_challenge' in query}, PKCE: {pkce}")
        if pkce:
            check(query.get("code_challenge_method") == ["S256"], f"code_challenge_method is {query.get('code_challenge_method')}")

    with step("browser: register a new learner on the sign-in page, Allow on the consent page"):
        callback = browse(url, email, password, mode="register", decision="allow", screenshots=screenshots)

    with step("callback received code and the unchanged state"):
        check(single(callback, "error") is None, f"the callback got error={single(callback, 'error')!r} ({single(callback, 'error_description')!r})")
        check(single(callback, "state") == state, f"state came back as {single(callback, 'state')!r}, sent {state!r}")
        code = single(callback, "code")
        check(code, "the callback got no code")

    with step(f"exchange the code (authlib fetch_token, {auth_method}{', PKCE' if pkce else ''})"):
        extra = {"code_verifier": verifier} if pkce else {}
        callback_url = f"{REDIRECT_URI}?code={requests.utils.quote(code, safe='')}&state={requests.utils.quote(state, safe='')}"
        token = client.fetch_token(meta["token_endpoint"], authorization_response=callback_url, state=state, **extra)
        check(token.get("access_token"), f"no access_token in {sorted(token)}")
        check(str(token.get("token_type", "")).lower() == "bearer", f"token_type is {token.get('token_type')!r}, expected bearer")
        check(isinstance(token.get("expires_in"), int) and token["expires_in"] > 0, f"expires_in is {token.get('expires_in')!r}")
        check(token.get("refresh_token"), f"no refresh_token in {sorted(token)}")
        check(token.get("scope") == SCOPE, f"scope is {token.get('scope')!r}, expected {SCOPE!r}")
        first = dict(token)

    with step(f"GET /api/v1/chapters/{CHAPTER} with the access token"):
        chapter = expect(client.get(f"{BASE_URL}/api/v1/chapters/{CHAPTER}", timeout=TIMEOUT), 200, "the chapter")
        check(isinstance(chapter.get("content"), str) and chapter["content"].strip(), "the chapter has no content")

    with step("PUT /api/v1/progress/me: chapter 1 complete"):
        progress = expect(
            client.put(f"{BASE_URL}/api/v1/progress/me", json={"chapter_id": CHAPTER, "completed": True}, timeout=TIMEOUT),
            200,
            "the progress update",
        )
        check((progress.get("completed_count") or 0) >= 1, f"completed_count is {progress.get('completed_count')!r}, expected >= 1")

    with step("GET /api/v1/me: the learner the browser created"):
        me = expect(client.get(f"{BASE_URL}/api/v1/me", timeout=TIMEOUT), 200, "/api/v1/me")
        check(str(me.get("email", "")).lower() == email.lower(), f"/me is {me.get('email')!r}, expected {email!r}")
        check(me.get("timezone") == TIMEZONE, f"/me's timezone is {me.get('timezone')!r}, expected the browser's {TIMEZONE!r}")

    with step("refresh the token (authlib refresh_token): rotation"):
        refreshed = client.refresh_token(meta["token_endpoint"])
        check(refreshed.get("access_token"), f"no access_token after refreshing: {sorted(refreshed)}")
        check(str(refreshed.get("token_type", "")).lower() == "bearer", f"token_type is {refreshed.get('token_type')!r} after refreshing")
        check(refreshed.get("refresh_token"), "no refresh_token after refreshing")
        check(refreshed["refresh_token"] != first["refresh_token"], "the refresh token did not change (no rotation)")

    with step("the refreshed access token works"):
        me = expect(client.get(f"{BASE_URL}/api/v1/me", timeout=TIMEOUT), 200, "/api/v1/me with the refreshed token")
        check(str(me.get("email", "")).lower() == email.lower(), f"/me is {me.get('email')!r} with the refreshed token")
        progress = expect(client.get(f"{BASE_URL}/api/v1/progress/me", timeout=TIMEOUT), 200, "GET /api/v1/progress/me")
        check((progress.get("completed_count") or 0) >= 1, f"completed_count is {progress.get('completed_count')!r} with the refreshed token")

    with step("the used code is refused (invalid_grant)"):
        again = session(auth_method, pkce)
        expect_invalid_grant(
            "a second exchange of the same code",
            lambda: again.fetch_token(meta["token_endpoint"], grant_type="authorization_code", code=code, **extra),
        )

    with step("the rotated-out refresh token is refused (invalid_grant)"):
        old = session(auth_method, pkce)
        expect_invalid_grant("refreshing with the first refresh token", lambda: old.refresh_token(meta["token_endpoint"], refresh_token=first["refresh_token"]))

    if last:
        with step("revoke the refresh token (authlib revoke_token), then it is refused"):
            current = client.token["refresh_token"]
            response = client.revoke_token(meta["revocation_endpoint"], token=current, token_type_hint="refresh_token")
            check(response.status_code == 200, f"the revocation endpoint answered {response.status_code}: {response.text[:300]!r}")
            expect_invalid_grant("refreshing with the revoked refresh token", lambda: session(auth_method, pkce).refresh_token(meta["token_endpoint"], refresh_token=current))


def sign_in(meta: dict[str, Any], email: str, password: str) -> None:
    client = session("client_secret_basic", True)
    verifier = generate_token(64)
    with step("build the authorization URL (authlib)"):
        url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    with step("browser: sign in with the sign-in form (consent remembered or Allow)"):
        callback = browse(url, email, password, mode="signin", decision="allow", screenshots=False, consent="optional")
    with step("callback received code and the unchanged state"):
        check(single(callback, "error") is None, f"the callback got error={single(callback, 'error')!r} ({single(callback, 'error_description')!r})")
        check(single(callback, "state") == state, f"state came back as {single(callback, 'state')!r}, sent {state!r}")
        code = single(callback, "code")
        check(code, "the callback got no code")
    with step("exchange the code (authlib fetch_token, client_secret_basic, PKCE)"):
        client.fetch_token(meta["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=verifier)
    with step("GET /api/v1/me: the learner who signed in, chapter 1 still complete"):
        me = expect(client.get(f"{BASE_URL}/api/v1/me", timeout=TIMEOUT), 200, "/api/v1/me")
        check(str(me.get("email", "")).lower() == email.lower(), f"/me is {me.get('email')!r}, expected {email!r}")
        progress = expect(client.get(f"{BASE_URL}/api/v1/progress/me", timeout=TIMEOUT), 200, "GET /api/v1/progress/me")
        check((progress.get("completed_count") or 0) >= 1, f"completed_count is {progress.get('completed_count')!r}, expected >= 1")


def deny(meta: dict[str, Any], email: str, password: str) -> None:
    client = session("client_secret_basic", True)
    with step("build the authorization URL (authlib)"):
        url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(64))
    with step("browser: register a new learner, Deny on the consent page"):
        callback = browse(url, email, password, mode="register", decision="deny", screenshots=False)
    with step("callback received error=access_denied and the unchanged state, no code"):
        check(single(callback, "error") == "access_denied", f"error is {single(callback, 'error')!r}, expected 'access_denied'")
        check(single(callback, "state") == state, f"state came back as {single(callback, 'state')!r}, sent {state!r}")
        check(single(callback, "code") is None, "a code came back although the learner clicked Deny")


def new_learner(number: int, tag: str) -> tuple[str, str]:
    """A unique email and a password the server accepts (letters and digits, 8-72 bytes)."""
    return f"oauth-{number}-{tag}@example.com", f"Pw{uuid.uuid4().hex[:14]}9"


def main() -> None:
    global _run
    meta = metadata()
    tag = uuid.uuid4().hex[:12]
    learners = []
    runs = [("client_secret_basic", True), ("client_secret_post", False)]
    for index, (auth_method, pkce) in enumerate(runs):
        _run = f"{auth_method}{' + PKCE S256' if pkce else ''}"
        print(f"==> run: {_run}", flush=True)
        learners.append(new_learner(index + 1, tag))
        authorize(meta, auth_method, pkce, *learners[-1], screenshots=index == 0, last=index == len(runs) - 1)
    _run = "sign-in"
    print(f"==> run: {_run} (the first learner again, with the sign-in form)", flush=True)
    sign_in(meta, *learners[0])
    _run = "deny"
    print(f"==> run: {_run}", flush=True)
    deny(meta, *new_learner(len(runs) + 1, tag))
    print(f"ok  {len(runs)} authorization-code runs ({', '.join(m for m, _ in runs)}; PKCE on the first), a sign-in and a Deny")


if __name__ == "__main__":
    main()
