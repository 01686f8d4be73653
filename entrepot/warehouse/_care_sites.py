"""The care-site hierarchy (CHU > hôpital > pôle > service > unité).

OMOP CDM v5.4 keeps no parent in `care_site`: the hierarchy is in
`fact_relationship`, as the CDM's documentation of `care_site` says, between
facts of the care-site domain (concept 57) with "Care Site is part of Care
Site" (46233688, child to parent; its reverse 46233689 is not needed). A
care site's level (hôpital, service, unité...) is its
`place_of_service_source_value`. Units are the care sites with nothing
under them; a warehouse without relationships is a flat list of units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from entrepot.errors import NotFoundError
from entrepot.warehouse.vocabulary._standard import CARE_SITE, CARE_SITE_PART_OF


@dataclass(frozen=True)
class CareSite:
    care_site_id: int
    name: str  # care_site_name
    short_name: str | None  # care_site_source_value
    level: str | None  # place_of_service_source_value
    parent: int | None


@dataclass(frozen=True)
class CareSiteTree:
    """Every care site and its parent, read once."""

    sites: dict[int, CareSite]

    def children(self, node: int) -> list[int]:
        return sorted(i for i, s in self.sites.items() if s.parent == node)

    def below(self, node: int) -> frozenset[int]:
        """The care site and every one under it."""
        found, todo = set(), [node]
        while todo:
            n = todo.pop()
            if n not in found:
                found.add(n)
                todo.extend(self.children(n))
        return frozenset(found)

    def units(self, node: int) -> list[int]:
        """The units (care sites with nothing under them) under `node`, or
        `node` itself when it is a unit."""
        return sorted(n for n in self.below(node) if not self.children(n))

    def resolve(self, names: Iterable[str | int]) -> list[int]:
        """Care-site ids of ids, short names or names (case ignored);
        NotFoundError for one that names no care site or several."""
        out = []
        for name in names:
            text = str(name).strip()
            if text.isdigit() and int(text) in self.sites:
                out.append(int(text))
                continue
            hits = [
                i
                for i, s in self.sites.items()
                if text.casefold()
                in (s.name.casefold(), (s.short_name or "").casefold())
            ]
            if len(hits) != 1:
                how = "no" if not hits else f"{len(hits)}"
                raise NotFoundError(
                    f"care site {text!r}: {how} care sites of that name"
                )
            out.append(hits[0])
        return sorted(set(out))

    def path(self, node: int) -> list[int]:
        """The node's ancestors from the root, and the node."""
        out = [node]
        while (parent := self.sites[out[0]].parent) is not None and parent not in out:
            out.insert(0, parent)
        return out

    def listing(self) -> list[dict]:
        """The tree depth first: id, name, level, depth, parent, units under it."""
        rows: list[dict] = []

        def visit(node: int, depth: int) -> None:
            s = self.sites[node]
            rows.append(
                {
                    "care_site_id": node,
                    "name": s.short_name or s.name,
                    "level": s.level,
                    "depth": depth,
                    "parent": s.parent,
                    "units": len(self.units(node)),
                }
            )
            for child in self.children(node):
                visit(child, depth + 1)

        for root in sorted(i for i, s in self.sites.items() if s.parent is None):
            visit(root, 0)
        return rows


def care_site_tree(wh) -> CareSiteTree:
    """The warehouse's care sites and their hierarchy (`fact_relationship`)."""
    parents: dict[int, int] = {}
    if wh.has_table("fact_relationship"):
        f = wh.table("fact_relationship")
        f = f.filter(
            (f.domain_concept_id_1 == CARE_SITE)
            & (f.domain_concept_id_2 == CARE_SITE)
            & (f.relationship_concept_id == CARE_SITE_PART_OF)
        )
        for r in f.select("fact_id_1", "fact_id_2").to_pyarrow().to_pylist():
            parents[int(r["fact_id_1"])] = int(r["fact_id_2"])
    sites = {}
    if wh.has_table("care_site"):
        columns = (
            "care_site_id",
            "care_site_name",
            "care_site_source_value",
            "place_of_service_source_value",
        )
        for r in wh.table("care_site").select(*columns).to_pyarrow().to_pylist():
            i = int(r["care_site_id"])
            sites[i] = CareSite(
                i,
                r["care_site_name"] or r["care_site_source_value"] or str(i),
                r["care_site_source_value"],
                r["place_of_service_source_value"],
                parents.get(i),
            )
    # a parent that is not a care site of the warehouse is no parent
    return CareSiteTree(
        {
            i: s if s.parent in sites else replace(s, parent=None)
            for i, s in sites.items()
        }
    )
