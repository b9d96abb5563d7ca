"""Two counties with the same township names and overlapping student ids, end to end.

The case worker is created before the first batch (the normal set-up order), through the
real CLI; a real server then answers on SQLite and on PostgreSQL. On the old store the
worker saw both counties' children and read the other county's child by id.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from serving.store import ScoreStore
from tests.e2e.live_server import live_server
from tests.serving.conftest import (  # noqa: F401 (fixtures)
    postgres_url,
    registry_template,
    store_url,
)
from tests.serving.serving_rows import AS_OF, county_rows

pytestmark = pytest.mark.slow
TOWNSHIPS = ("城关镇", "东镇")


def _county(county: str, seed: int) -> list[dict]:
    """A county whose townships and ids repeat the other's: ids S00000.., schools 0101.."""
    rows = county_rows(60, seed=seed)
    for row in rows:
        n = int(row["school_id"][3:])
        row["county"] = county
        row["township"] = TOWNSHIPS[n % 2]
        row["school_id"] = f"01{n % 4:02d}"
        row["name"] = f"{county}{row['student_id']}"
    return rows


def _schools_folder(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True)
    schools = sorted({(r["school_id"], r["county"], r["township"]) for r in rows})
    lines = ["school_id,name,county,township,level,rural,boarding"]
    lines += [f"{s},{c}{s},{c},{t},primary,true,false" for s, c, t in schools]
    (folder / "schools.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _cli(home: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home), "DROPOUT_RISK_DB": db}
    return subprocess.run(
        [sys.executable, "-m", "dropout_risk.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_township_worker_created_before_the_first_batch_sees_only_their_county(
    store_url: str,  # noqa: F811
    registry_template: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(registry_template / "mlflow.sqlite", home / "mlflow.sqlite")
    qingshan, lushui = _county("青山县", 1), _county("绿水县", 2)
    data_q = _schools_folder(tmp_path / "qingshan", qingshan)
    both = _schools_folder(tmp_path / "both", qingshan + lushui)

    add = ["users", "add", "--role", "caseworker"]
    made = _cli(
        home, store_url, *add, "周老师", "--scope", "township:城关镇", "--data", str(data_q)
    )
    assert made.returncode == 0, made.stderr
    assert "township:青山县/城关镇" in made.stderr
    worker = made.stdout.strip().splitlines()[-1]
    ambiguous = _cli(home, store_url, *add, "x", "--scope", "township:城关镇", "--data", str(both))
    assert ambiguous.returncode == 1 and "township:COUNTY/城关镇" in ambiguous.stderr
    assert "Traceback" not in ambiguous.stderr
    researcher = _cli(
        home, store_url, "users", "add", "研究员", "--role", "researcher", "--scope", "all"
    )
    everyone = researcher.stdout.strip().splitlines()[-1]

    store = ScoreStore.open(store_url)
    store.publish_batch(AS_OF, "1", qingshan + lushui)
    later = [{**r, "risk": min(1.0, r["risk"] * 2)} for r in lushui]
    store.publish_batch(AS_OF + dt.timedelta(days=30), "1", qingshan + later)
    store.close()

    mine = {r["student_id"]: r for r in qingshan if r["township"] == "城关镇"}
    only_there = {r["student_id"] for r in lushui} - {r["student_id"] for r in qingshan}
    shared = sorted(set(mine) & {r["student_id"] for r in lushui})
    assert shared, "the two counties must share ids for this test to mean anything"
    with live_server(home, DROPOUT_RISK_DB=store_url) as url:
        w = {"Authorization": f"Bearer {worker}"}
        r = {"Authorization": f"Bearer {everyone}"}
        listed = httpx.get(f"{url}/v1/watchlist?limit=500", headers=w).json()
        assert listed["total"] == len(mine)
        assert {s["county"] for s in listed["students"]} == {"青山县"}
        assert httpx.get(f"{url}/v1/me", headers=w).json()["counties"] == ["青山县"]
        assert sorted(httpx.get(f"{url}/v1/me", headers=r).json()["counties"]) == [
            "绿水县",
            "青山县",
        ]
        sid = shared[0]
        card = httpx.get(f"{url}/v1/students/{sid}", headers=w).json()
        assert card["name"] == mine[sid]["name"] and card["county"] == "青山县"
        foreign = httpx.get(f"{url}/v1/students/{sid}?county=绿水县", headers=w)
        missing = httpx.get(f"{url}/v1/students/NOPE?county=绿水县", headers=w)
        assert foreign.status_code == missing.status_code == 404
        assert foreign.content == missing.content
        if only_there:
            assert (
                httpx.get(f"{url}/v1/students/{sorted(only_there)[0]}", headers=w).status_code
                == 404
            )

        # One child, one record: a visit to 青山县's child is not 绿水县's child's visit.
        visit = {"date": AS_OF.isoformat(), "visitor": "周老师", "outcome": "stays_in_school"}
        wrote = httpx.post(f"{url}/v1/students/{sid}/visits", json=visit, headers=w)
        assert wrote.status_code == 201 and wrote.json()["county"] == "青山县"
        assert httpx.get(f"{url}/v1/students/{sid}", headers=r).status_code == 409
        theirs = f"{url}/v1/students/{sid}/visits?county=绿水县"
        assert httpx.get(theirs, headers=r).json() == []
        ours = httpx.get(f"{url}/v1/students/{sid}/visits?county=青山县", headers=r).json()
        assert [v["visitor"] for v in ours] == ["周老师"]
        trend = {
            c: httpx.get(f"{url}/v1/students/{sid}/history?county={c}", headers=r).json()
            for c in ("青山县", "绿水县")
        }
        assert trend["青山县"][0]["risk"] == trend["青山县"][1]["risk"]
        assert trend["绿水县"][1]["risk"] == pytest.approx(min(1.0, trend["绿水县"][0]["risk"] * 2))
        other = httpx.get(f"{url}/v1/students/{sid}?county=绿水县", headers=r).json()
        assert other["name"] == f"绿水县{sid}"
