"""Training: the discount rule for 下岗证/失业证 holders, shown as a line on the enrolment; capacity
(also under concurrency, on PostgreSQL); attendance, completion and certificates."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from jobs import services
from jobs.models import Course, Enrolment
from servicecenter.models import Person
from tests.conftest import login, make_person
from tests.jobs.conftest import TODAY

D = Decimal


def make_course(by, **overrides) -> Course:  # noqa: ANN001
    data = {"name": "电焊工技能培训", "provider": "绍兴市技工学校", "starts_on": TODAY(),
            "ends_on": TODAY() + datetime.timedelta(days=20), "hours": 40, "capacity": 3, "fee": D("1200.00"),
            "discount_percent": D("50")}
    data.update(overrides)
    return services.course_create(by=by, **data)


@pytest.mark.parametrize(("certificate", "fee", "percent", "discount", "payable"), [
    ("layoff", "1200.00", "50", "600.00", "600.00"),
    ("unemployed", "999.99", "33.3", "333.00", "666.99"),  # 332.99667 → 333.00 (half up, to the cent)
    ("unemployed", "800.00", "100", "800.00", "0.00"),
    ("", "1200.00", "50", "0.00", "1200.00"),  # no certificate: the full fee
    ("layoff", "0.00", "50", "0.00", "0.00"),  # a free course stays free
])
def test_the_discount_rule(clerk, certificate, fee, percent, discount, payable):
    person = make_person(clerk, name="学员", jobless_certificate=certificate,
                         jobless_certificate_number="XG330602001" if certificate else "")
    course = make_course(clerk, fee=D(fee), discount_percent=D(percent))
    enrolment = services.enrolment_create(by=clerk, course=course, person=person)
    assert enrolment.discount == D(discount) and enrolment.payable == D(payable)
    assert enrolment.fee == D(fee)
    if D(discount):
        label = "下岗证" if certificate == "layoff" else "失业证"
        assert enrolment.discount_label == f"持{label}（XG330602001）学费减免{D(percent).normalize():f}%"
        assert enrolment.certificate == certificate
    else:
        assert enrolment.discount_label == "" and enrolment.certificate == ""


def test_the_discount_is_a_line_on_the_enrolment(clerk):
    person = make_person(clerk, name="下岗职工", jobless_certificate="layoff", jobless_certificate_number="XG001")
    enrolment = services.enrolment_create(by=clerk, course=make_course(clerk), person=person)
    body = login(clerk).get(f"/jobs/enrolments/{enrolment.pk}/").content.decode()
    assert 'data-testid="discount-line"' in body and "持下岗证（XG001）学费减免50%" in body and "−600.00" in body
    assert '<td class="points" data-testid="payable">600.00</td>' in body


def test_the_discount_percent_defaults_to_the_parameter(clerk, units):
    from tests.jobs.conftest import set_param

    set_param(units["330602"], "jobs.training_discount_percent", "30")
    course = services.course_create(by=clerk, name="x", provider="y", starts_on=TODAY(), ends_on=TODAY(), hours=1,
                                    capacity=1, fee=D("100"))
    assert course.discount_percent == D("30")


def test_a_course_over_capacity_is_refused(clerk):
    course = make_course(clerk, capacity=2)
    people = [make_person(clerk, name=f"学员{i}") for i in range(3)]
    services.enrolment_create(by=clerk, course=course, person=people[0])
    services.enrolment_create(by=clerk, course=course, person=people[1])
    with pytest.raises(ValidationError, match=r"名额已满（2人）"):
        services.enrolment_create(by=clerk, course=course, person=people[2])
    response = login(clerk).post(f"/jobs/courses/{course.pk}/enrol/", {"person": people[2].id_number})
    assert "名额已满（2人）" in response.content.decode()
    assert Enrolment.objects.filter(course=course).count() == 2
    # A trainee who drops out frees the place.
    services.enrolment_drop(enrolment=Enrolment.objects.first(), by=clerk, reason="找到工作")
    services.enrolment_create(by=clerk, course=course, person=people[2])


def test_bad_course_input_is_refused_at_the_field(clerk):
    with pytest.raises(ValidationError) as caught:
        make_course(clerk, ends_on=TODAY() - datetime.timedelta(days=1), capacity=0)
    assert "不能早于开班日期" in caught.value.message_dict["ends_on"][0]
    assert caught.value.message_dict["capacity"] == ["名额至少为1。"]
    assert not Course.objects.exists()


def test_attendance_completion_and_certificate(clerk, freeze):
    course = make_course(clerk, hours=10)
    enrolment = services.enrolment_create(by=clerk, course=course, person=make_person(clerk, name="学员"))
    services.enrolment_attend(enrolment=enrolment, by=clerk, hours=6)
    with pytest.raises(ValidationError, match="出勤6课时，未达到结业要求的8课时"):
        services.enrolment_complete(enrolment=enrolment, by=clerk)
    with pytest.raises(ValidationError) as caught:
        services.enrolment_attend(enrolment=enrolment, by=clerk, hours=5)
    assert "不能超过课程总课时" in caught.value.message_dict["hours"][0]
    services.enrolment_attend(enrolment=enrolment, by=clerk, hours=2)
    services.enrolment_complete(enrolment=enrolment, by=clerk, certificate_no="SX-2026-0001")
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED and enrolment.certificate_no == "SX-2026-0001"
    with pytest.raises(ValidationError, match="届时才能结业"):
        services.course_finish(course=course, by=clerk)
    freeze(course.ends_on)
    services.course_finish(course=course, by=clerk)


def test_the_same_person_twice_on_one_course_is_refused(clerk):
    course = make_course(clerk)
    person = make_person(clerk, name="学员")
    services.enrolment_create(by=clerk, course=course, person=person)
    with pytest.raises(ValidationError) as caught:
        services.enrolment_create(by=clerk, course=course, person=person)
    assert caught.value.message_dict["person"] == ["学员已报名该课程。"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_capacity_holds_under_concurrency(users):
    """12 clerks' requests at once for a course with 5 places: exactly 5 enrolments, 7 refusals."""
    clerk = users["s11_clerk"]
    course = make_course(clerk, capacity=5)
    people = [make_person(clerk, name=f"学员{i}") for i in range(12)]
    start = threading.Barrier(len(people))
    ok: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def work(person: Person) -> None:
        try:
            start.wait(timeout=30)
            services.enrolment_create(by=clerk, course=Course.objects.get(pk=course.pk), person=person)
            ok.append(person.pk)
        except ValidationError as exc:
            refused.append(" ".join(exc.messages))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(ok) == 5 and len(refused) == 7
    assert all("名额已满" in m for m in refused)
    assert Enrolment.objects.filter(course=course).count() == 5
