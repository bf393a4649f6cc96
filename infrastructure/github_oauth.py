"""GitHub's OAuth token endpoint and user API over httpx, for ``application.github_login``.

The three base URLs are settings (tests point them at a local fake). Every call has a timeout
and goes through the SSRF guard (loopback and private targets only when a setting allows them).
The access token is used for the profile and then dropped: it is never stored or logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from application.github_login import GitHubProfile, GitHubUnavailable
from domain.errors import RuleBroken
from infrastructure.ssrf_guard import check_url

log = logging.getLogger("learnstream.github")

UNREACHABLE = "Unable to reach GitHub. Please try again shortly."


class GitHubHttp:
    def __init__(
        self, *, client_id: str, client_secret: str, token_url: str, api_url: str,
        timeout: float = 10.0, allow_private: bool = False,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url
        self._api_url = api_url.rstrip("/")
        self._timeout = timeout
        self._allow_private = allow_private

    def __repr__(self) -> str:
        return f"GitHubHttp(token_url={self._token_url!r}, api_url={self._api_url!r})"

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            await asyncio.to_thread(check_url, url, self._allow_private)
        except RuleBroken:
            log.error("GitHub URL refused by the outbound guard: %s", url)
            raise GitHubUnavailable(UNREACHABLE) from None
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as http:
                response = await http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("GitHub call failed: %s %s: %s", method, url, type(exc).__name__)
            raise GitHubUnavailable(UNREACHABLE) from None
        if response.status_code >= 500:
            log.warning("GitHub answered %s to %s %s", response.status_code, method, url)
            raise GitHubUnavailable(UNREACHABLE)
        return response

    async def exchange(self, code: str, redirect_uri: str) -> str | None:
        response = await self._send(
            "POST", self._token_url, headers={"Accept": "application/json"},
            data={"client_id": self._client_id, "client_secret": self._client_secret,
                  "code": code, "redirect_uri": redirect_uri},
        )
        try:
            body = response.json()
        except ValueError:
            raise GitHubUnavailable(UNREACHABLE) from None
        # GitHub answers a refused code with 200 and an ``error`` field.
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            log.info("GitHub refused the code: %s", (body or {}).get("error") if isinstance(body, dict) else "")
            return None
        return token

    async def profile(self, token: str) -> GitHubProfile:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28"}
        response = await self._send("GET", f"{self._api_url}/user", headers=headers)
        body = response.json() if response.status_code == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("id"), int):
            raise GitHubUnavailable("GitHub did not return the user's profile")
        email = body.get("email") if isinstance(body.get("email"), str) else None
        if email is None:
            email = await self._primary_email(headers)
        avatar = str(body.get("avatar_url") or "")
        return GitHubProfile(
            id=body["id"], login=str(body.get("login") or ""),
            # Shown as an image URL elsewhere: only an https address is kept.
            avatar_url=avatar if avatar.startswith("https://") else "", email=email,
        )

    async def _primary_email(self, headers: dict[str, str]) -> str | None:
        """The primary, verified address (needs the ``user:email`` scope; None without it)."""
        try:
            response = await self._send("GET", f"{self._api_url}/user/emails", headers=headers)
        except GitHubUnavailable:
            return None
        rows = response.json() if response.status_code == 200 else []
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and row.get("primary") and row.get("verified"):
                email = row.get("email")
                return email if isinstance(email, str) else None
        return None
