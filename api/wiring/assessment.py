"""How the adaptive assessment is built from settings: the knowledge base (checked at start-up,
a broken file stops it), users' sealed model keys, per-session data keys, the workflow's
checkpointer and the ``Assessments`` service. Called by ``api.wiring.build_services``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from api.wiring.assessment_results import ResultsServices, build_results
from application.assessment import Assessments
from application.assessment_engine import AssessmentEngine
from application.evaluator import Evaluator
from application.knowledge import Knowledge
from application.model_evaluator import ModelEvaluator
from application.model_keys import ModelKeys
from application.offline_evaluator import OfflineEvaluator
from domain.knowledge import KnowledgeBase
from infrastructure.ai import AnthropicModels
from infrastructure.checkpoints import Checkpoints
from infrastructure.knowledge_base import load_knowledge_base
from infrastructure.model_keys import SealedModelKeys
from infrastructure.secret_box import SecretBox
from infrastructure.session_keys import SessionKeys
from infrastructure.settings import PostgresDsn, Settings
from projections.assessment_results import AssessmentResultsProjection
from projections.assessments import AssessmentsProjection
from projections.queries.assessments import AssessmentQueries
from projections.queries.identity import IdentityQueries

if TYPE_CHECKING:
    from api.stores import Stores


@lru_cache(maxsize=1)
def _shipped_knowledge_base() -> KnowledgeBase:
    # Immutable and the same for every container of the process (tests build many).
    return load_knowledge_base()


def knowledge_base(settings: Settings) -> KnowledgeBase:
    """Raises ``KnowledgeBaseError`` naming each broken file and concept."""
    if settings.knowledge_base_dir:
        return load_knowledge_base(Path(settings.knowledge_base_dir))
    return _shipped_knowledge_base()


def anthropic_models(settings: Settings) -> AnthropicModels:
    if settings.ai_provider == "anthropic":
        # Imported while the process starts, not inside a learner's first request.
        import infrastructure.ai.anthropic_model  # noqa: F401
    return AnthropicModels(
        model=settings.anthropic_model, max_tokens=settings.anthropic_max_tokens,
        timeout=settings.anthropic_timeout, base_url=settings.anthropic_base_url or None,
        max_attempts=settings.anthropic_max_attempts,
    )


def checkpoints(settings: Settings) -> Checkpoints:
    if settings.uses_postgres:
        dsn = PostgresDsn.parse(settings.database_url)
        return Checkpoints(postgres=(dsn.conninfo(), dsn.schema),
                           pool_size=settings.assessment_checkpoint_pool)
    return Checkpoints(sqlite_path=settings.data_dir / "checkpoints.sqlite3")


@dataclass(frozen=True)
class AssessmentServices:
    """What ``Services`` holds for OpenLearning."""

    knowledge: Knowledge
    model_keys: ModelKeys
    assessments: Assessments
    results: ResultsServices


def build_assessment(
    settings: Settings, stores: Stores, projection: AssessmentsProjection,
    identity: IdentityQueries, box: SecretBox, results: AssessmentResultsProjection,
) -> AssessmentServices:
    """The OpenLearning services, and their results' (``api.wiring.assessment_results``)."""
    kb = knowledge_base(settings)
    models = anthropic_models(settings)
    model_keys = ModelKeys(
        stores.writer, SealedModelKeys(stores.read_store, box),
        lambda key: models.for_key(key).check_key(),
        provider=settings.ai_provider, server_key=settings.anthropic_api_key,
    )
    offline = OfflineEvaluator()

    def evaluator_for(user_id: UUID) -> Evaluator:
        key = model_keys.require(user_id)
        return offline if key is None else ModelEvaluator(models.for_key(key))

    def org_for(user_uuid: str) -> str | None:
        # Webhooks are per org: a member's sessions belong to their first org, anyone
        # else's to the platform's own org.
        orgs = identity.orgs_of_user(user_uuid)
        if orgs:
            return orgs[0].org_uuid.removeprefix("org_")
        row = identity.org_by_slug("default")
        return None if row is None else str(row["org_uuid"])

    store = checkpoints(settings)
    engine = AssessmentEngine(stores.events, kb, store, time.time)
    keys = SessionKeys(stores.read_store, box)
    queries = AssessmentQueries(projection)
    assessments = Assessments(
        events=stores.events, kb=kb, engine=engine,
        keys=keys, queries=queries,
        barrier=stores.board, evaluator_for=evaluator_for, org_for=org_for,
        timeout_seconds=settings.assessment_timeout_minutes * 60,
        read_timeout=settings.read_your_writes_timeout,
    )

    async def forget_run(session_id: str) -> None:
        # A deleted session's checkpoint holds only sealed text; it goes all the same, and
        # so does this process's copy of the session.
        assessments.forget(session_id)
        saver = await store.saver()
        await saver.adelete_thread(session_id)

    return AssessmentServices(
        knowledge=Knowledge(kb), model_keys=model_keys, assessments=assessments,
        results=build_results(
            settings, events=stores.events, barrier=stores.board, kb=kb, models=models,
            worker_models=anthropic_models(settings), model_keys=model_keys, keys=keys,
            sessions=queries, results=results, forget=[forget_run],
        ),
    )
