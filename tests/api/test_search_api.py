"""Search: prefix, accents/case, ranking, true totals, visibility, limits, read-your-writes."""

from __future__ import annotations

import re

from tests.api.content_helpers import create_activity, create_chapter


def _search(client, query, headers=None, **params):
    response = client.get("/api/v1/search/org_slug/default", params={"query": query, **params}, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def test_prefix_accent_and_case_insensitive_course_search_reads_its_writes(api, client):
    admin = api.admin()
    python = api.create_course(admin, name="Introduction to Python")
    api.create_course(admin, name="Café Crème basics", description="French pastry", about="Desserts.")
    found = client.get("/api/v1/courses/org_slug/default/search?query=pyth&page=1&limit=10", headers=admin)
    assert found.status_code == 200 and [c["course_uuid"] for c in found.json()] == [python["course_uuid"]]
    assert {"id", "course_uuid", "name", "authors", "org_id"} <= set(found.json()[0])
    for query in ("CAFE", "creme", "crè", "Café"):
        names = [c["name"] for c in client.get(f"/api/v1/courses/org_slug/default/search?query={query}", headers=admin).json()]
        assert names == ["Café Crème basics"], query


def test_ranking_title_before_body_and_true_totals(api, client):
    admin = api.admin()
    api.create_course(admin, name="Cooking", about="Also a bit of rust removal from pans")
    title = api.create_course(admin, name="Rust programming")
    for i in range(11):
        api.create_course(admin, name=f"Rust extra {i}")
    ranked = client.get("/api/v1/courses/org_slug/default/search?query=rust&limit=50", headers=admin).json()
    assert ranked[-1]["name"] == "Cooking" and title["course_uuid"] in [c["course_uuid"] for c in ranked[:12]]
    grouped = _search(client, "rust", admin, limit=5)
    assert grouped["total_courses"] == 13 and len(grouped["courses"]) == 5
    page3 = client.get("/api/v1/courses/org_slug/default/search?query=rust&page=3&limit=5", headers=admin).json()
    assert len(page3) == 3


def test_grouped_search_covers_chapters_activities_collections(api, client):
    admin = api.admin()
    course = api.create_course(admin, name="Databases")
    chapter = create_chapter(client, admin, course, name="Postgres internals")
    create_activity(client, admin, chapter, name="Vacuum", content={"type": "doc", "content": [{"type": "text", "text": "postgres autovacuum tuning"}]})
    client.post("/api/v1/collections/", json={"name": "Postgres path", "public": True, "org_id": 1, "courses": [course["id"]]}, headers=admin)
    result = _search(client, "postgr", admin)
    assert result["chapters"]["total"] == 1 and result["chapters"]["items"][0]["uuid"] == chapter["chapter_uuid"]
    assert result["activities"]["total"] == 1 and result["activities"]["items"][0]["name"] == "Vacuum"
    assert result["collections"]["total"] == 1 and result["total_courses"] == 0
    assert result["index_lag"] >= 0


def test_visibility_private_unpublished_and_other_orgs(api, client):
    admin = api.admin()
    public = api.create_course(admin, name="Kotlin open")
    api.create_course(admin, name="Kotlin secret", public=False)
    chapter = create_chapter(client, admin, public)
    create_activity(client, admin, chapter, name="Kotlin draft", published=False)
    create_activity(client, admin, chapter, name="Kotlin live")
    other = api.create_org(admin, "rival")
    outsider = api.member(other["id"], "outsider@example.com")
    member = api.member(1, "member@example.com")
    client.cookies.clear()
    for headers in ({}, outsider):
        r = _search(client, "kotlin", headers)
        assert [c["name"] for c in r["courses"]] == ["Kotlin open"] and r["total_courses"] == 1
        assert [a["name"] for a in r["activities"]["items"]] == ["Kotlin live"]
    assert _search(client, "kotlin", member)["total_courses"] == 2
    assert _search(client, "kotlin", member)["activities"]["total"] == 1
    assert _search(client, "kotlin", admin)["activities"]["total"] == 2
    rival = client.get("/api/v1/search/org_slug/rival", params={"query": "kotlin"}, headers=admin).json()
    assert rival["total_courses"] == 0


def test_limits_and_bad_queries(api, client):
    admin = api.admin()
    too_many = client.get("/api/v1/courses/org_slug/default/search?query=x&limit=51", headers=admin)
    assert too_many.status_code == 422 and too_many.json()["field"] == "limit"
    assert client.get("/api/v1/courses/org_slug/default/search?query=", headers=admin).status_code == 422
    assert client.get("/api/v1/courses/org_slug/default/search?query=" + "a" * 201, headers=admin).status_code == 422
    assert client.get("/api/v1/courses/org_slug/nowhere/search?query=x", headers=admin).status_code == 404
    odd = client.get('/api/v1/courses/org_slug/default/search?query=" OR * NEAR(', headers=admin)
    assert odd.status_code == 200 and odd.json() == []


def test_activity_hits_title_first_then_body_and_pages_across_both(api, client):
    admin = api.admin()
    chapter = create_chapter(client, admin, api.create_course(admin, name="Numbers"))
    body_only = [
        create_activity(client, admin, chapter, name=f"Lesson {i}", content={"text": "about matrices"})
        for i in range(3)
    ]
    titled = create_activity(client, admin, chapter, name="Matrices explained")
    first = _search(client, "matri", admin, limit=2)
    assert first["activities"]["total"] == 4
    assert [a["uuid"] for a in first["activities"]["items"]] == [titled["activity_uuid"], body_only[2]["activity_uuid"]]
    rest = _search(client, "matri", admin, limit=2, page=2)
    assert [a["uuid"] for a in rest["activities"]["items"]] == [body_only[1]["activity_uuid"], body_only[0]["activity_uuid"]]


def test_long_words_and_word_pieces_are_found_by_their_prefixes(api, client):
    admin = api.admin()
    long = api.create_course(admin, name="Internationalization in practice")
    api.create_course(admin, name="Snake_case naming", about="Conventions.")

    def names(query):
        response = client.get("/api/v1/courses/org_slug/default/search", params={"query": query}, headers=admin)
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()]

    for query in ("i", "intern", "internationaliz", "internationalization", "INTERNATIONALIZATION practice"):
        assert names(query) == [long["name"]], query
    assert names("internationalizatiox") == []  # a longer term than any word finds nothing
    assert names("case") == ["Snake_case naming"]  # "_" separates words, as in FTS5


