"""A synthetic preferred drug list in another layout than TennCare's, typeset with
reportlab, and an edited revision of it with one planted change of each kind.

Layout: a title, an 'Effective <date> (revised ...)' banner, a printed status legend
(Y / N, not TennCare's P / NP), one ruled table per category (a bold category line
above it) with the columns Drug Name | PDL Status | PA Criteria | Step Therapy |
Quantity Limit, grey class title rows spanning the table, and enough rows to run over
several pages (the header row repeats on each page).
"""

from __future__ import annotations

import copy
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

COLUMNS = ["Drug Name", "PDL Status", "PA Criteria", "Step Therapy", "Quantity Limit"]
Row = list[str]

# category -> class -> rows (drug, status, criteria, step therapy, quantity limit)
BASE: dict[str, dict[str, list[Row]]] = {
    "CARDIOVASCULAR": {
        "Beta Blockers": [
            ["atenolol", "Y", "", "", "2/day"],
            ["metoprolol tartrate", "Y", "", "", "4/day"],
            ["Bystolic®", "N", "Trial and failure of 2 preferred agents", "", "1/day"],
            [
                "carvedilol ER",
                "N",
                "Diagnosis of heart failure; AND Trial of carvedilol IR",
                "",
                "1/day",
            ],
            ["oldolol", "N", "Trial and failure of 2 preferred agents", "", "2/day"],
        ],
        "Statins": [
            ["atorvastatin", "Y", "", "", "1/day"],
            ["rosuvastatin", "Y", "", "", "1/day"],
            ["simvastatin 10 mg", "Y", "", "", "1/day"],
            [
                "Livalo®",
                "N",
                "Trial and failure of 2 preferred statins",
                "Trial of atorvastatin",
                "30/30 days",
            ],
            [
                "Zypitamag®",
                "N",
                "Trial and failure of 2 preferred statins",
                "Trial of rosuvastatin",
                "1/day",
            ],
            ["Ezallor®", "N", "Patient is unable to swallow tablets", "", "1/day"],
        ],
        "Anticoagulants": [
            [
                "apixaban",
                "Y",
                "Patient is 18 years of age or older; AND Diagnosis of atrial fibrillation",
                "",
                "2/day",
            ],
            ["warfarin", "Y", "", "", "60/30 days"],
            [
                "Savaysa®",
                "N",
                "Trial and failure of apixaban; AND Creatinine clearance above 15 mL/min",
                "",
                "1/day",
            ],
        ],
    },
    "RESPIRATORY": {
        "Inhaled Corticosteroids": [
            ["budesonide nebules", "Y", "Patient is under 12 years of age", "", "2 vials/day"],
            ["Flovent HFA®", "Y", "", "", "1 inhaler/30 days"],
            ["Arnuity Ellipta®", "N", "Trial and failure of Flovent HFA", "", "1 inhaler/30 days"],
            ["Asmanex®", "N", "Trial and failure of Flovent HFA", "", "1 inhaler/30 days"],
        ],
        "Leukotriene Modifiers": [
            ["montelukast", "Y", "", "", "1/day"],
            ["zafirlukast", "N", "Trial and failure of montelukast", "", "2/day"],
            [
                "Zyflo®",
                "N",
                "Trial and failure of montelukast; AND Patient is 12 years of age or older",
                "",
                "4/day",
            ],
        ],
    },
}
CLASS_NOTES = {"Anticoagulants": "Class criteria: trial of warfarin for 3 months is required."}
FILLER = 14  # extra rows per class so the tables run over several pages


def _filler(cls: str) -> list[Row]:
    stem = cls.split()[0].lower()
    return [[f"{stem} agent {k:02d}", "Y", "", "", f"{k + 1}/day"] for k in range(FILLER)]


