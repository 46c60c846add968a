"""Domain models: frozen, and their reprs never show personal data or secrets."""

from pydantic import SecretStr

from mfasync import models


def test_desired_method_repr_hides_full_phone_number_and_secret() -> None:
    method = models.DesiredMethod(
        type=models.MethodType.TOTP,
        name="App",
        totp_secret=models.SecretSource(value=SecretStr("JBSWY3DPEHPK3PXP")),
    )
    phone = models.DesiredMethod(type=models.MethodType.PHONE, phone_number="+14155550123")
    text = repr(method) + str(method) + repr(phone) + str(phone)
    assert "JBSWY3DPEHPK3PXP" not in text
    assert "+14155550123" not in text
    assert "…0123" in text


def test_user_key_is_user_id_or_email() -> None:
    assert models.DesiredUser(user_id="auth0|a").key == "auth0|a"
    assert models.DesiredUser(email="a@example.com").key == "email:a@example.com"


def test_live_method_passes_unknown_types_through() -> None:
    live = models.LiveMethod.model_validate({"id": "x|1", "type": "holo-key", "extra_field": 1})
    assert live.type == "holo-key"
    assert not live.managed
