"""Write desired users as a version 1 manifest (YAML text), for `mfasync import` and `export`.

The text is written by hand rather than by `yaml.dump`: the key order is fixed, strings are quoted
only where YAML would misread them (`auth0|x`, `+1415...`, `yes`), and a 100,000-user export stays
fast. What it must not do: write a TOTP seed. A totp method is written as its reference only; one
without a reference is refused (manifests the tool writes hold no secret).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from mfasync import models

# A plain scalar stays unquoted only when it cannot be read back as anything else: it starts with a
# letter, holds no character YAML gives a meaning to, and is not one of YAML 1.1's booleans/nulls.
_PLAIN_SAFE = re.compile(r"[A-Za-z][A-Za-z0-9_.@/-]*(?: [A-Za-z0-9_.@/-]+)*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})
# Characters a YAML double-quoted scalar must escape beyond JSON's: non-printables and line breaks.
_YAML_UNSAFE = re.compile("[\x7f-\x84\x86-\x9f\x85\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def quote(text: str) -> str:
    """`text` as a YAML scalar that reads back as exactly this string."""
    if _PLAIN_SAFE.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _method_lines(method: models.DesiredMethod) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = [("type", method.type.value)]
    if method.id is not None:
        fields.append(("id", method.id))
    if method.name is not None:
        fields.append(("name", method.name))
    if method.pinned:
        return fields  # a pinned method is type + id (+ name): its value stays what it is live
    if method.type is models.MethodType.PHONE:
        if method.phone_number is not None:
            fields.append(("phone_number", method.phone_number))
        preferred = method.preferred_authentication_method
        if preferred is not None and preferred is not models.PreferredMethod.SMS:
            fields.append(("preferred_authentication_method", preferred.value))
    elif method.type is models.MethodType.EMAIL:
        if method.email is not None:
            fields.append(("email", method.email))
    elif method.type is models.MethodType.TOTP:
        secret = method.totp_secret
        if secret is None or secret.reference is None:
            raise ValueError(
                "a totp method without a secret reference cannot be written: manifests written by "
                "mfasync hold no secret (give it a ${env:...} or ${file:...} reference)"
            )
        fields.append(("totp_secret", secret.reference))
    else:
        for name in ("key_id", "public_key", "relying_party_identifier"):
            value = getattr(method, name)
            if value is not None:
                fields.append((name, value))
    return fields


def dump_users(users: Sequence[models.DesiredUser], *, comment: str | None = None) -> str:
    """YAML text of a version 1 manifest declaring `users` (in the order given).

    Raises ValueError for a totp method that has no reference (the tool never writes a seed).
    """
    out: list[str] = []
    if comment:
        out.extend(f"# {line}".rstrip() for line in comment.splitlines())
    out.append("version: 1")
    if not users:
        out.append("users: []")
        return "\n".join(out) + "\n"
    out.append("users:")
    for user in users:
        if user.user_id is not None:
            out.append(f"  - user_id: {quote(user.user_id)}")
        else:
            out.append(f"  - email: {quote(user.email or '')}")
        if user.prune is not models.Prune.MANAGED:
            out.append(f"    prune: {user.prune.value}")
        if user.ignore:
            ignored = ", ".join(sorted(field.value for field in user.ignore))
            out.append(f"    ignore: [{ignored}]")
        if not user.methods:
            out.append("    methods: []")
            continue
        out.append("    methods:")
        for method in user.methods:
            for index, (key, value) in enumerate(_method_lines(method)):
                lead = "      - " if index == 0 else "        "
                out.append(f"{lead}{key}: {quote(value)}")
    return "\n".join(out) + "\n"
