"""The audit catalogue: every event field is decided (exported, secret or personal), names are
unique, and the webhook catalogue's names stand for the events bound to them."""

from __future__ import annotations

import pytest

from application.audit_catalogue import (
    PERSONAL_FIELDS,
    PUBLIC_FIELDS,
    SECRET_FIELDS,
    audit_types,
    declared_fields,
    event_classes,
    expand_names,
)


def test_every_event_field_is_exported_or_withheld_on_purpose():
    undecided = sorted(
        f"{cls.__qualname__}.{name}"
        for _, cls in event_classes()
        for name in declared_fields(cls)
        if name not in PUBLIC_FIELDS | SECRET_FIELDS | PERSONAL_FIELDS
    )
    assert not undecided, f"add each to PUBLIC_FIELDS, SECRET_FIELDS or PERSONAL_FIELDS: {undecided}"
    assert not PUBLIC_FIELDS & (SECRET_FIELDS | PERSONAL_FIELDS)


def test_secrets_and_personal_data_are_never_in_a_records_data():
    for kind in audit_types().values():
        assert not set(kind.fields) & (SECRET_FIELDS | PERSONAL_FIELDS), kind.name


def test_names_are_the_event_classes_in_snake_case_and_unique():
    names = {kind.topic.rsplit(".", 1)[-1]: kind.name for kind in audit_types().values()}
    assert names["CourseCreated"] == "course_created"
    assert names["EnrollmentCompleted"] == "enrollment_completed"
    assert names["ApiTokenIssued"] == "api_token_issued"
    assert len(set(names.values())) == len(names)


def test_a_webhook_name_stands_for_the_events_bound_to_it():
    assert expand_names(["course_completed"]) == {"enrollment_completed"}
    assert expand_names(["course_enrolled"]) == {"course_enrolled", "course_reenrolled"}
    with pytest.raises(ValueError, match="unknown event type"):
        expand_names(["nothing_like_it"])