def edited() -> tuple[dict[str, dict[str, list[Row]]], dict[str, str]]:
    """The new revision: one planted change of each kind (``PLANTED`` lists them)."""
    data = copy.deepcopy(BASE)
    notes = dict(CLASS_NOTES)
    bb = data["CARDIOVASCULAR"]["Beta Blockers"]
    st = data["CARDIOVASCULAR"]["Statins"]
    ac = data["CARDIOVASCULAR"]["Anticoagulants"]
    ics = data["RESPIRATORY"]["Inhaled Corticosteroids"]
    lt = data["RESPIRATORY"]["Leukotriene Modifiers"]
    bb[1][1] = "N"  # status changed: metoprolol tartrate Y -> N
    bb.pop(4)  # removed: oldolol
    st[1][4] = ""  # QL removed: rosuvastatin
    st[2][0] = "simvastatin 10, 20 mg"  # renamed (strength added)
    st[3][4] = "60/30 days"  # QL changed: Livalo
    st[3][3] = "Trial of atorvastatin or rosuvastatin"  # ST changed: Livalo
    st[4][3] = ""  # ST removed: Zypitamag
    st[5][3] = "Trial of atorvastatin"  # ST added: Ezallor
    st.insert(3, ["pitavastatin", "N", "Trial and failure of 2 preferred statins", "", "1/day"])
    ac[0][2] = "Patient is 12 years of age or older; AND Diagnosis of atrial fibrillation"
    ac[1][2] = "INR monitoring plan documented"  # PA added: warfarin
    notes["Anticoagulants"] = "Class criteria: trial of warfarin for 6 months is required."
    ics[0][2] = ""  # PA removed: budesonide nebules
    lt.append(ics.pop(3))  # moved: Asmanex to Leukotriene Modifiers
    lt[2][2] = "Trial and failure of montelukast, AND Patient is 12 years of age or older"
    return data, notes


# (kind as change_kind names it, class, drug) of every planted change
PLANTED: set[tuple[str, str, str]] = {
    ("status changed", "Beta Blockers", "metoprolol tartrate"),
    ("removed", "Beta Blockers", "oldolol"),
    ("added", "Statins", "pitavastatin"),
    ("renamed", "Statins", "simvastatin 10, 20 mg"),
    ("QL changed", "Statins", "Livalo®"),
    ("ST changed", "Statins", "Livalo®"),
    ("ST removed", "Statins", "Zypitamag®"),
    ("ST added", "Statins", "Ezallor®"),
    ("QL removed", "Statins", "rosuvastatin"),
    ("criteria changed", "Anticoagulants", "apixaban"),
    ("PA added", "Anticoagulants", "warfarin"),
    ("class criteria changed", "Anticoagulants", ""),
    ("PA removed", "Inhaled Corticosteroids", "budesonide nebules"),
    ("moved", "Leukotriene Modifiers", "Asmanex®"),
    ("wording only", "Leukotriene Modifiers", "Zyflo®"),
}


def build(
    path: Path,
    data: dict[str, dict[str, list[Row]]],
    notes: dict[str, str],
    effective: str,
) -> Path:
    """Typeset one revision of the synthetic PDL."""
    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    story: list[object] = [
        Paragraph("Sample State Medicaid Preferred Drug List", styles["Title"]),
        Paragraph(f"Effective {effective} (revised 8.14.25)", styles["Normal"]),
        Paragraph(
            "Status: Y = Preferred agent; N = Non-preferred agent (PA required)", styles["Normal"]
        ),
        Spacer(1, 8),
    ]
    for category, classes in data.items():
        story.append(Paragraph(f"<b>{category}</b>", styles["Heading3"]))
        rows: list[list[object]] = [COLUMNS]
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.lightblue),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        for cls, drugs in classes.items():
            style += [
                ("SPAN", (0, len(rows)), (-1, len(rows))),
                ("BACKGROUND", (0, len(rows)), (-1, len(rows)), colors.lightgrey),
            ]
            rows.append([cls, "", "", "", ""])
            if cls in notes:
                style.append(("SPAN", (0, len(rows)), (-1, len(rows))))
                rows.append([notes[cls], "", "", "", ""])
            for r in [*drugs, *_filler(cls)]:
                rows.append([Paragraph(c, cell) if c else "" for c in r])
        table = Table(rows, colWidths=[150, 60, 300, 120, 90], repeatRows=1)
        table.setStyle(TableStyle(style))
        story.append(table)
    SimpleDocTemplate(str(path), pagesize=landscape(letter)).build(story)
    return path


def build_pair(folder: Path) -> tuple[Path, Path]:
    old = build(folder / "sample-pdl_2025-09-01.pdf", BASE, CLASS_NOTES, "September 1, 2025")
    data, notes = edited()
    new = build(folder / "sample-pdl_2025-10-01.pdf", data, notes, "October 1, 2025")
    return old, new
