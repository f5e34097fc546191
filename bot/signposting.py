"""Local and national signposting (SENDIASS, Local Offer, toolkit, IPSEA) as data.

A school or council points SIGNPOSTING_FILE at its own copy of knowledge/signposting.yml.
A local service without its own `url` may give a `find_url`: a national page where a parent
finds their local one (used as the link until the local one is filled in).
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
COP_URL = "https://www.gov.uk/government/publications/send-code-of-practice-0-to-25"


@dataclass(frozen=True)
class Service:
    name: str
    description: str
    url: str = ""
    phone: str = ""
    find_url: str = ""  # where to find the local one, while `url` is not filled in

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

    @property
    def code_of_practice(self) -> Source:
        for source in self.national:
            if "code of practice" in f"{source.ref} {source.title}".lower():
                return source
        return Source(title="SEND code of practice: 0 to 25 years (GOV.UK)", ref="SEND Code of Practice 2015", url=COP_URL)

    def out_of_hours_sources(self) -> list[dict[str, str]]:
        """What a parent can read while the school is closed: the SEN support toolkit, the SEND
        Code of Practice and the local SENDIASS (local links, or where to find them)."""
        sources = [_local_source(self.toolkit, "SEN support toolkit"), self.code_of_practice, _local_source(self.sendiass, "SENDIASS")]
        return [source.as_payload() for source in sources if source is not None]


def _local_source(service: Service, label: str) -> Source | None:
    if service.url:
        return Source(title=service.name[:1].upper() + service.name[1:], ref=label, url=service.url)
    if service.find_url:
        return Source(title=f"Find {service.name}", ref=label, url=service.find_url)
    return None


def _service(data: dict) -> Service:
    return Service(
        name=str(data.get("name", "")).strip(),
        description=str(data.get("description", "")).strip(),
        url=str(data.get("url") or "").strip(),
        phone=str(data.get("phone") or "").strip(),
        find_url=str(data.get("find_url") or "").strip(),
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
