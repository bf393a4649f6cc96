"""The Litestar application."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from api import dependency_batches
from api.bootstrap import Container
from api.dependencies import dependencies
from api.errors import EXCEPTION_HANDLERS
from api.observability import observe
from api.rate_limits import abuse_protection
from api.request_actor import ActorScope
from api.routes.activities import ActivityController
from api.routes.admin import AdminController
from api.routes.analytics import AnalyticsController
from api.routes.api_tokens import ApiTokenController
from api.routes.assessment import AssessmentController, UserAssessmentsController
from api.routes.assessment_results import (
    AssessmentResultsController,
    UserAssessmentDeletionController,
)
from api.routes.audit import AuditController
from api.routes.auth_learnhouse import AuthController
from api.routes.auth_openlearning import OpenLearningAuthController
from api.routes.chapters import ChapterController
from api.routes.collections import CollectionController
from api.routes.content_files import course_thumbnail
from api.routes.course_content import CourseContentController
from api.routes.courses import CourseController
from api.routes.docs import DOC_ROUTES, REDOC, SWAGGER, DocumentJson
from api.routes.gap_analysis import GapAnalysisController
from api.routes.generation import GenerationController
from api.routes.generation_admin import GenerationAdminController
from api.routes.github_auth import GitHubAuthController
from api.routes.health import health
from api.routes.history import HistoryController
from api.routes.knowledge import KnowledgeController
from api.routes.materials import MaterialsController
from api.routes.metrics import metrics
from api.routes.model_keys import ModelKeyController
from api.routes.org_invites import OrgInviteController
from api.routes.orgs import OrgController
from api.routes.roles import RoleController
from api.routes.search import SearchController
from api.routes.trail import TrailController
from api.routes.users import UserController
from api.routes.webhooks import WebhookController

ROUTE_HANDLERS: list[Any] = [
    *DOC_ROUTES,
    health,
    metrics,
    AuthController,
    OpenLearningAuthController,
    GitHubAuthController,
    ModelKeyController,
    KnowledgeController,
    AssessmentController,
    UserAssessmentsController,
    AssessmentResultsController,
    UserAssessmentDeletionController,
    GapAnalysisController,
    MaterialsController,
    OrgController,
    UserController,
    RoleController,
    OrgInviteController,
    GenerationController,
    CourseController,
    course_thumbnail,
    ApiTokenController,
    AdminController,
    GenerationAdminController,
    WebhookController,
    AuditController,
    AnalyticsController,
    HistoryController,
    ChapterController,
    ActivityController,
    CourseContentController,
    CollectionController,
    TrailController,
    SearchController,
]


def create_app(container: Container, *, run_followers: bool | None = None) -> Litestar:
    """Build the app around a container; followers start with the app unless told otherwise."""
    follow = container.settings.run_followers if run_followers is None else run_followers
    dependency_batches.install()

    def on_startup(app: Litestar) -> None:
        app.state.container = container
        container.read_store.dedicate_reads_to_this_thread()  # read routes run on this loop
        if follow and container.loop is None:
            container.start_followers()

    def on_shutdown(app: Litestar) -> None:
        container.close()

    app = Litestar(
        route_handlers=ROUTE_HANDLERS,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        dependencies=dependencies(container),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[abuse_protection(container.settings, container.rate_limiter)],
        request_max_body_size=container.settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="learnstream",
            version="0.1.0",
            description="Event-sourced learning platform: LearnHouse-compatible LMS, "
            "LearningStudio-compatible course generation, OpenLearning-compatible assessments.",
            path="/schema",
            # Litestar's /schema pages: the same document and the same local assets as /docs
            render_plugins=[DocumentJson(path="/openapi.json"), SWAGGER, REDOC],
        ),
        debug=container.settings.debug,
    )
    app.asgi_handler = ActorScope(app.asgi_handler)  # inside observe: it sets the request id
    return observe(app, container)  # outermost: request ids and metrics for every response
