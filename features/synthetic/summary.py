"""What a generation run wrote: counts that the command line prints and tests check."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BANDS = ("primary", "junior")  # grades 1-6 and 7-9


@dataclass
class GenerationSummary:
    """Counts of one synthetic county; `describe()` renders them for people."""

    out_dir: Path
    fmt: str
    seed: int
    county: str
    townships: int
    schools_by_level: dict[str, int]
    students: int
    rows: dict[str, int] = field(default_factory=dict)
    enrolled: dict[int, dict[str, int]] = field(default_factory=dict)  # year -> band -> n
    dropouts: dict[int, dict[str, int]] = field(default_factory=dict)  # year -> band -> n
    returned: int = 0
    graduates: int = 0
    calendar: str = "standard"
    export_date: str | None = None

    @property
    def schools(self) -> int:
        return sum(self.schools_by_level.values())

    @property
    def years(self) -> list[int]:
        return sorted(self.enrolled)

    def dropout_rate(self, year: int, band: str) -> float:
        """Children who left during the school year / children enrolled that year, in a band."""
        enrolled = self.enrolled[year][band]
        return self.dropouts[year][band] / enrolled if enrolled else 0.0

    def describe(self) -> str:
        """A short readable summary of the county and its yearly dropout rates."""
        levels = ", ".join(f"{n} {level}" for level, n in self.schools_by_level.items())
        lines = [
            f"Synthetic county {self.county} (seed {self.seed}) written to {self.out_dir} "
            f"as {self.fmt.upper()}",
            f"  {self.townships} townships, {self.schools} schools ({levels})"
            + ("" if self.calendar == "standard" else f"; {self.calendar} winter breaks"),
            f"  {self.students:,} students; {self.graduates:,} graduated from grade 9, "
            f"{self.returned:,} dropouts came back",
            "  rows: " + ", ".join(f"{name} {n:,}" for name, n in list(self.rows.items())[:4]),
            "        " + ", ".join(f"{name} {n:,}" for name, n in list(self.rows.items())[4:]),
            "  dropouts per school year (grades 1-6 | grades 7-9):",
        ]
        for year in self.years:
            p, j = self.dropouts[year]["primary"], self.dropouts[year]["junior"]
            lines.append(
                f"    {year}-{year + 1}: {p:>5,} of {self.enrolled[year]['primary']:>7,} "
                f"({self.dropout_rate(year, 'primary'):.2%}) | {j:>5,} of "
                f"{self.enrolled[year]['junior']:>7,} ({self.dropout_rate(year, 'junior'):.2%})"
            )
        if self.export_date is not None:
            lines.append(
                f"  exported on {self.export_date} (export.json): the files hold no record "
                "after it; the counts above are of the whole simulated years"
            )
        return "\n".join(lines)
