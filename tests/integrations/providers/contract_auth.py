"""The connect and refresh-policy part of the provider contract (mixed into ProviderContract):

- connect: the authorize URL carries our state (and, for an OAuth 2 provider using PKCE, the S256 challenge of the
  round trip's verifier); the callback's parameters give a grant and its tenants; one tenant is connected on a
  Grant holding the credentials, several tenants of one consent are connected on one shared Grant; the state is
  single use;
- refresh policy: the provider declares a TokenPolicy; a token fresh beyond the margin costs no token call; a
  stale one is refreshed once however many connections share the grant, and the rotated refresh token and the
  new expiry are stored on the grant; a token younger than the minimum age is used while valid, never refreshed;
  invalid_grant on the refresh marks every connection of the grant needs_reconnect.

Hooks (ProviderContract's subclass fills them in): `mock_connect`, `callback_params`, `mock_refresh` (a
successful refresh answering `refreshed_token`), `mock_refresh_refused` (invalid_grant), `token_url`.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.utils import timezone

from integrations.exceptions import TerminalError
from integrations.models import AuthorizationState, Connection, ConnectionStatus, Grant
from integrations.providers.base import TOKEN, TokenPolicy
from integrations.providers.oauth2 import OAuth2Provider, code_challenge
from integrations.services.connections import (
    authorization_callback,
    authorization_complete_tenants,
    authorization_start,
)
from integrations.tokens import connection_access_token

SESSION = "contract-session-key"


class AuthContract:
    token_url: str = ""
    refreshed_token: str = "contract-refreshed-access"

    def mock_connect(self, mock: responses.RequestsMock, tenant_count: int) -> list[str]:
        """Register what the callback's code exchange and tenant listing request, granting `tenant_count`
        tenants in one consent; return their ids."""
        raise NotImplementedError

    def callback_params(self) -> dict:
        """The callback's query parameters besides `state` (the code; QuickBooks adds realmId)."""
        return {"code": "contract-code"}

    def mock_refresh_refused(self, mock: responses.RequestsMock) -> None:
        """The token endpoint answering the provider's invalid_grant."""
        raise NotImplementedError

    # --- helpers -------------------------------------------------------------------------------------------------

    def _round_trip(self, admin_user, organization, subsidiary):
        state, url = authorization_start(
            provider=self.provider,
            organization=organization,
            user=admin_user,
            session_key=SESSION,
            subsidiary=subsidiary,
            name="Contract",
        )
        return state, url

    def _callback(self, state, admin_user, organization):
        return authorization_callback(
            provider=self.provider,
            params={"state": state.state, **self.callback_params()},
            user=admin_user,
            session_key=SESSION,
            organization=organization,
        )

    def _two_on_one_stale_grant(self) -> tuple[Connection, Connection]:
        """Two connections (two tenants) on one grant whose access token has expired, each its own instance."""
        first = self.make_connection()
        second = self.make_connection(organization=first.organization, grant=first.grant)
        obtained = timezone.now() - timedelta(days=1)  # old enough for any minimum age
        Grant.objects.filter(pk=first.grant_id).update(
            token_expires_at=timezone.now() - timedelta(seconds=1), access_token_obtained_at=obtained
        )
        return Connection.objects.get(pk=first.pk), Connection.objects.get(pk=second.pk)

    def _refreshes(self) -> None:
        """Skip a refresh case for a token-auth provider: its grant token has no expiry and is never refreshed."""
        if self.provider.auth_kind == TOKEN:
            pytest.skip(f"{self.provider_key} uses token auth: its grant token never expires and is never refreshed")

    def _token_calls(self, mock) -> int:
        return sum(1 for call in mock.calls if call.request.url.split("?")[0] == self.token_url)

    # --- connect ---------------------------------------------------------------------------------------------

    @pytest.mark.django_db
    def test_connect_authorize_url_carries_the_state(self, admin_user, organization, subsidiary):
        state, url = self._round_trip(admin_user, organization, subsidiary)
        query = parse_qs(urlsplit(url).query)
        assert state.state in url
        if isinstance(self.provider, OAuth2Provider) and self.provider.uses_pkce:
            assert query["code_challenge_method"] == ["S256"]
            assert query["code_challenge"] == [code_challenge(state.code_verifier)]

    @pytest.mark.django_db
    def test_connect_one_tenant_lands_on_a_grant(self, admin_user, organization, subsidiary):
        state, _url = self._round_trip(admin_user, organization, subsidiary)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            (tenant_id,) = self.mock_connect(mock, 1)
            self.mock_api(mock)
            result = self._callback(state, admin_user, organization)
        connection = result.connection
        assert connection is not None and connection.remote_tenant_id == tenant_id
        assert connection.grant.has_credentials and connection.grant.provider == self.provider_key
        assert connection.grant.granted_by_id == admin_user.pk
        assert AuthorizationState.objects.get(pk=state.pk).pending_token == ""
        with pytest.raises(Exception, match="already used"):  # single use
            self._callback(state, admin_user, organization)

    @pytest.mark.django_db
    def test_connect_several_tenants_of_one_consent_share_one_grant(self, admin_user, organization, subsidiary):
        state, _url = self._round_trip(admin_user, organization, subsidiary)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            tenant_ids = self.mock_connect(mock, 2)
            self.mock_api(mock)
            result = self._callback(state, admin_user, organization)
            assert result.connection is None  # the admin chooses
            connections = authorization_complete_tenants(state=result.state, tenant_ids=tenant_ids)
        assert {c.remote_tenant_id for c in connections} == set(tenant_ids)
        assert len({c.grant_id for c in connections}) == 1 and Grant.objects.count() == 1

    # --- refresh policy ----------------------------------------------------------------------------------------

    def test_refresh_policy_is_declared(self):
        policy = self.provider.token_policy
        assert isinstance(policy, TokenPolicy)
        assert policy.refresh_margin >= timedelta(0) and policy.minimum_age >= timedelta(0)
        assert policy.daily_token_calls is None or policy.daily_token_calls > 0

    @pytest.mark.django_db
    def test_refresh_policy_fresh_token_costs_no_call(self):
        self._refreshes()
        connection = self.make_connection()
        margin = self.provider.token_policy.refresh_margin
        Grant.objects.filter(pk=connection.grant_id).update(
            token_expires_at=timezone.now() + margin + timedelta(minutes=5)
        )
        connection = Connection.objects.get(pk=connection.pk)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.mock_refresh(mock)
            assert connection_access_token(connection) == connection.grant.access_token
            assert self._token_calls(mock) == 0

    @pytest.mark.django_db
    def test_refresh_policy_one_refresh_for_every_connection_of_a_grant(self):
        self._refreshes()
        first, second = self._two_on_one_stale_grant()
        old_refresh = first.grant.refresh_token
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.mock_refresh(mock)
            assert connection_access_token(first) == self.refreshed_token
            assert connection_access_token(second) == self.refreshed_token
            assert self._token_calls(mock) == 1
        grant = Grant.objects.get(pk=first.grant_id)
        assert grant.token_expires_at > timezone.now() and grant.access_token_obtained_at is not None
        if self.provider.token_policy.rotates:
            assert grant.refresh_token != old_refresh

    @pytest.mark.django_db
    def test_refresh_policy_minimum_age_is_respected(self):
        policy = self.provider.token_policy
        if not policy.minimum_age:
            pytest.skip("the provider allows a refresh at any age")
        connection = self.make_connection()
        Grant.objects.filter(pk=connection.grant_id).update(
            token_expires_at=timezone.now() + policy.refresh_margin / 2, access_token_obtained_at=timezone.now()
        )
        connection = Connection.objects.get(pk=connection.pk)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.mock_refresh(mock)
            assert connection_access_token(connection) == connection.grant.access_token
            assert self._token_calls(mock) == 0

    @pytest.mark.django_db
    def test_refresh_policy_invalid_grant_needs_reconnect_for_the_whole_grant(self):
        self._refreshes()
        first, second = self._two_on_one_stale_grant()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.mock_refresh_refused(mock)
            with pytest.raises(TerminalError):
                connection_access_token(first)
        statuses = set(Connection.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
        assert statuses == {ConnectionStatus.NEEDS_RECONNECT}
