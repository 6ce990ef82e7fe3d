"""The 就业援助 tables: every step of every record, who may take it and when (servicecenter/workflow.py).
The services check them, the pages offer what they allow, ``tests/jobs/test_workflow.py`` is
generated from them.

- Recruiter (用工单位): 待核验 → 已核验 (papers complete) ⇄ 已暂停.
- Posting (岗位): 草稿 → 招聘中 → 已招满 / 已过期; an open posting past its end date is expired
  without anyone acting (``Posting.state``); 续期 puts any of them back to 招聘中.
- Seeker (求职登记): 求职中 → 已就业 (a full-time hire) / 已撤销; 恢复求职 back.
- Referral (推荐): 待反馈 → 已面试 → 已录用 / 未录用 / 未到场; 回访 and 离职 on a hire.
- Course (培训课程): 招生中 → 已结业 / 已取消; Enrolment: 在训 → 已结业 / 已退训.
- JobFair (洽谈会): 筹备中 → 已举办 / 已取消.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from servicecenter import access
from servicecenter.parameters import param
from servicecenter.workflow import Guard, Workflow, step

from .models import Course, Enrolment, JobFair, Paper, Posting, Recruiter, Referral, Seeker

MANAGE = "jobs.manage"
VERIFY = "jobs.verify"
SEEKERS = "jobs.seekers"
REFER = "jobs.refer"
TRAIN = "jobs.train"
EXPORT = "jobs.export"

R, P, S, F = Recruiter.Status, Posting.Status, Seeker.Status, Referral.Status
C, E, J = Course.Status, Enrolment.Status, JobFair.Status


def _today() -> Any:
    return timezone.localdate()


# --- recruiters ----------------------------------------------------------------------------------


def missing_papers(r: Recruiter) -> list[str]:
    """The papers not on file, or on file but past their validity (营业执照已过期)."""
    today = _today()
    have = set(r.papers.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today)).values_list("kind", flat=True))
    expired = set(r.papers.filter(valid_until__lt=today).values_list("kind", flat=True))
    return [label + ("（已过期）" if kind in expired else "") for kind, label in Paper.Kind.choices if kind not in have]


PAPERS_COMPLETE = Guard(lambda r, user: not missing_papers(r),
                        lambda r, user: f"证件不全，尚缺：{'、'.join(missing_papers(r))}。")

RECRUITER_FLOW = Workflow(Recruiter, R, [
    step("edit", "修改", [R.PENDING, R.VERIFIED, R.SUSPENDED], permission=MANAGE),
    step("add_paper", "上传证件", [R.PENDING, R.VERIFIED, R.SUSPENDED], permission=MANAGE),
    step("verify", "核验证件", [R.PENDING, R.SUSPENDED], R.VERIFIED, permission=VERIFY, guards=[PAPERS_COMPLETE],
         refusals={R.VERIFIED: "该单位证件已核验。"}),
    step("suspend", "暂停招聘资格", [R.VERIFIED], R.SUSPENDED, permission=VERIFY),
])


# --- postings ----------------------------------------------------------------------------------------


def _verified(p: Posting, user: Any) -> bool:
    return p.recruiter.is_verified


def _verified_message(p: Posting, user: Any) -> str:
    return f"{p.recruiter}的证件{p.recruiter.get_status_display()}，核验通过后才能发布岗位。"


VERIFIED = Guard(_verified, _verified_message)


def _owned(obj: Any, user: Any) -> bool:
    """Owned by the user's unit or one below it. Published postings and courses are seen by every
    unit (the scope rules in selectors.py); only the owning subtree acts on them."""
    return obj.org_unit_id in access.scope_unit_ids(user)


OWNED = Guard(_owned, lambda obj, user: f"该记录由{obj.org_unit}登记，只有该单位及其上级可以办理。", forbidden=True)
NOT_LAPSED = Guard(lambda p, user: not p.is_lapsed,
                   lambda p, user: f"岗位有效期已于{p.valid_to:%Y-%m-%d}届满，已自动过期，请先续期。")
IN_FORCE = Guard(lambda p, user: p.valid_to >= _today(),
                 lambda p, user: f"有效期截止日（{p.valid_to:%Y-%m-%d}）已过，请先修改有效期。")

POSTING_FLOW = Workflow(Posting, P, [
    step("edit", "修改", [P.DRAFT, P.OPEN], permission=MANAGE, guards=[OWNED, NOT_LAPSED]),
    step("publish", "发布", [P.DRAFT], P.OPEN, permission=MANAGE, guards=[OWNED, VERIFIED, IN_FORCE],
         refusals={P.OPEN: "岗位已发布。"}),
    step("fill", "已招满", [P.OPEN], P.FILLED, permission=MANAGE, guards=[OWNED, NOT_LAPSED]),
    step("close", "停止招聘", [P.OPEN], P.EXPIRED, permission=MANAGE, guards=[OWNED]),
    step("renew", "续期", [P.OPEN, P.FILLED, P.EXPIRED], P.OPEN, permission=MANAGE, guards=[OWNED, VERIFIED]),
])


# --- seekers ------------------------------------------------------------------------------------------

SEEKER_FLOW = Workflow(Seeker, S, [
    step("edit", "修改求职登记", [S.SEEKING, S.PLACED], permission=SEEKERS,
         refusals={S.WITHDRAWN: "求职登记已撤销，请先恢复求职。"}),
    step("photo", "上传照片", [S.SEEKING, S.PLACED], permission=SEEKERS),
    step("refer", "推荐", [S.SEEKING], permission=REFER,
         refusals={S.PLACED: "该求职者已就业，请先恢复求职。", S.WITHDRAWN: "求职登记已撤销，不能推荐。"}),
    # Taken by the hire service when a full-time hire is recorded (not offered as a button).
    step("place", "已就业", [S.SEEKING], S.PLACED, permission=REFER),
    step("withdraw", "撤销求职登记", [S.SEEKING], S.WITHDRAWN, permission=SEEKERS),
    step("resume", "恢复求职", [S.PLACED, S.WITHDRAWN], S.SEEKING, permission=SEEKERS),
])


# --- referrals ------------------------------------------------------------------------------------


def _by_referring_unit(r: Referral, user: Any) -> bool:
    return user.org_unit_id == r.org_unit_id


REFERRING_UNIT = Guard(_by_referring_unit,
                       lambda r, user: f"该推荐由{r.org_unit}办理，结果和回访只能由推荐单位登记。")
NOT_FOLLOWED_UP = Guard(lambda r, user: r.followed_up_on is None,
                        lambda r, user: f"已于{r.followed_up_on:%Y-%m-%d}回访。")
STILL_THERE = Guard(lambda r, user: r.left_on is None, lambda r, user: f"已登记于{r.left_on:%Y-%m-%d}离职。")

REFERRAL_FLOW = Workflow(Referral, F, [
    step("interview", "登记面试", [F.REFERRED], F.INTERVIEWED, permission=REFER, guards=[REFERRING_UNIT]),
    step("hire", "录用", [F.REFERRED, F.INTERVIEWED], F.HIRED, permission=REFER, guards=[REFERRING_UNIT],
         refusals={F.HIRED: "已登记录用。"}),
    step("reject", "未录用", [F.REFERRED, F.INTERVIEWED], F.REJECTED, permission=REFER, guards=[REFERRING_UNIT]),
    step("no_show", "未到场", [F.REFERRED], F.NO_SHOW, permission=REFER, guards=[REFERRING_UNIT]),
    step("follow_up", "就业回访", [F.HIRED], permission=REFER, guards=[REFERRING_UNIT, NOT_FOLLOWED_UP]),
    step("leave", "登记离职", [F.HIRED], permission=REFER, guards=[REFERRING_UNIT, STILL_THERE]),
])


# --- training ----------------------------------------------------------------------------------------


def places_taken(course: Course) -> int:
    return course.enrolments.exclude(status=E.DROPPED).count()


HAS_PLACE = Guard(lambda c, user: places_taken(c) < c.capacity,
                  lambda c, user: f"名额已满（{c.capacity}人），不能再报名。")
COURSE_ENDED = Guard(lambda c, user: c.ends_on <= _today(),
                     lambda c, user: f"课程{c.ends_on:%Y-%m-%d}结束，届时才能结业。")

COURSE_FLOW = Workflow(Course, C, [
    step("enrol", "报名", [C.ENROLLING], permission=TRAIN, guards=[HAS_PLACE],
         refusals={C.FINISHED: "课程已结业，不能报名。", C.CANCELLED: "课程已取消，不能报名。"}),
    step("finish", "课程结业", [C.ENROLLING], C.FINISHED, permission=TRAIN, guards=[OWNED, COURSE_ENDED]),
    step("cancel", "取消课程", [C.ENROLLING], C.CANCELLED, permission=TRAIN,
         guards=[OWNED, Guard(lambda c, user: not c.enrolments.filter(status=E.COMPLETED).exists(),
                       "已有学员结业，不能取消课程。")]),
])


def required_hours(enrolment: Enrolment) -> int:
    """Hours a trainee must attend to complete: ``jobs.completion_attendance_percent`` of the
    course's hours, rounded up."""
    percent = param("jobs.completion_attendance_percent", enrolment.course.org_unit)
    return -(-enrolment.course.hours * int(percent) // 100)


ATTENDED_ENOUGH = Guard(lambda e, user: e.attended_hours >= required_hours(e),
                        lambda e, user: f"出勤{e.attended_hours}课时，未达到结业要求的{required_hours(e)}课时。")

ENROLMENT_FLOW = Workflow(Enrolment, E, [
    step("attend", "登记出勤", [E.ENROLLED], permission=TRAIN),
    step("complete", "结业", [E.ENROLLED], E.COMPLETED, permission=TRAIN, guards=[ATTENDED_ENOUGH]),
    step("drop", "退训", [E.ENROLLED], E.DROPPED, permission=TRAIN),
])


# --- job fairs -------------------------------------------------------------------------------------

ON_THE_DAY = Guard(lambda f, user: f.held_on <= _today(),
                   lambda f, user: f"洽谈会{f.held_on:%Y-%m-%d}举办，当天起才能登记。")

FAIR_FLOW = Workflow(JobFair, J, [
    step("join", "登记参会单位", [J.PLANNED, J.HELD], permission=MANAGE,
         refusals={J.CANCELLED: "洽谈会已取消。"}),
    step("attend", "登记到场求职者", [J.PLANNED, J.HELD], permission=REFER, guards=[ON_THE_DAY]),
    step("refer", "现场推荐", [J.PLANNED, J.HELD], permission=REFER, guards=[ON_THE_DAY]),
    step("hold", "确认举办", [J.PLANNED], J.HELD, permission=MANAGE, guards=[ON_THE_DAY]),
    step("cancel", "取消洽谈会", [J.PLANNED], J.CANCELLED, permission=MANAGE),
])
