"""Printed documents: the ก.ค.ศ.16 and certificates as Thai PDFs (DESIGN decisions 11, 12)."""

from projections.documents.kks16_pdf import kks16_pdf
from projections.documents.letters import (
    EmploymentFacts,
    Issuer,
    SalaryFacts,
    certificate_pdf,
    certificate_text,
)
from projections.documents.pdf import Attachment, Certification, attachments_of

__all__ = ["Attachment", "Certification", "EmploymentFacts", "Issuer", "SalaryFacts",
           "attachments_of", "certificate_pdf", "certificate_text", "kks16_pdf"]
