"""Section headings: canonical key -> the titles payers print for it.

Matching (``extract.assemble.sections.match_alias``) ignores case, a list label, a
trailing ':' and a parenthetical note, and accepts a close spelling (rapidfuzz ratio
``Settings.assemble.alias_fuzzy``). Each alias names the payer whose documents showed it
("general" for wording many payers share).
"""

from __future__ import annotations

from . import Alias

__all__ = ["CRITERIA_KEYS", "DOSING_KEYS", "SECTION_ALIASES", "STRUCTURAL_SECTIONS"]

MMM = "MMM (MP-RX-FP-171-25)"
CIGNA = "Cigna"
UHC = "UnitedHealthcare"
FEP = "BCBS FEP"
ANTHEM = "Anthem"
CENTENE = "Centene/Envolve"
EMBLEM = "EmblemHealth"
GENERAL = "general"

SECTION_ALIASES: dict[str, tuple[Alias, ...]] = {
    "service_category": (Alias("Service Category", MMM), Alias("Service Categories", MMM)),
    "description": (
        Alias("Description", CENTENE),
        Alias("Service Description", GENERAL),
        Alias("Overview", CIGNA),
        Alias("Purpose", GENERAL),
    ),
    "background": (Alias("Background", UHC), Alias("Background Information", MMM)),
    "definitions": (
        Alias("Definitions", MMM),
        Alias("Definitions and Measures", MMM),
        Alias("Definition", GENERAL),
    ),
    "indications": (
        Alias("FDA Approved Indications", MMM),
        Alias("Approved Indications", GENERAL),
        Alias("FDA-Approved Indications", CENTENE),
        Alias("FDA Indications", GENERAL),
    ),
    "other_uses": (
        Alias("Compendia Supported Uses", MMM),
        Alias("Other Uses", GENERAL),
        Alias("Off-Label Uses", GENERAL),
    ),
    "coverage_criteria": (
        Alias("Coverage Criteria", UHC),
        Alias("Medical Necessity Guidelines", GENERAL),
        Alias("Coverage Rationale", UHC),
        Alias("Clinical Criteria", ANTHEM),
        Alias("Coverage Policy", CIGNA),
        Alias("Criteria", GENERAL),
        Alias("Policy", GENERAL),
    ),
    "initial_criteria": (
        Alias("Initial Approval Criteria", CENTENE),
        Alias("Criteria For Initial Approval", MMM),
        Alias("Initial Authorization", UHC),
        Alias("Initial Therapy", CIGNA),
        Alias("Initial Approval", GENERAL),
        Alias("Prior-Approval Requirements", FEP),
    ),
    "continuation_criteria": (
        Alias("Continuation of Therapy Criteria", MMM),
        Alias("Criteria For Continuation of Therapy", MMM),
        Alias("Continuation of Therapy", GENERAL),
        Alias("Continued Therapy", CENTENE),
        Alias("Continuation Criteria", GENERAL),
        Alias("Reauthorization", UHC),
        Alias("Renewal Criteria", EMBLEM),
        Alias("Renewal", GENERAL),
        Alias("Prior-Approval Renewal Requirements", FEP),
    ),
    "authorization_duration": (
        Alias("Approval Duration", CENTENE),
        Alias("Authorization Duration", GENERAL),
        Alias("Length of Authorization", EMBLEM),
        Alias("Duration of Approval", GENERAL),
    ),
    "not_covered": (
        Alias("Investigational / Not Medically Necessary", MMM),
        Alias("Conditions Not Covered", CIGNA),
        Alias("Not Medically Necessary", GENERAL),
        Alias("Experimental/Investigational", GENERAL),
        Alias("Investigational/Not Medically Necessary", MMM),
    ),
    "limits": (Alias("Limits or Restrictions", MMM), Alias("Limitations", GENERAL)),
    "dosing": (
        Alias("Dosing and Administration", MMM),
        Alias("Quantity Limitations", GENERAL),
        Alias("Dosage and Administration", CENTENE),
        Alias("Dosage/Administration", GENERAL),
        Alias("Dosing", CIGNA),
        Alias("Dosing Information", GENERAL),
        Alias("Dosing Limits", EMBLEM),
        Alias("Dosage", GENERAL),
    ),
    "premedication": (
        Alias("Recommended Concomitant Medications", MMM),
        Alias("Premedication", GENERAL),
    ),
    "codes": (
        Alias("Coding", CIGNA),
        Alias("Codes Information", MMM),
        Alias("Applicable Codes", UHC),
        Alias("Coding Information", GENERAL),
    ),
    "codes_icd10": (
        Alias("ICD-10 Diagnosis", MMM),
        Alias("ICD-10", GENERAL),
        Alias("Diagnosis Codes", GENERAL),
        Alias("ICD-10 Diagnostic Codes", GENERAL),
        Alias("ICD-10 Codes", EMBLEM),
        Alias("ICD-10-CM Codes", GENERAL),
        Alias("ICD-10 Diagnosis Codes", GENERAL),
    ),
    "codes_hcpcs": (
        Alias("HCPCS Codes", GENERAL),
        Alias("HCPCS Code", GENERAL),
        Alias("CPT/HCPCS Codes", GENERAL),
        Alias("HCPCS", MMM),
        Alias("HCPCS/CPT", GENERAL),
    ),
    "references": (
        Alias("References", GENERAL),
        Alias("Reference Information", GENERAL),
        Alias("Reference", GENERAL),
    ),
    "appendix": (
        Alias("Appendix", CIGNA),
        Alias("Appendices", GENERAL),
        Alias("Appendices/General Information", CENTENE),
    ),
    "history": (
        Alias("Policy History", FEP),
        Alias("Revision History", GENERAL),
        Alias("Document History", ANTHEM),
        Alias("Revision Details", CIGNA),
        Alias("Policy History/Revision Information", UHC),
        Alias("Reviews, Revisions, and Approvals", CENTENE),
    ),
}

# canonical keys of the sections the criteria trees and the dosing are read from
CRITERIA_KEYS = ("initial_criteria", "continuation_criteria", "not_covered")
DOSING_KEYS = ("dosing", "premedication", "limits")
# sections whose whole content is a structured field (authorization months, the history
# table, the service-category boxes): their text is never compared again as generic text
STRUCTURAL_SECTIONS = frozenset({"authorization_duration", "history", "service_category"})
