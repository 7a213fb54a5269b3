"""Value parsers, with properties checked by hypothesis."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imagewarden.inventory.columns import ASSET_COLUMNS, header_key, is_ignored
from imagewarden.inventory.normalise import parse_asset_type
from imagewarden.inventory.services import parse_service_entry
from imagewarden.inventory.sites import site_slug
from imagewarden.inventory.values import (
    FALSE_WORDS,
    TRUE_WORDS,
    UNKNOWN_WORDS,
    ValueProblem,
    parse_ae_title,
    parse_bool,
    parse_date,
    parse_int,
    parse_ip_list,
)
from imagewarden.model import AssetType, Service, ServiceProtocol


def _any_case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )


_SPACE = st.sampled_from(["", " ", "  ", "\t"])


@given(st.sampled_from(sorted(TRUE_WORDS)).flatmap(_any_case), _SPACE, _SPACE)
def test_true_words_in_any_case(word: str, before: str, after: str) -> None:
    assert parse_bool(before + word + after) is True


@given(st.sampled_from(sorted(FALSE_WORDS)).flatmap(_any_case), _SPACE, _SPACE)
def test_false_words_in_any_case(word: str, before: str, after: str) -> None:
    assert parse_bool(before + word + after) is False


@given(st.sampled_from(sorted(UNKNOWN_WORDS)).flatmap(_any_case), _SPACE)
def test_unknown_is_never_no(word: str, space: str) -> None:
    assert parse_bool(word + space) is None


@given(st.text())
def test_any_text_is_a_bool_or_a_clear_problem(text: str) -> None:
    try:
        value = parse_bool(text)
    except ValueProblem as problem:
        assert problem.message.startswith("expected yes or no")
        assert text.strip().casefold() not in TRUE_WORDS | FALSE_WORDS | UNKNOWN_WORDS
    else:
        word = text.strip().casefold()
        expected = True if word in TRUE_WORDS else False if word in FALSE_WORDS else None
        assert value is expected


def test_json_booleans_and_numbers() -> None:
    assert parse_bool(True) is True and parse_bool(0) is False and parse_bool(None) is None
    with pytest.raises(ValueProblem):
        parse_bool(2)


_ADDRESSES = st.lists(st.ip_addresses(), min_size=1, max_size=6)
_SEPARATOR = st.sampled_from([";", ",", " ", "; ", " , ", "\t", "  "])


@given(_ADDRESSES, st.data())
def test_ip_lists_with_any_separators(
    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address], data: st.DataObject
) -> None:
    text = ""
    for index, address in enumerate(addresses):
        spelled = address.exploded if data.draw(st.booleans()) else str(address)
        text += (data.draw(_SEPARATOR) if index else "") + spelled
    expected = tuple(dict.fromkeys(str(a) for a in addresses))
    assert parse_ip_list(text) == expected
    assert parse_ip_list([text]) == expected


@given(st.text())
def test_any_text_is_an_ip_list_or_a_clear_problem(text: str) -> None:
    try:
        result = parse_ip_list(text)
    except ValueProblem as problem:
        assert problem.message.startswith("invalid IP address")
    else:
        for address in result:
            assert str(ipaddress.ip_address(address)) == address


@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_iso_dates_round_trip(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day


@given(st.text())
def test_any_text_is_a_date_or_a_clear_problem(text: str) -> None:
    try:
        parse_date(text)
    except ValueProblem as problem:
        assert "YYYY-MM-DD" in problem.hint or "month" in problem.hint


@given(st.text())
def test_any_text_is_a_number_or_a_clear_problem(text: str) -> None:
    try:
        number = parse_int(text)
    except ValueProblem as problem:
        assert problem.message.startswith("expected")
    else:
        assert number is None or number >= 0


@given(st.integers())
def test_integers(number: int) -> None:
    if number < 0:
        with pytest.raises(ValueProblem):
            parse_int(str(number))
    else:
        assert parse_int(str(number)) == parse_int(number) == number


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=16
    ).filter(lambda t: "\\" not in t)
)
def test_valid_ae_titles(title: str) -> None:
    assert parse_ae_title(f" {title} ") == title


@given(st.text())
def test_ae_titles_are_valid_or_refused(text: str) -> None:
    try:
        title = parse_ae_title(text)
    except ValueProblem:
        return
    assert 1 <= len(title) <= 16 and "\\" not in title and title.isascii()
    assert all(" " <= c <= "~" for c in title)


@given(st.text())
def test_site_slugs_are_ids(name: str) -> None:
    slug = site_slug(name)
    assert slug and all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in slug)
    assert not slug.startswith("-") and not slug.endswith("-")


@given(st.sampled_from([c.name for c in ASSET_COLUMNS.columns]), st.data())
def test_header_spellings_match(name: str, data: st.DataObject) -> None:
    spelled = "".join(
        data.draw(st.sampled_from([" ", "-", ".", "_"])) if c == "_" else c for c in name
    )
    case = data.draw(st.sampled_from(["upper", "title", "as is"]))
    spelled = (
        spelled.upper() if case == "upper" else spelled.title() if case == "title" else spelled
    )
    spelled = data.draw(_SPACE) + spelled + data.draw(_SPACE)
    column = ASSET_COLUMNS.resolve(spelled)
    assert column is not None and column.name == name


def test_header_key() -> None:
    assert header_key("\ufeff  IP-Address ") == "ip_address"
    assert header_key("Vendor  Remote..Access") == "vendor_remote_access"
    assert is_ignored("x_anything") and is_ignored("Notes") and is_ignored("note 2")
    assert not is_ignored("nothing")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CT", AssetType.CT),
        ("MRI", AssetType.MR),
        ("PET/CT", AssetType.PT),
        ("pet-ct", AssetType.PT),
        ("Cath Lab", AssetType.XA),
        ("DXA", AssetType.DEXA),
        ("Digital X-Ray", AssetType.DX),
        ("zero-footprint viewer", AssetType.VIEWER),
        ("Diagnostic Reading Workstation", AssetType.VIEWER),
        ("modality workstation", AssetType.ACQUISITION_WORKSTATION),
        ("AI Orchestrator", AssetType.AI_ORCHESTRATOR),
        ("SaaS", AssetType.CLOUD_SERVICE),
        ("VPN", AssetType.REMOTE_ACCESS),
        ("Mirth", AssetType.INTEGRATION_ENGINE),
        ("firewall", AssetType.NETWORK_DEVICE),
        ("integration_engine", AssetType.INTEGRATION_ENGINE),
        ("?", AssetType.UNKNOWN),
    ],
)
def test_asset_type_aliases(text: str, expected: AssetType) -> None:
    assert parse_asset_type(text) is expected


@pytest.mark.parametrize(
    ("entry", "service"),
    [
        ("dicom:104", Service(ServiceProtocol.DICOM, 104)),
        ("DICOM-TLS:2762", Service(ServiceProtocol.DICOM, 2762, tls=True)),
        ("dicom-web:443/tls", Service(ServiceProtocol.DICOMWEB, 443, tls=True)),
        ("qido:80/notls", Service(ServiceProtocol.DICOMWEB, 80, tls=False)),
        ("MLLP:2575", Service(ServiceProtocol.HL7, 2575)),
        ("cifs:445/noauth", Service(ServiceProtocol.SMB, 445, auth_required=False)),
        (
            "vnc:5900/internet/ADMIN",
            Service(ServiceProtocol.VNC, 5900, internet_exposed=True, admin_interface=True),
        ),
    ],
)
def test_service_entries(entry: str, service: Service) -> None:
    assert parse_service_entry(entry) == service


@pytest.mark.parametrize("text", ["--5", "+-1", "1e3", "١٢", "3.0", " 4 5"])
def test_malformed_numbers(text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_int(text)
