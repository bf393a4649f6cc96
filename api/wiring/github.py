"""How GitHub sign-in is built from settings (called by ``api.wiring.build_services``)."""

from __future__ import annotations

from application.accounts import Accounts
from application.github_login import GitHubLogin
from application.writer import Writer
from infrastructure.github_oauth import GitHubHttp
from infrastructure.oauth_state import SignedState, derived_key
from infrastructure.session_tokens import load_or_create_secret
from infrastructure.settings import Settings
from projections.queries.identity import IdentityQueries


def build_github_login(
    settings: Settings, writer: Writer, identity: IdentityQueries, accounts: Accounts
) -> GitHubLogin:
    configured = bool(settings.github_client_id and settings.github_client_secret)
    api = GitHubHttp(
        client_id=settings.github_client_id, client_secret=settings.github_client_secret,
        token_url=settings.github_token_url, api_url=settings.github_api_url,
        timeout=settings.github_timeout, allow_private=settings.github_allow_private,
    ) if configured else None
    secret = settings.jwt_secret or load_or_create_secret(settings.data_dir)
    return GitHubLogin(
        client_id=settings.github_client_id, authorize_url=settings.github_authorize_url,
        api=api, states=SignedState(derived_key(secret, "github-oauth-state"),
                                    settings.github_state_minutes * 60),
        writer=writer, identity=identity, accounts=accounts,
    )
