"""The SAT's CFDI schemas, compiled once, with the four huge catalogs checked as sets.

libxml2 checks an `xs:enumeration` facet by walking its list, and catCFDI's c_CodigoPostal
(95,777 values), c_ClaveProdServ (52,747), c_Colonia (9,999) and c_ClaveUnidad (2,418) made the
validation of one small CFDI cost about 2 ms. Those four types are compiled without their
enumerations (their `whiteSpace collapse` kept), and every attribute the schemas declare with one of
them is then checked against a frozenset: the same documents pass and the same fail, in
microseconds. Compiling refuses any use of those types it could not check that way (a type derived
from one, an attribute outside a named element), so no check is ever silently dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
NS_CATALOGS = "http://www.sat.gob.mx/sitio_internet/cfd/catalogos"
HUGE_CATALOGS = frozenset({"c_CodigoPostal", "c_ClaveProdServ", "c_Colonia", "c_ClaveUnidad"})
_CATALOG_FILE = "catalogos/catCFDI.xsd"


@dataclass(frozen=True)
class CatalogAttribute:
    element: str  # Clark notation: {namespace}LocalName
    attribute: str
    catalog: str


@dataclass(frozen=True)
class Violation:
    line: int | None
    message: str


class CfdiSchema:
    """`validate(root)` → None when valid, else the first violation (libxml2's, or a catalog's)."""

    def __init__(self, root: Path, schemas: Mapping[str, str]) -> None:
        catalog = etree.parse(str(root / _CATALOG_FILE))
        self._values = _strip_huge_enumerations(catalog)
        self._attributes = [a for relative in schemas.values() for a in _catalog_attributes(root / relative)]
        parser = etree.XMLParser()
        parser.resolvers.add(_CatalogResolver(etree.tostring(catalog)))
        wrapper = etree.Element(f"{{{XS}}}schema")
        for namespace, relative in schemas.items():
            etree.SubElement(wrapper, f"{{{XS}}}import", namespace=namespace, schemaLocation=(root / relative).as_uri())
        document = etree.fromstring(etree.tostring(wrapper), parser, base_url=(root / "schema.xsd").as_uri())
        self._schema = etree.XMLSchema(document)

    def validate(self, root: etree._Element) -> Violation | None:
        """Not thread-safe (the compiled schema keeps its error log): callers serialise."""
        if not self._schema.validate(root):
            error = self._schema.error_log[0]
            return Violation(error.line, error.message)
        for spec in self._attributes:
            for element in root.iter(spec.element):
                raw = element.get(spec.attribute)
                if raw is not None and " ".join(raw.split()) not in self._values[spec.catalog]:
                    return Violation(element.sourceline, (
                        f"Element '{element.tag}', attribute '{spec.attribute}': [facet 'enumeration'] "
                        f"The value '{raw}' is not an element of the set {spec.catalog}."))
        return None


class _CatalogResolver(etree.Resolver):
    """Serves the catalog schema without the huge enumerations wherever a schema imports it."""

    def __init__(self, light_catalog: bytes) -> None:
        super().__init__()
        self._light = light_catalog

    def resolve(self, system_url: str, public_id: str | None, context: object) -> object:
        if system_url.endswith(_CATALOG_FILE):
            return self.resolve_string(self._light, context, base_url=system_url)
        return None


def _strip_huge_enumerations(catalog: etree._ElementTree) -> dict[str, frozenset[str]]:
    values: dict[str, frozenset[str]] = {}
    for simple_type in catalog.getroot().iterchildren(f"{{{XS}}}simpleType"):
        name = simple_type.get("name")
        if name not in HUGE_CATALOGS:
            continue
        enumerations = list(simple_type.iter(f"{{{XS}}}enumeration"))
        values[name] = frozenset(e.get("value") or "" for e in enumerations)
        for enumeration in enumerations:
            enumeration.getparent().remove(enumeration)
    missing = HUGE_CATALOGS - values.keys()
    if missing:
        raise ValueError(f"catCFDI.xsd has no simpleType {sorted(missing)}")
    return values


def _catalog_attributes(xsd: Path) -> list[CatalogAttribute]:
    """Every attribute of `xsd` typed with a huge catalog, with the element that carries it."""
    tree = etree.parse(str(xsd))
    target = tree.getroot().get("targetNamespace", "")
    found = []
    for node in tree.iter(f"{{{XS}}}attribute", f"{{{XS}}}restriction", f"{{{XS}}}extension", f"{{{XS}}}list"):
        reference = node.get("type") or node.get("base") or node.get("itemType")
        catalog = _huge_catalog(node, reference)
        if catalog is None:
            continue
        element = next((a for a in node.iterancestors(f"{{{XS}}}element") if a.get("name")), None)
        if node.tag != f"{{{XS}}}attribute" or element is None:
            raise ValueError(f"{xsd.name}: {catalog} used where it cannot be checked as a set (line {node.sourceline})")
        found.append(CatalogAttribute(_clark(element, target), node.get("name") or "", catalog))
    return found


def _clark(element: etree._Element, target: str) -> str:
    """The name a declared element has in documents: global and qualified local ones carry the
    target namespace, unqualified local ones none."""
    top_level = element.getparent().tag == f"{{{XS}}}schema"
    form = element.get("form") or element.getroottree().getroot().get("elementFormDefault", "unqualified")
    return f"{{{target}}}{element.get('name')}" if top_level or form == "qualified" else str(element.get("name"))


def _huge_catalog(node: etree._Element, reference: str | None) -> str | None:
    if not reference or ":" not in reference:
        return None
    prefix, name = reference.split(":", 1)
    return name if node.nsmap.get(prefix) == NS_CATALOGS and name in HUGE_CATALOGS else None


def without_addenda(root: etree._Element, addenda_tag: str) -> etree._Element:
    """A copy of `root` without its Addenda (PACs do not validate it: free-form, outside the sello)."""
    if root.find(addenda_tag) is None:
        return root
    root = copy.deepcopy(root)
    root.remove(root.find(addenda_tag))
    return root
