"""nmap XML scans: real scans of real peers, matched to the inventory; hostile files refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imagewarden.app import open_store
from imagewarden.inventory.nmap import read_nmap
from imagewarden.model import ServiceProtocol, SubjectKind, UserInputError
from imagewarden.readers.limits import LimitExceeded
from tests.cli_runner import expect
from tests.factories import asset, inventory

SCAN_IN_NAMESPACE = """
import subprocess, sys
from pynetdicom import AE
from pynetdicom.sop_class import Verification
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
ae = AE(ae_title="ANYSCP")
ae.add_supported_context(Verification)
ae.require_called_aet = False
server = ae.start_server(("127.0.0.1", 104), block=False)
try:
    subprocess.run(["nmap", "-Pn", "-n", "-p", "104", "--script", "dicom-ping",
                    "-oX", sys.argv[1], "127.0.0.1"], check=True, capture_output=True, timeout=120)
finally:
    server.shutdown()
"""


@pytest.mark.integration
def test_a_real_nmap_scan_of_a_dicom_peer_lands_on_the_inventory_asset(tmp_path: Path) -> None:
    if shutil.which("nmap") is None:
        pytest.fail("nmap is installed by scripts/system-deps test")
    scan = tmp_path / "scan.xml"
    # The peer listens on DICOM's port 104 inside a private network namespace: never on the
    # machine's own network, and nmap's dicom-ping script runs on that well-known port.
    subprocess.run(
        ["unshare", "-n", sys.executable, "-c", SCAN_IN_NAMESPACE, str(scan)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    parsed = read_nmap(scan)
    (host,) = parsed.hosts
    (port,) = host.ports
    assert (port.port, port.protocol) == (104, ServiceProtocol.DICOM)
    assert port.dicom_any_called_ae is True

    db = tmp_path / "iw.db"
    with open_store(str(db), create=True) as store:
        store.save_inventory(inventory(asset("PACS-1", ip_addresses=("127.0.0.1",))))
    ran = expect(0, "import", "nmap", scan, db=db)
    assert "1 in the inventory, 0 new unmanaged" in ran.stderr
    with open_store(str(db)) as store:
        (pacs,) = store.assets()
        ports = {(s.protocol, s.port) for s in pacs.services}
        facts = {
            o.name: o.value
            for o in store.observations(subject_kind=SubjectKind.SERVICE)
            if o.subject_id == "PACS-1:dicom/104"
        }
    assert (ServiceProtocol.DICOM, 104) in ports
    assert facts["dicom.accepts_any_called_ae"] is True
    expect(0, "assess", db=db)
    listed = expect(0, "findings", "list", "--asset", "PACS-1", "--format", "json", db=db)
    assert "PACS-1:dicom/104" in listed.stdout


SCAN = """<?xml version="1.0"?>
<nmaprun scanner="nmap" args="nmap -sV -oX scan.xml 10.1.0.0/24">
<host><status state="up"/><address addr="10.1.0.9" addrtype="ipv4"/>
<hostnames><hostname name="ws-09.example.invalid"/></hostnames>
<ports><port protocol="tcp" portid="3389"><state state="open"/>
<service name="ms-wbt-server" product="Microsoft Terminal Services"/></port>
<port protocol="tcp" portid="443"><state state="open"/><service name="http" tunnel="ssl"
 product="nginx" version="1.18.0"/></port>
<port protocol="tcp" portid="22"><state state="closed"/><service name="ssh"/></port>
</ports></host>
<host><status state="down"/><address addr="10.1.0.10" addrtype="ipv4"/></host>
<host><status state="up"/><address addr="::ffff:10.1.0.5" addrtype="ipv6"/>
<ports><port protocol="tcp" portid="104"><state state="open"/><service name="dicom"/>
<script id="dicom-ping" output="x"><elem key="dicom">DICOM Service Provider discovered!</elem>
<elem key="config">Called AET check enabled</elem></script></port></ports></host>
</nmaprun>
"""


def test_unknown_hosts_become_unmanaged_and_known_ones_keep_their_record(tmp_path: Path) -> None:
    scan = tmp_path / "scan.xml"
    scan.write_text(SCAN, encoding="utf-8")
    db = tmp_path / "iw.db"
    with open_store(str(db), create=True) as store:
        store.save_inventory(
            inventory(asset("CT-1", name="CT scanner 1", ip_addresses=("10.1.0.5",)))
        )
    ran = expect(0, "import", "nmap", scan, db=db)
    assert "2 hosts up (1 in the inventory, 1 new unmanaged), 3 open services" in ran.stderr
    with open_store(str(db)) as store:
        assets = {a.id: a for a in store.assets()}
        ct = assets["CT-1"]
        assert ct.name == "CT scanner 1" and ct.managed
        assert (ServiceProtocol.DICOM, 104) in {(s.protocol, s.port) for s in ct.services}
        stranger = assets["discovered-10-1-0-9"]
        assert not stranger.managed and stranger.hostname == "ws-09.example.invalid"
        ports = {(s.protocol, s.port, s.tls) for s in stranger.services}
        assert ports == {(ServiceProtocol.RDP, 3389, None), (ServiceProtocol.HTTPS, 443, True)}
    # Importing the same scan again changes nothing.
    again = expect(0, "import", "nmap", scan, db=db)
    assert "0 new unmanaged" in again.stderr
    with open_store(str(db)) as store:
        assert len(store.assets()) == 2


def test_an_nmap_import_never_touches_other_facts(tmp_path: Path) -> None:
    scan = tmp_path / "scan.xml"
    scan.write_text(SCAN, encoding="utf-8")
    db = tmp_path / "iw.db"
    from tests.factories import fact

    with open_store(str(db), create=True) as store:
        store.save_inventory(
            inventory(
                asset("CT-1", ip_addresses=("10.1.0.5",)),
                observations=(fact("CT-1", "phi.stored", True),),
            )
        )
    expect(0, "import", "nmap", scan, db=db)
    with open_store(str(db)) as store:
        names = {o.name for o in store.observations() if o.subject_id == "CT-1"}
    assert "phi.stored" in names


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<?xml version='1.0'?><html><body/></html>", "not an nmap XML scan"),
        ("<nmaprun><host><status state='up'/>", "not well-formed XML"),
        (
            "<?xml version='1.0'?><!DOCTYPE n [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
            "<nmaprun>&x;</nmaprun>",
            "refused XML construct",
        ),
        ("", "not well-formed XML"),
    ],
)
def test_malformed_and_hostile_scans_are_refused(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserInputError, match=message) as raised:
        read_nmap(path)
    assert "bad.xml" in str(raised.value)


def test_deep_xml_is_refused_at_the_nesting_limit(tmp_path: Path) -> None:
    path = tmp_path / "deep.xml"
    path.write_text("<nmaprun>" + "<x>" * 5000 + "</x>" * 5000 + "</nmaprun>", encoding="utf-8")
    with pytest.raises(LimitExceeded, match="XML nesting"):
        read_nmap(path)


def test_a_failed_nmap_import_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    with open_store(str(db), create=True) as store:
        store.save_inventory(inventory(asset("CT-1")))
        before = store.counts()
    bad = tmp_path / "bad.xml"
    bad.write_text("<nmaprun><host>", encoding="utf-8")
    expect(2, "import", "nmap", bad, db=db)
    with open_store(str(db)) as store:
        assert store.counts() == before
