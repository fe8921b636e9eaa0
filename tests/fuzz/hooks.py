"""schemathesis hooks for scripts/check-fuzz.sh (loaded through SCHEMATHESIS_HOOKS)."""

import schemathesis

# bcrypt reads at most 72 bytes, so a password is 8-72 *bytes* (longer is refused, not
# truncated). JSON Schema's maxLength counts characters and nothing in it can count UTF-8
# bytes, so the document says 72 characters and states the byte limit in the description.
# Passwords over 72 bytes are therefore left out of what the fuzzer generates; the server's
# answer to them (422) has its own test (the_length_limit_counts_bytes_not_characters).
PASSWORD_MAX_BYTES = 72


@schemathesis.hook.apply_to(operation_id="register")
def filter_body(context, body):
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(password, str):
        return True
    return len(password.encode("utf-8", "surrogatepass")) <= PASSWORD_MAX_BYTES
