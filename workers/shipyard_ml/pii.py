"""PII scan of a dataset (rubric data-5): which columns hold personal data, and how many cells.

Detectors are maintained libraries, each confirming a cheap regular-expression candidate:

- e-mail addresses: ``email-validator`` (syntax only, no DNS lookup);
- phone numbers: ``phonenumbers`` (Google's libphonenumber) ``PhoneNumberMatcher``, valid numbers only;
- card numbers: 13-19 digits that pass the Luhn check (``stdnum.luhn``);
- national ids: ``python-stdnum`` validators with their check digits (US SSN in its dashed form, UK
  NHS number in its spaced form, Spanish DNI/NIE, Italian codice fiscale, Brazilian CPF, Indian Aadhaar, Dutch BSN in its
  dotted form, French NIR);
- bank accounts: IBAN with its mod-97 check (``stdnum.iban``);
- IP addresses: the standard library's ``ipaddress``;
- personal names: from the column name only (``first_name``, ``surname``, ...). Free-text name
  recognition needs a named-entity model (Presidio uses spaCy's, fetched separately), and nothing
  here may download a model at run time, so names inside free text are not detected.

Only counts and column names leave this module: matched values are never returned, logged or stored.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: the kinds of personal data the scan reports
KINDS = ("email", "phone", "card_number", "national_id", "iban", "ip_address", "person_name")

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_IP_CELL = re.compile(r"^[0-9A-Fa-f.:]+$")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]{7,20}[A-Za-z0-9]")
#: column names that say a column holds people's names
_NAME_COLUMN = re.compile(
    r"^(?:(?:customer|user|patient|client|person|contact|employee|account_holder|holder|cardholder)[_ ]?)?"
    r"(?:first|last|middle|given|family|full|sur|maiden|display)?[_ ]?name$|^surname$|^forename$",
    re.IGNORECASE,
)


def _national_id_validators() -> list[Callable[[str], bool]]:
    from stdnum.br import cpf
    from stdnum.es import dni, nie
    from stdnum.fr import nir
    from stdnum.gb import nhs
    from stdnum.in_ import aadhaar
    from stdnum.it import codicefiscale
    from stdnum.nl import bsn
    from stdnum.us import ssn

    dashed_ssn = re.compile(r"^\d{3}-\d{2}-\d{4}$")
    dotted_bsn = re.compile(r"^\d{4}\.\d{2}\.\d{3}$")
    formatted_cpf = re.compile(r"^\d{3}\.\d{3}\.\d{3}-\d{2}$")
    spaced_nhs = re.compile(r"^\d{3} \d{3} \d{4}$")
    dni_shape = re.compile(r"^[XYZxyz]?-?\d{7,8}-?[A-Za-z]$")
    return [
        lambda v: bool(dashed_ssn.match(v)) and ssn.is_valid(v),
        lambda v: bool(dotted_bsn.match(v)) and bsn.is_valid(v),
        lambda v: bool(formatted_cpf.match(v)) and cpf.is_valid(v),
        lambda v: bool(spaced_nhs.match(v)) and nhs.is_valid(v),
        lambda v: bool(dni_shape.match(v)) and (dni.is_valid(v) or nie.is_valid(v)),
        lambda v: len(v) == 16 and v[:6].isalpha() and codicefiscale.is_valid(v),
        lambda v: len(re.sub(r"\D", "", v)) == 12 and aadhaar.is_valid(v),
        lambda v: len(re.sub(r"\D", "", v)) == 15 and nir.is_valid(v),
    ]


class Detectors:
    """The value detectors, built once per scan (imports are lazy: the web process never needs them)."""

    def __init__(self, region: str = "US") -> None:
        import phonenumbers
        from email_validator import EmailNotValidError, validate_email
        from stdnum import iban, luhn

        self.region = region
        self._phonenumbers = phonenumbers
        self._validate_email, self._email_error = validate_email, EmailNotValidError
        self._luhn, self._iban = luhn, iban
        self._ids = _national_id_validators()

    def email(self, text: str) -> bool:
        for candidate in _EMAIL.findall(text):
            try:
                self._validate_email(candidate, check_deliverability=False)
                return True
            except self._email_error:
                continue
        return False

    def card_number(self, text: str) -> bool:
        for candidate in _CARD.findall(text):
            digits = re.sub(r"\D", "", candidate)
            if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and self._luhn.is_valid(digits):
                return True
        return False

    def phone(self, text: str) -> bool:
        if sum(c.isdigit() for c in text) < 7:
            return False
        matcher = self._phonenumbers.PhoneNumberMatcher(text, self.region, leniency=self._phonenumbers.Leniency.VALID)
        return matcher.has_next()

    def national_id(self, text: str) -> bool:
        for candidate in {text.strip(), *_TOKEN.findall(text)}:
            if 8 <= len(candidate) <= 22 and any(check(candidate) for check in self._ids):
                return True
        return False

    def iban(self, text: str) -> bool:
        return any(self._iban.is_valid(candidate) for candidate in _IBAN.findall(text.upper()))

    def ip_address(self, text: str) -> bool:
        for candidate in [*_IPV4.findall(text), *_IPV6.findall(text)]:
            try:
                ipaddress.ip_address(candidate)
                return True
            except ValueError:
                continue
        return False

    def kinds_in(self, text: str) -> list[str]:
        """The kinds found in one cell. A card number is not also reported as a phone number."""
        stripped = text.strip()
        if _IP_CELL.match(stripped) and self.ip_address(stripped):
            return ["ip_address"]  # a cell that is one address (the costly phone matcher is skipped)
        found = []
        if "@" in text and self.email(text):
            found.append("email")
        if self.card_number(text):
            found.append("card_number")
        elif self.iban(text):
            found.append("iban")
        elif self.national_id(text):
            found.append("national_id")
        elif self.phone(text):
            found.append("phone")
        if ("." in text or ":" in text) and self.ip_address(text):
            found.append("ip_address")
        return found


@dataclass
class ColumnFinding:
    column: str
    #: kind -> number of sampled cells where it was found (never the values)
    kinds: dict[str, int]
    #: how the kinds were found: "values" or "column name"
    by: str = "values"


@dataclass
class PiiScan:
    ok: bool
    message: str = ""
    rows: int = 0
    sampled_rows: int = 0
    columns_scanned: int = 0
    findings: list[ColumnFinding] = field(default_factory=list)
    detectors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DETECTORS = {
    "email": "email-validator (syntax, no DNS)",
    "phone": "phonenumbers (libphonenumber), valid numbers",
    "card_number": "13-19 digits passing the Luhn check (python-stdnum)",
    "national_id": "python-stdnum: US SSN, UK NHS number, ES DNI/NIE, IT codice fiscale, BR CPF, IN Aadhaar, NL BSN, FR NIR",
    "iban": "python-stdnum IBAN (mod 97)",
    "ip_address": "Python ipaddress (IPv4, IPv6)",
    "person_name": "column name only (no named-entity model is installed)",
}


def scan_values(values: Iterable[str], detectors: Detectors) -> dict[str, int]:
    """Cells of each kind; every distinct value is checked once."""
    counts: dict[str, int] = {}
    for value, times in Counter(values).items():
        for kind in detectors.kinds_in(value):
            counts[kind] = counts.get(kind, 0) + times
    return counts


def _as_text(column: Any) -> list[str]:
    """Non-null cells of a column as text; integers long enough to be card numbers or ids as digits."""
    import pandas as pd

    series = column.dropna()
    if pd.api.types.is_bool_dtype(series):
        return []
    if pd.api.types.is_integer_dtype(series):
        big = series[series.abs() >= 10**8]
        return [str(int(v)) for v in big]
    if pd.api.types.is_float_dtype(series):
        return []
    return [str(v) for v in series if str(v).strip()]


def scan_frame(frame: Any, *, region: str = "US", columns: Iterable[str] | None = None) -> list[ColumnFinding]:
    detectors = Detectors(region)
    findings = []
    wanted = list(columns) if columns is not None else [str(c) for c in frame.columns]
    for name in wanted:
        if name not in frame.columns:
            continue
        texts = _as_text(frame[name])
        counts = scan_values(texts, detectors)
        if counts:
            findings.append(ColumnFinding(column=name, kinds=counts, by="values"))
        elif _NAME_COLUMN.match(name) and texts and any(c.isalpha() for c in texts[0]):
            findings.append(ColumnFinding(column=name, kinds={"person_name": len(texts)}, by="column name"))
    return findings


def read_sample(path: Path, sample_rows: int, seed: int = 0) -> tuple[Any, int]:
    """Every row of a Parquet file when it has at most ``sample_rows``, else a seeded random sample,
    read one row group at a time (memory stays bounded by a row group plus the sample)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    rows = parquet.metadata.num_rows
    if rows <= sample_rows:
        return parquet.read().to_pandas(), rows
    keep = np.sort(np.random.default_rng(seed).choice(rows, size=sample_rows, replace=False))
    parts, offset = [], 0
    for group in range(parquet.num_row_groups):
        size = parquet.metadata.row_group(group).num_rows
        wanted = keep[(keep >= offset) & (keep < offset + size)] - offset
        if len(wanted):
            parts.append(parquet.read_row_group(group).take(pa.array(wanted)))
        offset += size
    return pa.concat_tables(parts).to_pandas(), rows


def scan_parquet(path: Path, *, sample_rows: int = 20_000, region: str = "US", seed: int = 0) -> PiiScan:
    """Scan up to ``sample_rows`` rows of a (normalised) Parquet file: every row when it has fewer,
    else a seeded random sample of them."""
    try:
        frame, rows = read_sample(path, sample_rows, seed)
    except (OSError, ValueError) as exc:
        return PiiScan(ok=False, message=f"cannot read the dataset: {str(exc)[:300]}")
    frame.columns = [str(c) for c in frame.columns]
    findings = scan_frame(frame, region=region)
    return PiiScan(
        ok=True,
        message="ok",
        rows=rows,
        sampled_rows=int(frame.shape[0]),
        columns_scanned=int(frame.shape[1]),
        findings=findings,
        detectors=dict(DETECTORS),
    )
