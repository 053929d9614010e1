"""The rest of the national-scale data set: every record the API lists that `iecq/scale.py` does not write.

Called once by `seed_scale` after its certificates, audits, log and users. Same method (COPY, ids allocated
here, `table()` of scale.py so that the sequences are reset and the tables ANALYZEd), same steady state, and
volumes that follow the certificates: each CB's share is counted from its own certificates, so every list is
as long for a CB at a million certificates as its work is (about one record per twelve certificates, per
table), and the benchmark's CB (the first) sees well over a page of each at 50,000 certificates.

What it writes, per CB (one per twelve of its certificates, at most CB_MAX): auditors with their
competences, trainings and independence declarations; test laboratories with equipment, calibration
records, proficiency results and the follow-up actions of three in four of them; requirement assessments, CB
assessments by the supervisory body, oversight findings, accreditations (the current one and the ones it
superseded) and suspension requests about the CB. Per certificate (one in twelve): applications with their
evidence, process change notifications with their documents, complaints, product samples, defect reports
and supervisory bodies' suspension requests. Per decision that took a certificate out of "valid" (read back
from the transition log): its decision evidence, and an appeal for two decisions in three. Two contacts per
manufacturer. Tenant fields are copied from the certificate or the CB, as the create services set them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from bodies.choices import (
    REQUIREMENT_TABLE,
    AssessmentResult,
    CBAssessmentKind,
    CBAssessmentState,
    FindingSeverity,
    SuspensionRequestState,
)
from bodies.models import (
    Accreditation,
    AccreditationBody,
    Auditor,
    AuditorCompetence,
    AuditorTraining,
    CalibrationRecord,
    CBAssessment,
    CBSuspensionRequest,
    Equipment,
    IndependenceDeclaration,
    LabAction,
    OversightFinding,
    ProficiencyResult,
    ProficiencyRound,
    RequirementAssessment,
    Scheme,
    SupervisoryBody,
    TestLaboratory,
)
from certification.choices import ApplicationState, CertificateState
from certification.models import Application, Certificate, Evidence
from iecq.models import DecisionEvidence
from manufacturers.models import Contact
from sanctions.choices import AppealState, DefectOutcome, DefectState, ReporterKind, RequestState
from sanctions.models import Appeal, CertificateSuspensionRequest, DefectReport
from surveillance.choices import ComplaintKind, PCNImpact, PCNState, SampleResult, SampleSource
from surveillance.models import Complaint, PCNDocument, ProcessChangeNotification, ProductSample

EVERY = 12  # one record per this many certificates of a CB, per table
CB_MAX = 200  # a CB's own records (auditors, laboratories…) stop growing here
APPLICATION_STATES = [
    ApplicationState.SUBMITTED,
    ApplicationState.UNDER_REVIEW,
    ApplicationState.QMS_ASSESSMENT,
    ApplicationState.TECHNOLOGY_QUALIFICATION,
    ApplicationState.PRODUCT_CERTIFICATION,
    ApplicationState.CERTIFIED,
    ApplicationState.CERTIFIED,
    ApplicationState.REJECTED,
    ApplicationState.WITHDRAWN,
]
DECIDED = {ApplicationState.CERTIFIED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN}


def _file(kind: str, pk: int) -> tuple[str, str, str, str, int, str]:
    """file, storage_name, original_name, content_type, size, sha256 of a stored PDF that was never uploaded."""
    name = f"scale-{kind}-{pk:08d}"
    return (f"{kind}/{name}.pdf", name, f"{kind}-{pk}.pdf", "application/pdf", 20_000 + pk % 50_000,
            hashlib.sha256(name.encode()).hexdigest())  # fmt: skip


def seed_extra(
    *,
    table: Callable,
    rng: random.Random,
    now: datetime,
    cb_ids: Sequence[int],
    cb_country: dict[int, str],
    cb_tech: dict[int, list[int]],
    maker_ids: Sequence[int],
    cert_ids: Sequence[int],
    cert_cb: Sequence[int],
    cert_maker: Sequence[int],
    states: Sequence[str],
    log: Callable[[str], None] = lambda s: None,
) -> None:
    """Write the records above for the CBs, manufacturers and certificates scale.py has just written."""
    from .scale import _next_id  # the one allocator of ids (scale.py imports this module lazily)

    today = now.date()
    day = timedelta(days=1)
    by_cb: dict[int, list[int]] = {cb: [] for cb in cb_ids}
    for k, cb in enumerate(cert_cb):
        by_cb[cb].append(k)
    per_cb = {cb: min(CB_MAX, max(2, len(ks) // EVERY)) for cb, ks in by_cb.items()}

    def pick(offset: int) -> list[int]:
        """One certificate (index) in EVERY of each CB's, a different one for each offset."""
        return [k for ks in by_cb.values() for k in ks[offset % EVERY :: EVERY]]

    def ids(model, count: int) -> range:
        first = _next_id(model)
        return range(first, first + count)

    countries = sorted(set(cb_country.values()))
    supervisors = {}
    for country in countries:
        body = SupervisoryBody._base_manager.filter(country=country).order_by("pk").first()
        if body is None:
            body = SupervisoryBody._base_manager.create(name=f"Supervisory body {country}", country=country)
        supervisors[country] = body.pk
    schemes = list(Scheme.objects.order_by("pk").values_list("pk", flat=True))
    rounds = list(ProficiencyRound.objects.order_by("pk").values_list("pk", flat=True))
    accreditors = list(AccreditationBody.objects.order_by("pk").values_list("pk", flat=True))

    # --- a CB's own records -------------------------------------------------------------------------------
    auditor_of: list[tuple[int, int]] = [(cb, n) for cb in cb_ids for n in range(per_cb[cb])]
    auditors = ids(Auditor, len(auditor_of))
    table(Auditor, ["id", "certification_body_id", "name", "email", "qualified_until", "audits_performed",
                    "experience", "is_active"]).copy(
        (pk, cb, f"Auditor {cb:03d}-{n:03d}", f"auditor{n}@cb{cb}.scale.example", today + rng.randint(40, 1000) * day,
         rng.randint(0, 400), "Lead auditor, ISO 9001 and IECQ schemes.", n % 17 != 0)
        for pk, (cb, n) in zip(auditors, auditor_of, strict=True)
    )  # fmt: skip
    competences = [(a, t) for a, (cb, n) in zip(auditors, auditor_of, strict=True)
                   for t in cb_tech[cb][n % len(cb_tech[cb]):][:2]]  # fmt: skip
    table(AuditorCompetence, ["auditor_id", "technology_id", "since", "evidence"]).copy(
        (a, t, today - rng.randint(100, 3000) * day, "Witnessed audits and training records.") for a, t in competences
    )
    table(AuditorTraining, ["auditor_id", "course", "provider", "completed_on", "hours"]).copy(
        (a, "IECQ scheme rules update", "IECQ Academy", today - rng.randint(10, 900) * day, "16.0") for a in auditors
    )
    table(IndependenceDeclaration, ["certification_body_id", "declarant_name", "auditor_id", "signed_on",
                                    "valid_until", "interests", "no_conflicts"]).copy(
        (cb, f"Auditor {cb:03d}-{n:03d}", a, today - (d := rng.randint(1, 360)) * day, today + (365 - d) * day, "",
         True)
        for a, (cb, n) in zip(auditors, auditor_of, strict=True)
    )  # fmt: skip
    log(f"{len(auditors)} auditors")

    lab_of = [(cb, n) for cb in cb_ids for n in range(per_cb[cb])]
    labs = ids(TestLaboratory, len(lab_of))
    table(TestLaboratory, ["id", "name", "country", "owner_id", "accreditation_reference", "is_active"]).copy(
        (pk, f"Scale Laboratory {cb:03d}-{n:03d}", cb_country[cb], cb, f"ISO/IEC 17025 L{pk:05d}", True)
        for pk, (cb, n) in zip(labs, lab_of, strict=True)
    )
    equipment = ids(Equipment, len(labs))
    calibrated = {pk: today - rng.randint(1, 330) * day for pk in equipment}  # none due within the horizon
    table(Equipment, ["id", "laboratory_id", "name", "asset_number", "calibration_interval_months",
                      "last_calibrated_on", "calibration_due_on"]).copy(
        (pk, labs[j], ("Climatic chamber", "LCR meter")[j % 2], f"EQ-{pk:07d}", 12, calibrated[pk],
         calibrated[pk] + 365 * day)
        for j, pk in enumerate(equipment)
    )  # fmt: skip
    table(CalibrationRecord, ["equipment_id", "calibrated_on", "due_on", "certificate_reference"]).copy(
        (pk, calibrated[pk], calibrated[pk] + 365 * day, f"CAL-{pk:07d}") for pk in equipment
    )
    results = ids(ProficiencyResult, 2 * len(labs))
    z = [round(rng.gauss(0, 1.4), 3) for _ in results]
    owner_of = {pk: cb for pk, (cb, _n) in zip(labs, lab_of, strict=True)}
    table(ProficiencyResult, ["id", "round_id", "laboratory_id", "owner_id", "measurand", "z_score"]).copy(
        (pk, rounds[(j // 2) % len(rounds)], labs[j // 2], owner_of[labs[j // 2]],
         ("Capacitance", "Insulation resistance")[j % 2], z[j])
        for j, pk in enumerate(results)
    )  # fmt: skip
    table(LabAction, ["result_id", "description", "due_on", "state", "closed_on"]).copy(
        (pk, "Investigate the deviation and repeat the measurement.", today + rng.randint(-60, 60) * day,
         "closed" if j % 4 == 0 else "open", today - day if j % 4 == 0 else None)
        for j, pk in enumerate(results) if j % 4 != 3
    )  # fmt: skip
    log(f"{len(labs)} laboratories")

    requirements = list(REQUIREMENT_TABLE.items())
    table(RequirementAssessment, ["certification_body_id", "category", "method", "result", "evidence",
                                  "evidence_reference", "assessed_on", "assessed_by_label"]).copy(
        (cb, requirements[n % 5][0], requirements[n % 5][1][1][n % len(requirements[n % 5][1][1])],
         AssessmentResult.VERIFIED if n % 9 else AssessmentResult.NOT_VERIFIED, "Records reviewed on site.",
         f"RA-{cb:03d}-{n:04d}", today - rng.randint(1, 1800) * day, "Scale operator assessor")
        for cb in cb_ids for n in range(per_cb[cb])
    )  # fmt: skip
    assessment_of = [(cb, n) for cb in cb_ids for n in range(per_cb[cb])]
    assessments = ids(CBAssessment, len(assessment_of))
    kinds = [CBAssessmentKind.ANNUAL_SURVEILLANCE] * 3 + [CBAssessmentKind.WITNESS_AUDIT]
    table(CBAssessment, ["id", "certification_body_id", "kind", "state", "planned_on", "completed_on",
                         "lead_assessor", "summary"]).copy(
        (pk, cb, CBAssessmentKind.INITIAL if n == 0 else kinds[n % 4],
         CBAssessmentState.PLANNED if n == 1 else CBAssessmentState.COMPLETED,
         today + 60 * day if n == 1 else today - (30 * n + 10) * day, None if n == 1 else today - (30 * n) * day,
         "Scale lead assessor", "" if n == 1 else "No major finding.")
        for pk, (cb, n) in zip(assessments, assessment_of, strict=True)
    )  # fmt: skip
    severities = [FindingSeverity.OBSERVATION, FindingSeverity.OBSERVATION, FindingSeverity.MINOR,
                  FindingSeverity.MAJOR]  # fmt: skip
    table(OversightFinding, ["certification_body_id", "assessment_id", "supervisory_body_id", "severity",
                             "description", "recorded_by_label"]).copy(
        (cb, pk, supervisors[cb_country[cb]], severities[n % 4], "Records of impartiality review incomplete.",
         "Scale supervisory assessor")
        for pk, (cb, n) in zip(assessments, assessment_of, strict=True) if n != 1
    )  # fmt: skip
    # Accreditations: the current one, and the ones it superseded (withdrawn at each five-yearly renewal).
    table(Accreditation, ["certification_body_id", "accreditation_body_id", "certificate_number", "scope",
                          "valid_from", "valid_until", "withdrawn_on"]).copy(
        (cb, accreditors[cb % len(accreditors)], f"ACC-{cb:04d}-{n:03d}", "ISO/IEC 17065, IECQ AC and HSPM",
         today - (400 + 1826 * n) * day, today - (400 + 1826 * n) * day + 1826 * day,
         today - (400 + 1826 * (n - 1)) * day if n else None)
        for cb in cb_ids for n in range(per_cb[cb])
    )  # fmt: skip
    table(CBSuspensionRequest, ["certification_body_id", "supervisory_body_id", "reason", "state"]).copy(
        (cb, supervisors[cb_country[cb]], "Overdue corrective actions on oversight findings.",
         SuspensionRequestState.OPEN if n == 0 else SuspensionRequestState.DECLINED)
        for cb in cb_ids for n in range(per_cb[cb])
    )  # fmt: skip
    log("CB oversight records")

    # --- per certificate ------------------------------------------------------------------------------------
    chosen = pick(0)
    applications = ids(Application, len(chosen))
    app_state = [APPLICATION_STATES[j % len(APPLICATION_STATES)] for j in range(len(chosen))]
    table(Application, ["id", "reference", "manufacturer_id", "certification_body_id", "scheme_id", "route",
                        "component_types", "specifications", "state", "submitted_on", "decided_on",
                        "created_by_label"]).copy(
        (pk, f"APP-SCALE-{pk:08d}", cert_maker[k], cert_cb[k], schemes[k % len(schemes)],
         "technology_qualification" if k % 3 else "capability_approval", "Multilayer ceramic chip capacitors",
         "IEC 60384-21", app_state[j], today - (30 + k % 300) * day,
         today - (k % 30) * day if app_state[j] in DECIDED else None, "Scale manufacturer submitter")
        for j, (pk, k) in enumerate(zip(applications, chosen, strict=True))
    )  # fmt: skip
    evidence = ids(Evidence, len(applications))
    table(Evidence, ["id", "application_id", "certification_body_id", "stage", "title", "effective_on", "file",
                     "storage_name", "original_name", "content_type", "size", "sha256", "uploaded_by_label",
                     "uploaded_at"]).copy(
        (pk, a, cert_cb[k], ApplicationState.SUBMITTED, "Quality manual", today - 60 * day, *_file("evidence", pk),
         "Scale manufacturer submitter", now.isoformat())
        for pk, a, k in zip(evidence, applications, chosen, strict=True)
    )  # fmt: skip
    log(f"{len(applications)} applications")

    chosen = pick(1)
    pcns = ids(ProcessChangeNotification, len(chosen))
    pcn_states = [PCNState.CLOSED, PCNState.CLOSED, PCNState.SUBMITTED, PCNState.UNDER_ASSESSMENT]
    table(ProcessChangeNotification, ["id", "certification_body_id", "manufacturer_id", "certificate_id", "title",
                                      "description", "planned_on", "impact", "state", "submitted_by_label"]).copy(
        (pk, cert_cb[k], cert_maker[k], cert_ids[k], "Second source for the termination paste",
         "Qualified alternative supplier; no change to the process flow.", today + (k % 120 - 60) * day,
         PCNImpact.NO_IMPACT if j % 4 < 2 else PCNImpact.NEEDS_ASSESSMENT, pcn_states[j % 4],
         "Scale manufacturer quality manager")
        for j, (pk, k) in enumerate(zip(pcns, chosen, strict=True))
    )  # fmt: skip
    documents = ids(PCNDocument, len(pcns))
    table(PCNDocument, ["id", "pcn_id", "certification_body_id", "title", "file", "storage_name", "original_name",
                        "content_type", "size", "sha256", "uploaded_by_label", "uploaded_at"]).copy(
        (pk, p, cert_cb[k], "Qualification report", *_file("pcn", pk), "Scale manufacturer quality manager",
         now.isoformat())
        for pk, p, k in zip(documents, pcns, chosen, strict=True)
    )  # fmt: skip
    log(f"{len(pcns)} process change notifications")

    table(Complaint, ["certification_body_id", "manufacturer_id", "certificate_id", "kind", "received_on", "source",
                      "description", "recorded_by_label"]).copy(
        (cert_cb[k], cert_maker[k], cert_ids[k],
         ComplaintKind.FIELD_FAILURE if k % 3 == 0 else ComplaintKind.CUSTOMER_COMPLAINT,
         today - (k % 400) * day, "Distributor", "Parts failed the incoming inspection.", "Scale CB clerk")
        for k in pick(2)
    )  # fmt: skip
    labs_of_cb: dict[int, list[int]] = {}
    for pk, (cb, _n) in zip(labs, lab_of, strict=True):
        labs_of_cb.setdefault(cb, []).append(pk)
    results_cycle = [SampleResult.PASS, SampleResult.PASS, SampleResult.PASS, SampleResult.PENDING, SampleResult.FAIL]
    table(ProductSample, ["certification_body_id", "manufacturer_id", "certificate_id", "source", "description",
                          "taken_on", "laboratory_id", "test_report", "tested_on", "result"]).copy(
        (cert_cb[k], cert_maker[k], cert_ids[k], SampleSource.MARKET if k % 4 == 0 else SampleSource.PRODUCTION,
         "Ten parts of the certified range", today - (k % 300 + 20) * day,
         labs_of_cb[cert_cb[k]][k % len(labs_of_cb[cert_cb[k]])],
         "" if (r := results_cycle[k % 5]) == SampleResult.PENDING else f"TR-{k:07d}",
         None if r == SampleResult.PENDING else today - (k % 300 + 5) * day, r)
        for k in pick(3)
    )  # fmt: skip
    defect_states = [DefectState.CLOSED, DefectState.CLOSED, DefectState.INVESTIGATING, DefectState.RECEIVED]
    table(DefectReport, ["certification_body_id", "manufacturer_id", "certificate_id", "reporter_kind",
                         "reporter_name", "reporter_email", "component", "description", "state", "outcome"]).copy(
        (cert_cb[k], cert_maker[k], cert_ids[k], ReporterKind.CUSTOMER, "Scale customer",
         f"quality{k}@customer.scale.example", "Multilayer ceramic chip capacitor", "Cracks after reflow.",
         defect_states[j % 4], DefectOutcome.NO_ACTION if defect_states[j % 4] == DefectState.CLOSED else "")
        for j, k in enumerate(pick(4))
    )  # fmt: skip
    table(CertificateSuspensionRequest, ["certification_body_id", "manufacturer_id", "certificate_id",
                                         "supervisory_body_id", "reason", "requested_by_label", "state"]).copy(
        (cert_cb[k], cert_maker[k], cert_ids[k], supervisors[cb_country[cert_cb[k]]],
         "Market surveillance found nonconforming parts.", "Scale supervisory officer",
         RequestState.ACCEPTED if states[k] == CertificateState.SUSPENDED else
         (RequestState.OPEN if k % 3 == 0 else RequestState.DECLINED))
        for k in pick(5)
    )  # fmt: skip
    log("complaints, samples, defect reports and suspension requests")

    # --- per decision: the log rows scale.py wrote for suspensions and withdrawals --------------------------
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, certification_body_id, manufacturer_id, at FROM iecq_transitionlog "
            "WHERE content_type_id = %s AND transition IN ('suspend', 'withdraw') AND object_id BETWEEN %s AND %s "
            "ORDER BY id",
            [ContentType.objects.get_for_model(Certificate).pk, cert_ids[0], cert_ids[-1]],
        )
        decisions = cur.fetchall()
    evidence_ids = ids(DecisionEvidence, len(decisions))
    table(DecisionEvidence, ["id", "log_id", "certification_body_id", "title", "file", "storage_name",
                             "original_name", "content_type", "size", "sha256", "uploaded_by_label",
                             "uploaded_at"]).copy(
        (pk, d[0], d[1], "Decision record", *_file("decision", pk), "Scale CB decider", d[3].isoformat())
        for pk, d in zip(evidence_ids, decisions, strict=True)
    )  # fmt: skip
    appeal_states = [AppealState.DISMISSED, AppealState.DISMISSED, AppealState.UPHELD, AppealState.ACKNOWLEDGED,
                     AppealState.LODGED]  # fmt: skip
    table(Appeal, ["certification_body_id", "manufacturer_id", "decision_id", "grounds", "lodged_by_label",
                   "response_due_on", "state"]).copy(
        (cb, m, pk, "The finding was corrected before the deadline.", "Scale manufacturer admin",
         max(today, at.date()) + 60 * day, appeal_states[j % 5])
        for j, (pk, cb, m, at) in enumerate(decisions) if j % 3
    )  # fmt: skip
    log(f"{len(decisions)} decisions with evidence")

    table(Contact, ["manufacturer_id", "name", "function", "email", "phone", "is_primary"]).copy(
        (m, name, function, f"{function.split()[0].lower()}@maker{m}.scale.example", "+1 555 0100", primary)
        for m in maker_ids
        for name, function, primary in (("Quality Manager", "Quality management", True),
                                        ("Export Desk", "Sales and export", False))
    )  # fmt: skip
    log(f"{2 * len(maker_ids)} contacts")
