"""A local GitHub OAuth server on 127.0.0.1: the authorize page, the token endpoint and the user
API, enough for the web flow a browser and our server go through::

    with FakeGitHub() as github:                      # or the ``fake_github`` fixture
        github.signs_in(GitHubUser(id=42, login="octocat", email="octo@example.com"))
        # point LEARNSTREAM_GITHUB_AUTHORIZE_URL/TOKEN_URL/API_URL at github.authorize_url, ...

What it does:

- ``GET /login/oauth/authorize?client_id&redirect_uri&state`` plays the user who approves:
  302 to ``redirect_uri?code=<new code>&state=<state>`` for the user ``signs_in`` chose (an
  unknown ``client_id`` gets a 400 page).
- ``POST /login/oauth/access_token`` (form: client_id, client_secret, code, redirect_uri) answers
  ``{"access_token", "token_type", "scope"}``; a wrong secret, an unknown or reused code, or a
  ``redirect_uri`` other than the authorize step's answers 200 with ``{"error": ...}``, as GitHub
  does.
- ``GET /user`` and ``GET /user/emails`` with ``Authorization: Bearer <token>`` answer the
  profile and its addresses; a bad token is a 401.
- ``fail_next(status)`` makes the next request answer that status (e.g. 503).
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

CLIENT_ID = "Iv1.fakeclientid"
CLIENT_SECRET = "fake-client-secret-0123456789"


@dataclass
class GitHubUser:
    id: int
    login: str
    email: str | None = None
    avatar_url: str = ""
    #: addresses /user/emails lists: (email, primary, verified)
    emails: list[tuple[str, bool, bool]] = field(default_factory=list)

    def profile(self) -> dict[str, Any]:
        return {"id": self.id, "login": self.login, "node_id": f"U_{self.id}",
                "avatar_url": self.avatar_url or f"https://avatars.example.test/u/{self.id}?v=4",
                "name": self.login.title(), "email": self.email, "type": "User"}


class FakeGitHub:
    def __init__(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.user: GitHubUser | None = None
        self.requests: list[tuple[str, str]] = []
        self._codes: dict[str, tuple[GitHubUser, str]] = {}
        self._tokens: dict[str, GitHubUser] = {}
        self._fail: list[int] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.authorize_url = f"{self.base_url}/login/oauth/authorize"
        self.token_url = f"{self.base_url}/login/oauth/access_token"
        self.api_url = self.base_url
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # -- the test's side -------------------------------------------------------------------
    def signs_in(self, user: GitHubUser) -> None:
        """The GitHub user who approves the next authorization."""
        self.user = user

    def fail_next(self, status: int) -> None:
        with self._lock:
            self._fail.append(status)

    def settings(self) -> dict[str, str]:
        """The ``LEARNSTREAM_GITHUB_*`` environment pointing at this fake."""
        return {
            "LEARNSTREAM_GITHUB_CLIENT_ID": self.client_id,
            "LEARNSTREAM_GITHUB_CLIENT_SECRET": self.client_secret,
            "LEARNSTREAM_GITHUB_AUTHORIZE_URL": self.authorize_url,
            "LEARNSTREAM_GITHUB_TOKEN_URL": self.token_url,
            "LEARNSTREAM_GITHUB_API_URL": self.api_url,
            "LEARNSTREAM_GITHUB_ALLOW_PRIVATE": "1",
        }

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeGitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the server's side -----------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        with self._lock:
            self.requests.append((method, url.path))
            fail = self._fail.pop(0) if self._fail else None
        if fail is not None:
            return self._send(handler, fail, {"message": "Service unavailable"})
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if method == "GET" and url.path == "/login/oauth/authorize":
            return self._authorize(handler, query)
        if method == "POST" and url.path == "/login/oauth/access_token":
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            return self._token(handler, form)
        if method == "GET" and url.path in ("/user", "/user/emails"):
            scheme, _, token = handler.headers.get("Authorization", "").partition(" ")
            user = self._tokens.get(token) if scheme.lower() == "bearer" else None
            if user is None:
                return self._send(handler, 401, {"message": "Bad credentials"})
            if url.path == "/user":
                return self._send(handler, 200, user.profile())
            return self._send(handler, 200, [
                {"email": e, "primary": p, "verified": v, "visibility": None}
                for e, p, v in user.emails
            ])
        return self._send(handler, 404, {"message": "Not Found"})

    def _authorize(self, handler: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        if query.get("client_id") != self.client_id or self.user is None:
            return self._send(handler, 400, {"message": "unknown client or nobody signs in"})
        code = secrets.token_hex(10)
        with self._lock:
            self._codes[code] = (self.user, query.get("redirect_uri", ""))
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _token(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._send(handler, 200, {"error": "incorrect_client_credentials"})
        with self._lock:
            found = self._codes.pop(form.get("code", ""), None)
        if found is None or found[1] != form.get("redirect_uri"):
            return self._send(handler, 200, {"error": "bad_verification_code",
                                             "error_description": "The code passed is incorrect or expired."})
        token = "gho_" + secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = found[0]
        self._send(handler, 200, {"access_token": token, "token_type": "bearer",
                                  "scope": "read:user,user:email"})

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        raw = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)
