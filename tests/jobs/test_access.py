"""Scope and pinned query counts: published postings are the pool every station refers from, drafts
and every record about a person stay in the owning unit's subtree; list pages cost a fixed number
of queries."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs import services
from tests.conftest import login
from tests.jobs.conftest import make_posting, make_seeker


def test_published_postings_are_seen_everywhere_drafts_only_below(clerk, recruiter, users):
    published = make_posting(clerk, recruiter, title="已发布")
    draft = make_posting(clerk, recruiter, title="草稿岗", publish=False)
    other = login(users["s21_clerk"])  # another district
    assert other.get(f"/jobs/postings/{published.pk}/").status_code == 200
    assert other.get(f"/jobs/postings/{draft.pk}/").status_code == 404
    assert login(users["d1_sup"]).get(f"/jobs/postings/{draft.pk}/").status_code == 200
    body = other.get("/jobs/postings/").content.decode()
    assert "已发布" in body and "草稿岗" not in body
    # The recruiter's page (its papers) is the owning unit's.
    assert other.get(f"/jobs/recruiters/{recruiter.pk}/").status_code == 404
    # Seen everywhere, changed only by the unit that collected it (and those above it).
    assert other.post(f"/jobs/postings/{published.pk}/close/", {"reason": "x"}).status_code == 403
    assert other.get(f"/jobs/postings/{published.pk}/edit/").status_code == 403
    published.refresh_from_db()
    assert published.status == "open"


def test_seekers_and_referrals_stay_in_scope(clerk, posting, users):
    seeker = make_seeker(clerk)
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    sibling = login(users["s12_clerk"])
    for url in (f"/jobs/seekers/{seeker.pk}/", f"/jobs/seekers/{seeker.pk}/matches/",
                f"/jobs/referrals/{referral.pk}/", f"/jobs/referrals/{referral.pk}/letter.pdf"):
        assert sibling.get(url).status_code == 404, url
    assert seeker.number not in sibling.get("/jobs/seekers/").content.decode()
    # From the posting's side another unit's seekers are not ranked for them.
    assert seeker.person.name not in sibling.get(f"/jobs/postings/{posting.pk}/matches/").content.decode()


def test_the_auditor_reads_and_changes_nothing(clerk, posting, users):
    seeker = make_seeker(clerk)
    auditor = login(users["auditor"])
    assert auditor.get(f"/jobs/seekers/{seeker.pk}/").status_code == 200
    assert auditor.post(f"/jobs/seekers/{seeker.pk}/refer/", {"posting": posting.pk}).status_code == 403
    assert auditor.get("/jobs/seekers/new/").status_code == 403
    assert not seeker.referrals.exists()


def _count(client, url) -> int:  # noqa: ANN001
    client.get(url)  # warm: the user's scope and session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# Every page: the session, the user, the user's roles, the user's units (access.scope_unit_ids) — 4.
# Then the page's own (a first page that fits on one page counts itself: no COUNT).
PINNED = {
    "/jobs/postings/": 9,  # + the page (recruiter, employer, occupation, area, unit joined), the page's
                           # employer flags (petitions, one grouped query), the occupation, unit and
                           # work-area choices of the filter
    "/jobs/seekers/": 6,  # + the page (person, unit, desired occupation joined), the filter's units
    "/jobs/referrals/": 6,  # + the page (seeker, person, posting, employer, unit, referrer joined), units
    "/jobs/recruiters/": 7,  # + the page with its open-posting count, the flags, the filter's units
    "/jobs/trainees/": 7,  # + the page (course, person, unit joined), the filter's courses and units
    "/jobs/courses/": 5,  # + the page with its places taken
    "/jobs/fairs/": 5,  # + the page with its counts
}


def test_list_pages_cost_a_fixed_number_of_queries(clerk, recruiter, posting, django_assert_num_queries):
    client = login(clerk)
    seeker = make_seeker(clerk, name="一")
    services.referral_create(by=clerk, seeker=seeker, posting=posting)
    for url in PINNED:
        client.get(url)  # warm
    for url, n in PINNED.items():
        with django_assert_num_queries(n):
            assert client.get(url).status_code == 200
    for n in range(6):
        s = make_seeker(clerk, name=f"多{n}")
        services.referral_create(by=clerk, seeker=s, posting=make_posting(clerk, recruiter, title=f"岗{n}"))
    for url, n in PINNED.items():
        with django_assert_num_queries(n):
            client.get(url)
    assert _count(client, f"/jobs/seekers/{seeker.pk}/matches/") == 16  # 4 + the seeker + 9 (matching) +
    # the page's employer flags + the seeker's open referrals


def test_detail_pages_do_not_grow_with_the_timeline(clerk, posting):
    seeker = make_seeker(clerk)
    client = login(clerk)
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    url = f"/jobs/referrals/{referral.pk}/"
    first = _count(client, url)
    services.referral_interview(referral=referral, by=clerk, interviewed_on=referral.referred_on)
    assert _count(client, url) <= first + 1  # the state changed (another panel's form), not per event
    seeker_url = f"/jobs/seekers/{seeker.pk}/"
    first = _count(client, seeker_url)
    for n in range(3):
        services.referral_create(by=clerk, seeker=seeker, posting=make_posting(clerk, posting.recruiter,
                                                                               title=f"再{n}"))
    assert _count(client, seeker_url) == first


def test_the_seeker_list_filters(clerk, users):
    from tests.jobs.conftest import occupation, skill

    a = make_seeker(clerk, name="焊工甲", skills=[skill("焊工")], desired_occupation=occupation("焊工"))
    b = make_seeker(clerk, name="保洁乙", desired_occupation=occupation("保洁员"), education=2)
    client = login(clerk)

    def numbers(**query) -> set[str]:  # noqa: ANN003
        return {s.number for s in client.get("/jobs/seekers/", query).context["page"].items}

    assert numbers(desired_occupation="电焊工") == {a.number}  # a synonym of 焊工
    assert numbers(skill="电焊") == {a.number}
    assert numbers(education="3") == {a.number}
    assert numbers(desired_occupation="飞行员") == set()
    assert numbers(q=b.number) == {b.number}
    assert numbers() == {a.number, b.number}
