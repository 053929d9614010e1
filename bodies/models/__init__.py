"""Models of the bodies app: reference data, certification bodies, auditors, laboratories, oversight."""

from .auditors import Auditor, AuditorCompetence, AuditorTraining
from .certification_bodies import Accreditation, CertificationBody, IndependenceDeclaration, RequirementAssessment
from .laboratories import CalibrationRecord, Equipment, LabAction, ProficiencyResult, ProficiencyRound, TestLaboratory
from .oversight import CBAssessment, CBSuspensionRequest, OversightFinding, SupervisoryBody
from .reference import AccreditationBody, Scheme, Technology

__all__ = [
    "Accreditation",
    "AccreditationBody",
    "Auditor",
    "AuditorCompetence",
    "AuditorTraining",
    "CBAssessment",
    "CBSuspensionRequest",
    "CalibrationRecord",
    "CertificationBody",
    "Equipment",
    "IndependenceDeclaration",
    "LabAction",
    "OversightFinding",
    "ProficiencyResult",
    "ProficiencyRound",
    "RequirementAssessment",
    "Scheme",
    "SupervisoryBody",
    "Technology",
    "TestLaboratory",
]