def test_visibility_and_text_follow_later_changes(api, client):
    admin = api.admin()
    course = api.create_course(admin, name="Zebra studies")
    chapter = create_chapter(client, admin, course)
    activity = create_activity(client, admin, chapter, name="Zebra stripes")
    member = api.member(1, "member@example.com")
    client.cookies.clear()

    def seen(headers, query="zebra"):
        r = _search(client, query, headers)
        return r["total_courses"], r["activities"]["total"]

    assert seen({}) == (1, 1)
    put = client.put(f"/api/v1/courses/{course['course_uuid']}", json={"published": False}, headers=admin)
    assert put.status_code == 200, put.text
    assert seen({}) == (0, 0) and seen(member) == (0, 0) and seen(admin) == (1, 1)
    client.put(f"/api/v1/courses/{course['course_uuid']}", json={"published": True, "public": False}, headers=admin)
    assert seen({}) == (0, 0) and seen(member) == (1, 1)
    client.put(f"/api/v1/activities/{activity['activity_uuid']}", json={"published": False}, headers=admin)
    assert seen(member) == (1, 0) and seen(admin) == (1, 1)
    client.put(f"/api/v1/activities/{activity['activity_uuid']}", json={"name": "Quokka habits"}, headers=admin)
    assert seen(admin, "zebr") == (1, 0)
    assert seen(admin, "quokk") == (0, 1) and seen(admin, "QUOKKA hab") == (0, 1)
    assert seen(admin, "quokkas") == (0, 0)


