"""The drug the policy covers (generic and brand names)."""

from __future__ import annotations

import re

from ...model.policy import (
    Drug,
)
from .draft import Draft

_PAIR = re.compile(r"\b([A-Za-z][\w-]*-[a-z]{4})\s*\(([A-Z][A-Za-z]+)®?\)")
_PAIR_REV = re.compile(r"\b([A-Z][A-Za-z]+)®?\s*\(([a-z][\w-]*-[a-z]{4})\)", re.I)


def drug(d: Draft) -> None:
    name = d.policy.name or ""
    m = re.match(r"^\s*([\w-]+(?:\s[\w-]+){0,2})\s*\(([A-Z][a-z][\w-]*)®?\)\s*$", name)
    brand = m.group(2).strip() if m else None
    header_generic = m.group(1).strip() if m else None
    body = "\n".join(b.text for b in d.raw.blocks if b.text)
    candidates: list[str] = []
    for pm in _PAIR.finditer(body):
        if brand is None or pm.group(2).lower() == brand.lower():
            candidates.append(pm.group(1))
    for pm in _PAIR_REV.finditer(body):
        if brand is None or pm.group(1).lower() == brand.lower():
            candidates.append(pm.group(2))
    if header_generic:
        candidates += [v.split("(")[0].strip() for v in d.policy.name_variants]
    if not candidates:
        d.policy.drug = Drug(brand=brand, generic=header_generic)
        return
    low = body.lower()

    def score(c: str) -> int:
        stem = c.lower().split("-")[0]
        return len(re.findall(rf"\b{re.escape(stem)}\b", low))

    order = list(dict.fromkeys(c.lower() for c in candidates))
    generic = max(order, key=lambda c: (score(c), -order.index(c)))
    if brand is None:
        pm2 = _PAIR.search(body)
        brand = pm2.group(2) if pm2 else None
    d.policy.drug = Drug(brand=brand, generic=generic)
    if header_generic and header_generic.lower() != generic:
        d.warn(
            "header_name_mismatch",
            f"the page header names the drug '{header_generic}' but the body text calls it "
            f"'{generic}'",
        )
