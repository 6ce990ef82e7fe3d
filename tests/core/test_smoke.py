import pytest

from tests.conftest import PASSWORD


@pytest.mark.parametrize("username", ["sysadmin", "secaudit", "auditor", "city_sup", "d1_sup", "d2_sup",
                                      "d1_accountant", "d1_cashier", "s11_clerk", "s11_worker", "s12_clerk",
                                      "s21_clerk"])
def test_every_demo_account_logs_in(client, users, username):
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.context["user"].username == username
