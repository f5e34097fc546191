"""Local and national signposting (SENDIASS, Local Offer, toolkit, IPSEA) as data.

A school or council points SIGNPOSTING_FILE at its own copy of knowledge/signposting.yml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.knowledge.store import Source

DEFAULT_FILE = PROJECT_ROOT / "knowledge" / "signposting.yml"


@dataclass(frozen=True)
class Service:
    name: str
    description: str
    url: str = ""
    phone: str = ""

    def one_line(self) -> str:
        parts = [self.name[0].upper() + self.name[1:]]
        if self.phone:
            parts.append(f"phone {self.phone}")
        if self.url:
            parts.append(self.url)
        return ", ".join(parts)


@dataclass(frozen=True)
class Signposting:
    sendiass: Service
    local_offer: Service
    toolkit: Service
    national: tuple[Source, ...]

    def sources(self) -> list[dict[str, str]]:
        local = [
            Source(title=service.name, ref=label, url=service.url)
            for label, service in (("SENDIASS", self.sendiass), ("Local Offer", self.local_offer), ("SEN support toolkit", self.toolkit))
            if service.url
        ]
        return [source.as_payload() for source in (*local, *self.national)]


def _service(data: dict) -> Service:
    return Service(
        name=str(data.get("name", "")).strip(),
        description=str(data.get("description", "")).strip(),
        url=str(data.get("url") or "").strip(),
        phone=str(data.get("phone") or "").strip(),
    )


@lru_cache(maxsize=4)
def load_signposting(path: Path | None = None) -> Signposting:
    path = path or Path(os.environ.get("SIGNPOSTING_FILE") or DEFAULT_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Signposting(
        sendiass=_service(data["sendiass"]),
        local_offer=_service(data["local_offer"]),
        toolkit=_service(data["toolkit"]),
        national=tuple(Source(item["title"], item["ref"], item["url"]) for item in data["national"]),
    )
