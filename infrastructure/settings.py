"""One typed settings object, read from ``LEARNSTREAM_*`` environment variables.

Nothing reads the environment at import time: ``Settings.from_env()`` is called by the
composition root (and by tests with an explicit mapping).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import msgspec


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    data_dir: Path = Path("./var")
    database_url: str = ""  # empty → embedded SQLite under data_dir
    redis_url: str = ""
    jwt_secret: str = ""  # empty → generated once and kept in data_dir
    access_token_minutes: int = 60 * 8
    refresh_token_days: int = 30
    admin_email: str = ""
    admin_password: str = ""
    run_followers: bool = True
    read_your_writes_timeout: float = 5.0
    max_upload_bytes: int = 10 * 1024 * 1024
    max_body_bytes: int = 12 * 1024 * 1024
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    page_limit_max: int = 100
    #: "default" (argon2id t=3, 64 MiB) or "test" (argon2id t=1, 1 MiB) to keep test suites fast
    argon2_profile: str = "default"
    debug: bool = False
    # -- API tokens and rate limits (tokens issue) ------------------------------------------
    #: key for the API tokens' keyed hash; empty → generated once and kept in data_dir.
    #: Every API process sharing one database must use the same key.
    api_token_key: str = ""
    #: how often coalesced ``last_used_at`` values are written (seconds)
    api_token_usage_flush_seconds: float = 15.0
    #: Redis keys (rate limits, login throttle) live under this prefix
    redis_prefix: str = "learnstream:"
    rate_limit_enabled: bool = True
    #: limits as COUNT/SECONDS, per credential (or per IP without one) and route group
    rate_limit_read: str = "6000/60"
    rate_limit_write: str = "1200/60"
    rate_limit_auth: str = "120/60"
    rate_limit_tokens: str = "60/60"
    #: every request from one IP, whatever its credential
    rate_limit_ip: str = "12000/60"
    # -- webhooks (webhooks issue) ----------------------------------------------------------
    #: allow webhook URLs on private/loopback/link-local addresses (tests on loopback set it)
    webhooks_allow_private: bool = False
    #: run a delivery worker beside the followers (``serve`` and ``worker``)
    webhooks_worker: bool = True
    webhooks_timeout: float = 10.0
    webhooks_concurrency: int = 128
    webhooks_per_endpoint: int = 8
    #: a claimed delivery is sent again after this long if its worker died mid-send
    webhooks_lease_seconds: float = 30.0
    webhooks_poll_seconds: float = 1.0
    webhooks_attempt_log: int = 1000
    webhooks_disable_after_days: float = 5.0
    webhooks_retention_days: float = 30.0
    #: AES-GCM key (base64, 32 bytes) sealing webhook secrets; empty → generated in data_dir.
    #: Every process sharing one database must use the same key.
    secret_box_key: str = ""

    # -- language model (AI workflows) -------------------------------------------------------
    #: "offline" (deterministic, no network) or "anthropic"
    ai_provider: str = "offline"
    #: server-wide key, used when an organisation or user has set none
    anthropic_api_key: str = ""
    #: empty → the SDK's default endpoint
    anthropic_base_url: str = ""
    anthropic_model: str = "claude-sonnet-4-5"
    anthropic_max_tokens: int = 4096
    anthropic_timeout: float = 60.0
    #: attempts per call, the first included (429, 529, 5xx, timeouts, unreadable answers)
    anthropic_max_attempts: int = 3

    # -- adaptive skill assessment (OpenLearning) ------------------------------------------
    #: a directory with skills.toml and roles/*.toml; empty -> the knowledge base shipped
    #: with the package. Checked at start-up: a broken file stops the start.
    knowledge_base_dir: str = ""
    #: a session idle this long is timed out (410 "Session has timed out")
    assessment_timeout_minutes: float = 30.0
    #: PostgreSQL connections for the workflow checkpoints, per API process
    assessment_checkpoint_pool: int = 8

    # -- AI course generation (LearningStudio) ---------------------------------------------
    #: plans as NAME:MONTHLY_CREDITS; a plan with 0 credits does not include generation
    generation_plans: str = "free:0,starter:50,pro:500,enterprise:5000"
    #: the plan of an org that has none set (the headless admin route sets one)
    generation_default_plan: str = "free"
    #: the plan of org ``default`` (the instance's first org) while it has none set
    generation_default_org_plan: str = "pro"
    #: generation requests per API key (or signed-in user), COUNT/SECONDS
    generation_rate_limit: str = "30/60"
    #: run a generation worker beside the followers (``serve`` and ``worker``)
    generation_worker: bool = True
    #: ``serve`` runs that worker in a child process (another core) instead of a thread of
    #: the API's process
    generation_worker_process: bool = True
    #: jobs one worker runs at once (asyncio tasks in one thread)
    generation_concurrency: int = 64
    #: a claimed job is taken over by another worker this long after its worker died
    generation_lease_seconds: float = 60.0
    generation_poll_seconds: float = 1.0
    #: attempts per job (a worker that dies mid-job costs one); then the job fails
    generation_max_attempts: int = 3
    #: wait before the next attempt after a failed one (or the model's retry-after, if longer)
    generation_retry_seconds: float = 30.0
    #: an attempt still running after this long is stopped and the next one starts
    generation_attempt_timeout_seconds: float = 1800.0
    #: where LangGraph checkpoints live: empty → the event log's PostgreSQL schema, or
    #: ``generation_checkpoints.sqlite3`` in the data dir; else a postgresql:// URL or a path
    generation_checkpoint_url: str = ""
    #: the public address of this server, e.g. https://learn.example.com: a generated
    #: course's ``shareUrl`` is ``{public_base_url}/course/{course uuid}`` (relative when empty)
    public_base_url: str = ""

    # -- metrics and logs (observability) --------------------------------------------------
    #: bearer token for ``GET /metrics``; empty → served to loopback clients only
    metrics_token: str = ""
    #: a directory shared by this host's learnstream processes (API and workers) so any of
    #: them serves the sums of all (Prometheus multiprocess mode); empty → this process alone.
    #: Empty it before the processes start.
    metrics_dir: str = ""
    #: "text" (human-readable lines) or "json" (one object per line, with the request id)
    log_format: str = "text"
    #: addresses (or networks) of reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` name the client, comma-separated, e.g. ``127.0.0.1`` for a proxy
    #: on this host; empty → no proxy is trusted and the client is the connection's peer
    #: (login throttling, rate limits and the metrics loopback rule key on that address)
    trusted_proxies: str = ""

    # -- assessment results and GitHub sign-in (OpenLearning, part 2) ----------------------
    #: write learning materials in the background when an assessment completes (in every
    #: process that follows the log: ``serve`` and ``worker``)
    assessment_materials_worker: bool = True
    #: sessions one process writes materials for at once
    assessment_materials_concurrency: int = 8
    #: a claimed session is taken over by another process this long after its worker died
    assessment_materials_lease_seconds: float = 120.0
    assessment_materials_poll_seconds: float = 2.0
    #: wait before a failed run is tried again; after 3 failed runs the offline writer is used
    assessment_materials_retry_seconds: float = 60.0
    #: GitHub OAuth app; both empty -> ``GET /api/auth/github`` answers 501
    github_client_id: str = ""
    github_client_secret: str = ""
    github_authorize_url: str = "https://github.com/login/oauth/authorize"
    github_token_url: str = "https://github.com/login/oauth/access_token"  # noqa: S105 (a URL)
    github_api_url: str = "https://api.github.com"
    #: the callback URL registered with GitHub; empty -> this request's own
    #: ``{scheme}://{host}/api/auth/github/callback``
    github_callback_url: str = ""
    #: how long a sign-in started may take before its signed ``state`` expires
    github_state_minutes: float = 10.0
    github_timeout: float = 10.0
    #: allow the GitHub URLs on loopback/private addresses (tests with a local fake set it)
    github_allow_private: bool = False

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in msgspec.structs.fields(cls):
            raw = env.get(f"LEARNSTREAM_{field.name.upper()}")
            if raw is not None and raw != "":
                values[field.name] = raw
        return msgspec.convert(values, cls, strict=False, dec_hook=_decode_path)


def _decode_path(type_: type, obj: object) -> object:
    if type_ is Path and isinstance(obj, str):
        return Path(obj)
    raise NotImplementedError


class PostgresDsn(msgspec.Struct, frozen=True):
    host: str
    port: int
    dbname: str
    user: str
    password: str
    schema: str

    @classmethod
    def parse(cls, url: str) -> PostgresDsn:
        parts = urlparse(url)
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            dbname=(parts.path or "/postgres").lstrip("/") or "postgres",
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            schema=query.get("schema", ["public"])[0],
        )

    def conninfo(self) -> str:
        pieces = [
            f"host={self.host}",
            f"port={self.port}",
            f"dbname={self.dbname}",
            f"user={self.user}",
        ]
        if self.password:
            pieces.append(f"password={self.password}")
        return " ".join(pieces)
