"""The binding admin: masked phones, no tokens, the unbind action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from django_doku_allo.models import Binding, BindingStatus
from tests.admin.helpers import (
    MASKED,
    PHONE,
    action_names,
    change,
    changelist,
    run_action,
    sent_messages,
    staff_client,
)
from tests.support.fake_client import FakeAlloClient, declined


@pytest.mark.django_db
def test_binding_changelist_shows_phone_numbers_masked_and_no_token(
        admin_client: Client, make_binding: Callable[..., Binding]) -> None:
    make_binding(phone_number=PHONE)

    page = admin_client.get(changelist("binding")).content.decode()

    assert MASKED in page
    for secret in (PHONE, "customer-token-1", "auth-code-1"):
        assert secret not in page


@pytest.mark.django_db
def test_binding_page_shows_no_token_and_redacts_the_auth_code_in_dokus_answer(
        admin_client: Client, make_binding: Callable[..., Binding]) -> None:
    binding = make_binding(raw={"responseCode": "2000700", "phoneNo": PHONE,
                                "additionalInfo": {"authCode": "raw-auth-code-9"}},
                           refresh_token="refresh-token-1", state_digest="d" * 64)

    response = admin_client.get(change(binding))

    page = response.content.decode()
    assert response.status_code == 200
    assert "2000700" in page
    assert "[redacted]" in page
    assert MASKED in page
    for secret in (PHONE, "raw-auth-code-9", "customer-token-1", "auth-code-1",
                   "refresh-token-1", "d" * 64):
        assert secret not in page


@pytest.mark.django_db
def test_unbind_action_unbinds_active_bindings_and_reports_skipped_ones(
        admin_client: Client, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    active = make_binding(phone_number="6281100000001")
    pending = make_binding(phone_number="6281100000002", status=BindingStatus.PENDING)
    unbound = make_binding(phone_number="6281100000003", status=BindingStatus.UNBOUND)

    response = run_action(admin_client, "binding", "unbind_bindings",
                          [active, pending, unbound])

    active.refresh_from_db()
    assert active.status == BindingStatus.UNBOUND
    assert active.access_token == ""
    assert fake_client.operations() == ["account_unbinding"]
    reports = sent_messages(response)
    assert reports[0] == ("success", "6281*****0001 (Active): unbound (Unbound).")
    assert reports[1][0] == "warning"
    assert "skipped: A pending" in reports[1][1]
    assert reports[2] == ("warning", "6281*****0003 (Unbound): skipped: already unbound.")


@pytest.mark.django_db
def test_unbind_action_reports_a_refusal_by_doku_and_keeps_the_binding(
        admin_client: Client, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    fake_client.errors["account_unbinding"] = declined("account_unbinding")

    response = run_action(admin_client, "binding", "unbind_bindings", [binding])

    [(tag, text)] = sent_messages(response)
    assert tag == "error"
    assert "failed: DOKU declined" in text
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE


@pytest.mark.django_db
def test_unbind_action_is_offered_only_to_staff_with_can_unbind(
        django_user_model: Any, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    viewer = staff_client(django_user_model, "view_binding", username="viewer")
    unbinder = staff_client(django_user_model, "view_binding", "can_unbind",
                            username="unbinder")

    assert "unbind_bindings" not in action_names(viewer.get(changelist("binding")))
    assert "unbind_bindings" in action_names(unbinder.get(changelist("binding")))
    run_action(viewer, "binding", "unbind_bindings", [binding])
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE
    assert fake_client.calls == []