class Expected:
    """What a reader may find, kept by the test beside its own requests: each doc's words and
    flags, and the visibility rules of the catalog, with no use of the index."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}

    def add(self, key: str, kind: str, title: str, body: str = "", course: str | None = None,
            chapter: str | None = None, author: str | None = None, public: bool = True,
            published: bool = True) -> None:
        self.docs[key] = {"kind": kind, "title": title, "body": body, "course": course or key,
                          "chapter": chapter, "author": author, "public": public, "published": published}

    def remove(self, key: str) -> None:
        self.docs = {k: d for k, d in self.docs.items()
                     if key not in (k, d["chapter"]) and (d["kind"] == "collection" or d["course"] != key)}

    def visible(self, doc: dict, everything: bool, member: bool, author: str | None) -> bool:
        if everything:
            return True
        if doc["kind"] == "collection":
            return doc["public"] or member
        course = self.docs[doc["course"]]
        mine = author is not None and course["author"] == author
        opened = course["published"] and (course["public"] or member)
        return (opened or mine) and (doc["kind"] == "course" or doc["published"] or mine)

    def counts(self, term: str, everything: bool = False, member: bool = False,
               author: str | None = None) -> dict[str, tuple[int, int]]:
        def has(text: str) -> bool:
            return any(w.startswith(term) for w in re.findall(r"[a-z0-9]+", text.lower()))

        out = {kind: (0, 0) for kind in ("course", "chapter", "activity", "collection")}
        for doc in self.docs.values():
            if self.visible(doc, everything, member, author) and (has(doc["title"]) or has(doc["body"])):
                n, in_title = out[doc["kind"]]
                out[doc["kind"]] = (n + 1, in_title + int(doc["kind"] == "activity" and has(doc["title"])))
        return out


def test_one_term_totals_agree_with_counting_the_matches_through_every_change(api, client, container):
    """Totals (prefix counts on PostgreSQL, FTS5 on SQLite) and ``recount`` (the index's own
    matches) must both equal what the test expects from the docs it wrote, after each creation,
    rename, visibility change and deletion, in every scope."""
    from projections.queries.search import SearchScope

    admin = api.admin()
    instructor = api.signup(1, "teacher@example.com")
    api.set_role(admin, 1, instructor["id"], "role_global_instructor")
    teacher = api.login("teacher@example.com", "password-123")
    member = api.member(1, "learner@example.com")
    queries = container.search.queries
    org = container.orgs.org_uuid_by_slug("default")
    scopes = {
        SearchScope(org_uuid=org, everything=True): {"everything": True},
        SearchScope(org_uuid=org, member=True): {"member": True},
        SearchScope(org_uuid=org): {},
    }
    expected = Expected()
    default_text = "A beginner-friendly Python course Learn Python from scratch."

    def agree():
        for scope, who in scopes.items():
            for term in ("w", "wal", "walr", "walruses", "narw", "n", "whale", "tusk", "zz"):
                wanted = expected.counts(term, **who)
                assert queries.totals(scope, term) == {k: n for k, (n, _) in wanted.items()}, (term, who)
                assert queries.recount(scope, term) == wanted, (term, who)
                assert queries._counts([term], "activity", scope) == wanted["activity"], (term, who)

    own = api.create_course(teacher, name="Walrus private", public=False)
    expected.add("own", "course", "Walrus private", default_text, author="teacher", public=False)
    scopes[SearchScope(org_uuid=org, member=True, author_uuid=own["authors"][0]["user"]["user_uuid"].removeprefix("user_"))] = {
        "member": True, "author": "teacher"}
    open_course = api.create_course(admin, name="Walrus and narwhal", about="Narwhals of the north.")
    expected.add("open", "course", "Walrus and narwhal", "A beginner-friendly Python course Narwhals of the north.", author="admin")
    doomed = api.create_course(admin, name="Narwhal doomed")
    expected.add("doomed", "course", "Narwhal doomed", default_text, author="admin")
    chapters = []
    for i, (h, c, key) in enumerate([(teacher, own, "own"), (admin, open_course, "open"), (admin, doomed, "doomed")]):
        chapters.append(create_chapter(client, h, c, name=f"Walrus chapter {i}"))
        expected.add(f"ch{i}", "chapter", f"Walrus chapter {i}", course=key)
    acts = []
    for i, (h, ch, (name, text)) in enumerate(zip(
        [teacher, admin, admin, admin], [0, 1, 1, 2],
        [("Walrus tusks", "narwhal teeth"), ("Narwhal songs", "walrus calls"), ("Ice", "walruses"), ("Gone", "narwhal")],
        strict=True,
    )):
        acts.append(create_activity(client, h, chapters[ch], name=name, content={"type": "text", "text": text}))
        expected.add(f"act{i}", "activity", name, text, course=expected.docs[f"ch{ch}"]["course"], chapter=f"ch{ch}")
    shelf = client.post("/api/v1/collections/", json={"name": "Walrus shelf", "public": False, "org_id": 1, "courses": [open_course["id"]]}, headers=admin)
    assert shelf.status_code == 200, shelf.text
    expected.add("shelf", "collection", "Walrus shelf", public=False)
    agree()

    def edit(key, **changes):
        def apply():
            expected.docs[key].update(changes)
        return apply

    changes = [
        (lambda: client.put(f"/api/v1/activities/{acts[1]['activity_uuid']}", json={"name": "Whale songs"}, headers=admin),
         edit("act1", title="Whale songs")),
        (lambda: client.put(f"/api/v1/activities/{acts[2]['activity_uuid']}", json={"published": False}, headers=admin),
         edit("act2", published=False)),
        (lambda: client.put(f"/api/v1/courses/{open_course['course_uuid']}", json={"public": False}, headers=admin),
         edit("open", public=False)),
        (lambda: client.put(f"/api/v1/courses/{own['course_uuid']}", json={"published": False}, headers=teacher),
         edit("own", published=False)),
        (lambda: client.put(f"/api/v1/collections/{shelf.json()['collection_uuid']}", json={"public": True}, headers=admin),
         edit("shelf", public=True)),
        (lambda: client.delete(f"/api/v1/activities/{acts[3]['activity_uuid']}", headers=admin),
         lambda: expected.remove("act3")),
        (lambda: client.delete(f"/api/v1/chapters/{chapters[0]['id']}", headers=teacher),
         lambda: expected.remove("ch0")),
        (lambda: client.delete(f"/api/v1/courses/{doomed['course_uuid']}", headers=admin),
         lambda: expected.remove("doomed")),
    ]
    for change, expect in changes:
        response = change()
        assert response.status_code == 200, response.text
        expect()
        agree()
    client.cookies.clear()

    def totals(headers, query):
        r = _search(client, query, headers, limit=1)
        return r["total_courses"], r["chapters"]["total"], r["activities"]["total"], r["collections"]["total"]

    assert totals(admin, "walrus") == (2, 1, 2, 1)  # "walruses" counts once, as a prefix match
    assert totals(admin, "narwhal")[2] == 0 and totals(member, "walrus")[2] == 1
    assert totals(teacher, "walrus") == (2, 1, 1, 1)  # the own unpublished course, not the draft
    assert totals({}, "walrus") == (0, 0, 0, 1)  # only the collection made public


def test_a_huge_word_or_a_prefix_of_thousands_of_words_keeps_search_working(api, client):
    """PostgreSQL refuses lexemes of 2 KB and more, and a prefix expanded to thousands of words
    would overflow its query parser: neither may stop the index or fail a query."""
    admin = api.admin()
    chapter = create_chapter(client, admin, api.create_course(admin, name="Edge cases"))
    create_activity(client, admin, chapter, name="Giant", content={"type": "text", "text": "x" * 3000 + " okapi"})
    many = " ".join(f"tapir{i:04d}" for i in range(1200))
    create_activity(client, admin, chapter, name="Many tapirs", content={"type": "text", "text": many})
    create_activity(client, admin, chapter, name="One tapir", content={"type": "text", "text": "tapir"})
    giant = _search(client, "okapi", admin)
    assert [a["name"] for a in giant["activities"]["items"]] == ["Giant"]
    tapirs = _search(client, "tapi", admin)
    assert tapirs["activities"]["total"] == 2
    assert {a["name"] for a in tapirs["activities"]["items"]} == {"Many tapirs", "One tapir"}
    assert _search(client, "tapi rust", admin)["activities"]["total"] == 0
    assert _search(client, "tapir0999", admin)["activities"]["total"] == 1
