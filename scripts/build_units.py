#!/usr/bin/env python3
"""Build Huế's effective-dated administrative units from the maintained open data.

    python scripts/build_units.py            # downloads the pinned wheels with pip, writes the files
    python scripts/build_units.py --wheels DIR  # or reads wheels already in DIR

Writes ``ioc/domain/data/hue_units.csv`` and ``ioc/domain/data/hue_conversion.csv``. Inputs,
pinned in ``requirements-data.txt`` (read as wheels, never imported, so two versions of
vietnam-provinces can be read side by side):

* ``vietnam-provinces==0.5.0`` (MIT): the GSO list in force before the 2024–2025 changes: Tỉnh
  Thừa Thiên Huế, 9 district-level units, 141 commune-level units;
* ``vietnamadminunits==1.0.4`` (MIT): the list in force just before 1 July 2025 (9 district-level
  units including Quận Phú Xuân and Quận Thuận Hóa, 133 communes, with positions), the 40 units
  from 1 July 2025 (code, position, area) and the official old → new conversion.

The dates come from the resolutions (one date per resolution, see ``RESOLUTIONS``): a unit that
a resolution changed gets a new version from its effective date; the previous version ends the
day before. District centroids of 2023 are domain.md §2's; those of 2025 the mean of their
communes' positions; the 8 communes dissolved on 2025-01-01 have no position in either source,
and 5 wards that the legacy list "positions" at their district's geocode or at another ward's
point (a geocoder's fallback) have theirs dropped: all are left empty, never invented.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "ioc" / "domain" / "data"
WHEELS = {"vietnam-provinces": "0.5.0", "vietnamadminunits": "1.0.4"}

PHONG_DIEN = date(2024, 11, 1)
CENTRAL_CITY = date(2025, 1, 1)
TWO_TIER = date(2025, 7, 1)
RESOLUTIONS = {
    PHONG_DIEN: "NQ 1206/NQ-UBTVQH15 (13/9/2024): thành lập thị xã Phong Điền và các phường; hiệu lực 01/11/2024",
    CENTRAL_CITY: "NQ 175/2024/QH15 (30/11/2024) thành lập thành phố Huế trực thuộc trung ương; "
                  "NQ 1314/NQ-UBTVQH15 (21/11/2024) sắp xếp ĐVHC cấp huyện, cấp xã (quận Phú Xuân, quận Thuận Hóa; "
                  "nhập huyện Nam Đông vào huyện Phú Lộc); hiệu lực 01/01/2025",
    TWO_TIER: "NQ 1675/NQ-UBTVQH15 (16/6/2025) sắp xếp các ĐVHC cấp xã của thành phố Huế năm 2025; "
              "Luật Tổ chức chính quyền địa phương 72/2025/QH15 (không còn cấp huyện); hiệu lực 01/07/2025",
}
REFS = {PHONG_DIEN: "NQ 1206/NQ-UBTVQH15", CENTRAL_CITY: "NQ 175/2024/QH15; NQ 1314/NQ-UBTVQH15",
        TWO_TIER: "NQ 1675/NQ-UBTVQH15; Luật 72/2025/QH15"}
BEFORE = "vietnam-provinces 0.5.0"
LEGACY = "vietnamadminunits 1.0.4 (legacy)"
CURRENT = "vietnamadminunits 1.0.4"
# domain.md §2: centroids of the district-level units of 2023 (the sources give none).
DISTRICT_CENTROIDS_2023 = {
    "474": (16.47, 107.59), "479": (16.33, 107.65), "480": (16.42, 107.45), "476": (16.50, 107.30),
    "477": (16.58, 107.50), "478": (16.47, 107.71), "482": (16.28, 107.90), "481": (16.22, 107.22),
    "483": (16.12, 107.68),
}  # fmt: skip
KINDS = ("Thành phố", "Thị xã", "Thị trấn", "Huyện", "Quận", "Phường", "Xã", "Tỉnh")
FIELDS = ("code", "valid_from", "valid_to", "level", "kind", "name", "short_name", "parent_code", "lat", "lon",
          "area_km2", "source")


def kind_of(name: str) -> str:
    return next((k for k in KINDS if name.startswith(k + " ")), "")


def short(name: str) -> str:
    kind = kind_of(name)
    return name[len(kind) + 1:] if kind else name


def same_name(a: str, b: str) -> bool:
    """Equal but for the old tone placement ("Thuỷ" / "Thủy")."""
    def norm(s: str) -> str:
        return unicodedata.normalize("NFC", s).replace("uỷ", "ủy").replace("Uỷ", "Ủy")
    return norm(a) == norm(b)


def fetch_wheels(folder: Path) -> None:
    specs = [f"{name}=={version}" for name, version in WHEELS.items()]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder), *specs], check=True)


def wheel(folder: Path, name: str) -> zipfile.ZipFile:
    stem = name.replace("-", "_")
    matches = sorted(folder.glob(f"{stem}-{WHEELS[name]}-*.whl"))
    if not matches:
        raise SystemExit(f"{folder}: no wheel {stem}-{WHEELS[name]}-*.whl")
    return zipfile.ZipFile(matches[0])


def row(code: str, name: str, level: str, parent: str, start: date | None, end: date | None, source: str,
        lat: float | None = None, lon: float | None = None, area: float | None = None, short_name: str = "") -> dict:
    return {"code": code, "valid_from": start.isoformat() if start else "", "valid_to": end.isoformat() if end else "",
            "level": level, "kind": kind_of(name), "name": name, "short_name": short_name or short(name),
            "parent_code": parent, "lat": "" if lat is None else round(lat, 5), "lon": "" if lon is None else round(lon, 5),
            "area_km2": "" if area is None else area, "source": source}


def build(folder: Path) -> tuple[list[dict], list[dict]]:
    with wheel(folder, "vietnam-provinces") as z:
        nested = json.loads(z.read("vietnam_provinces/data/nested-divisions.json"))
    province = next(p for p in nested if p["code"] == 46)
    before_districts = {str(d["code"]): d["name"] for d in province["districts"]}
    before = {str(w["code"]): (w["name"], str(d["code"])) for d in province["districts"] for w in d["wards"]}

    with wheel(folder, "vietnamadminunits") as z, tempfile.NamedTemporaryFile(suffix=".db") as tmp:
        tmp.write(z.read("vietnamadminunits/data/dataset.db"))
        tmp.flush()
        conversion = json.loads(z.read("vietnamadminunits/data/converter_2025.json"))
        db = sqlite3.connect(tmp.name)
        legacy_rows = db.execute(
            "SELECT wardCode, ward, wardShort, districtCode, district, wardLat, wardLon, provinceKey, districtKey, wardKey "
            "FROM admin_units_legacy WHERE provinceCode = '46'").fetchall()
        db_district_points = db.execute(
            "SELECT DISTINCT districtCode, '', '', '', '', districtLat, districtLon FROM admin_units_legacy "
            "WHERE provinceCode = '46'").fetchall()
        current_rows = db.execute(
            "SELECT wardCode, ward, wardShort, wardLat, wardLon, wardAreaKm2, wardKey, provinceLat, provinceLon "
            "FROM admin_units WHERE provinceCode = '46' ORDER BY wardCode").fetchall()
        db.close()

    # A ward "positioned" at its district's geocode, or at the same point as another ward, was not
    # found by the source's geocoder: its position is dropped rather than trusted.
    from collections import Counter

    district_points = {(r[5], r[6]) for r in db_district_points}
    shared = Counter((r[5], r[6]) for r in legacy_rows)
    legacy_rows = [r if (r[5], r[6]) not in district_points and shared[(r[5], r[6])] == 1
                   else (*r[:5], None, None, *r[7:]) for r in legacy_rows]
    legacy = {r[0]: r for r in legacy_rows}
    legacy_districts = {r[3]: r[4] for r in legacy_rows}
    prov_lat, prov_lon = current_rows[0][7], current_rows[0][8]
    day_before = {d: d - timedelta(days=1) for d in (PHONG_DIEN, CENTRAL_CITY, TWO_TIER)}
    units: list[dict] = [
        row("46", "Tỉnh Thừa Thiên Huế", "province", "", None, day_before[CENTRAL_CITY], BEFORE, prov_lat, prov_lon),
        row("46", "Thành phố Huế", "province", "", CENTRAL_CITY, None, REFS[CENTRAL_CITY], prov_lat, prov_lon),
    ]
    # District level.
    for code, name in sorted(before_districts.items()):
        lat, lon = DISTRICT_CENTROIDS_2023[code]
        later = legacy_districts.get(code)
        if later is not None and same_name(later, name):
            units.append(row(code, name, "district", "46", None, day_before[TWO_TIER], BEFORE, lat, lon))
            continue
        change = PHONG_DIEN if code == "476" else CENTRAL_CITY
        units.append(row(code, name, "district", "46", None, day_before[change], BEFORE, lat, lon))
    for code, name in sorted(legacy_districts.items()):
        if code in before_districts and same_name(before_districts[code], name):
            continue
        pts = [(r[5], r[6]) for r in legacy_rows if r[3] == code and r[5] is not None]
        lat, lon = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
        change = PHONG_DIEN if code == "476" else CENTRAL_CITY
        units.append(row(code, name, "district", "46", change, day_before[TWO_TIER], REFS[change], lat, lon))
    # Commune level before 1 July 2025.
    for code in sorted(set(before) | set(legacy)):
        old = before.get(code)
        new = legacy.get(code)
        pos = (new[5], new[6]) if new else (None, None)
        if old and new and same_name(old[0], new[1]) and old[1] == new[3]:
            units.append(row(code, new[1], "commune", new[3], None, day_before[TWO_TIER], LEGACY, *pos))
            continue
        change = PHONG_DIEN if (old and old[1] == "476") or (new and new[3] == "476") else CENTRAL_CITY
        if old:
            units.append(row(code, old[0], "commune", old[1], None, day_before[change], BEFORE, *pos))
        if new:
            units.append(row(code, new[1], "commune", new[3], change if old else None, day_before[TWO_TIER],
                             REFS[change] if old else LEGACY, *pos))
    # The 40 communes from 1 July 2025.
    for code, name, short_name, lat, lon, area, _key, _plat, _plon in current_rows:
        units.append(row(code, name, "commune", "46", TWO_TIER, None, REFS[TWO_TIER], lat, lon, area, short_name))

    # The official conversion (old key "province_district_ward" → new ward key).
    by_key = {f"{r[7]}_{r[8]}_{r[9]}": r[0] for r in legacy_rows}
    new_by_key = {r[6]: r[0] for r in current_rows}
    pairs: list[dict] = []
    for new_key, olds in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"]["thanhphohue"].items():
        for old_key in olds:
            pairs.append({"old_code": by_key[old_key], "new_code": new_by_key[new_key], "is_default": 1})
    for old_key, candidates in conversion["DICT_PROVINCE_WARD_DIVIDED"].get("thanhphohue", {}).items():
        for c in candidates:
            pairs.append({"old_code": by_key[old_key], "new_code": new_by_key[c["newWardKey"]],
                          "is_default": int(bool(c["isDefaultNewWard"]))})
    pairs.sort(key=lambda p: (p["old_code"], -p["is_default"], p["new_code"]))
    return units, pairs


HEADER = """# Huế's administrative units, effective-dated (built by scripts/build_units.py; do not edit by hand,
# edit the script or override the units table of a deployment).
# valid_from empty: in force before the data's coverage (2023); valid_to empty: in force today; both inclusive.
# Sources (MIT): {before} (GSO list before the 2024 changes); {legacy} (list in force on 2025-06-30,
# with positions); {current} (the 40 units from 2025-07-01: code, position, area).
# A version changed by a resolution cites it in `source`:
{resolutions}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="a folder holding the pinned wheels (default: pip download)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.wheels or Path(tmp)
        if args.wheels is None:
            fetch_wheels(folder)
        units, pairs = build(folder)
    OUT.mkdir(parents=True, exist_ok=True)
    resolutions = "\n".join(f"#   {d.isoformat()}: {text}" for d, text in RESOLUTIONS.items())
    with (OUT / "hue_units.csv").open("w", newline="", encoding="utf-8") as f:
        f.write(HEADER.format(before=BEFORE, legacy=LEGACY, current=CURRENT, resolutions=resolutions))
        writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(units)
    with (OUT / "hue_conversion.csv").open("w", newline="", encoding="utf-8") as f:
        f.write("# Official conversion of Huế's communes in force on 2025-06-30 to those from 2025-07-01\n"
                f"# ({CURRENT}, converter_2025.json; {RESOLUTIONS[TWO_TIER]}).\n"
                "# is_default: the main successor of a divided ward (1 for an undivided one).\n")
        writer = csv.DictWriter(f, ("old_code", "new_code", "is_default"), lineterminator="\n")
        writer.writeheader()
        writer.writerows(pairs)
    print(f"{len(units)} unit versions, {len(pairs)} conversion rows → {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
