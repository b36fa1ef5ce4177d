"""Start-up checks: each missing part is named (Chinese and English), a correct set-up passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error, Warning, run_checks
from django.core.management import call_command
from django.test import override_settings

from smartduty.kernel import health
from smartduty.policy import checks as policy_checks
from smartduty.policy.models import DistrictPolicy
from smartduty.recognition import checks as recognition_checks
from smartduty.recognition.engine.catalog import PINNED, Role
from tests.factories.org import City

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def _ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


def test_a_correct_set_up_passes_manage_py_check() -> None:
    errors = [m for m in run_checks() if m.is_serious()]
    assert errors == []
    call_command("check", fail_level="ERROR")  # raises SystemCheckError on any error


def test_font_present_gives_no_message() -> None:
    assert Path(FONT).is_file()  # `make test` installs it (deploy/system-packages.sh)
    with override_settings(EVIDENCE_FONT_PATH=FONT):
        assert health.check_font() == []


def test_font_absent_is_an_error_in_chinese_and_english(tmp_path: Path) -> None:
    with override_settings(EVIDENCE_FONT_PATH=str(tmp_path / "missing.ttc")):
        [message] = health.check_font()
    assert isinstance(message, Error)
    assert message.id == "smartduty.E001"
    assert "缺少中文字体" in message.msg
    assert "CJK font missing" in message.msg
    assert "fonts-wqy-microhei" in (message.hint or "")
    assert "make run" in (message.hint or "")


def test_font_that_reportlab_cannot_read_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font at all" * 100)
    with override_settings(EVIDENCE_FONT_PATH=str(broken)):
        assert _ids(health.check_font()) == ["smartduty.E001"]


def _local_storage(location: Path) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def test_writable_storage_gives_no_message(tmp_path: Path) -> None:
    media = tmp_path / "media-not-created-yet"
    with override_settings(VAR_DIR=tmp_path, STORAGES=_local_storage(media)):
        assert health.check_storage() == []


def test_storage_folder_that_cannot_be_created_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")  # a folder cannot be made below a file, even as root
    with override_settings(VAR_DIR=blocker, STORAGES=_local_storage(blocker / "media")):
        messages = health.check_storage()
    assert _ids(messages) == ["smartduty.E002", "smartduty.E002"]
    assert "VAR_DIR" in messages[0].msg
    assert "MEDIA_ROOT" in messages[1].msg
    assert "不可用" in messages[1].msg
    assert "not usable" in messages[1].msg


def test_s3_without_bucket_or_keys_is_an_error(tmp_path: Path) -> None:
    storages = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "", "access_key": "", "secret_key": "s"},
        }
    }
    with override_settings(VAR_DIR=tmp_path, STORAGES=storages):
        [message] = health.check_storage()
    assert message.id == "smartduty.E003"
    assert "SMARTDUTY_STORAGE__S3_BUCKET" in message.msg
    assert "SMARTDUTY_STORAGE__S3_ACCESS_KEY" in message.msg
    assert "SECRET_KEY" not in message.msg
    complete = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "b", "access_key": "a", "secret_key": "s"},
        }
    }
    with override_settings(VAR_DIR=tmp_path, STORAGES=complete):
        assert health.check_storage() == []


def _models(folder: Path, *roles: Role) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for spec in PINNED:
        if spec.role in roles:
            (folder / spec.name).write_bytes(b"onnx")  # name and size are all the check reads


@pytest.fixture
def no_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recognition_checks, "wheel_model_dir", lambda: None)


@pytest.mark.usefixtures("no_wheel")
def test_no_usable_models_is_an_error(tmp_path: Path) -> None:
    _models(tmp_path / "models", Role.DETECTOR)  # a detector alone cannot read characters
    with override_settings(VAR_DIR=tmp_path, RECOGNITION_MODEL_DIRS=[]):
        [message] = recognition_checks.check_models()
    assert isinstance(message, Error)
    assert message.id == "smartduty.E010"
    assert "未找到可用的车牌识别模型" in message.msg
    assert "no usable plate-recognition models" in message.msg


@pytest.mark.usefixtures("no_wheel")
def test_wheel_fallback_only_is_a_warning(tmp_path: Path) -> None:
    extra = tmp_path / "wheel-like"
    _models(extra, Role.RECOGNIZER, Role.TEXT_DETECTOR)
    with override_settings(VAR_DIR=tmp_path, RECOGNITION_MODEL_DIRS=[str(extra)]):
        [message] = recognition_checks.check_models()
    assert isinstance(message, Warning)
    assert message.id == "smartduty.W010"
    assert "install_models" in (message.hint or "")


@pytest.mark.usefixtures("no_wheel")
def test_installed_detector_and_recogniser_give_no_message(tmp_path: Path) -> None:
    _models(tmp_path / "models", Role.DETECTOR, Role.RECOGNIZER)
    with override_settings(VAR_DIR=tmp_path, RECOGNITION_MODEL_DIRS=[]):
        assert recognition_checks.check_models() == []


@pytest.mark.usefixtures("no_wheel")
def test_empty_model_files_count_as_missing(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    for spec in PINNED:
        (folder / spec.name).write_bytes(b"")
    with override_settings(VAR_DIR=tmp_path, RECOGNITION_MODEL_DIRS=[]):
        assert _ids(recognition_checks.check_models()) == ["smartduty.E010"]


def test_the_wheel_makes_models_usable_without_install_models(tmp_path: Path) -> None:
    with override_settings(VAR_DIR=tmp_path, RECOGNITION_MODEL_DIRS=[]):
        messages = recognition_checks.check_models()
    assert all(not m.is_serious() for m in messages)  # the wheel ships PP-OCRv4


def _policy(city: City, **values: Any) -> DistrictPolicy:
    # written past the service, as a row stored before edits were validated would be
    return DistrictPolicy.objects.create(district=city.district_a, version=1, **values)


def test_stored_policy_with_an_unknown_provider_is_an_error(city: City) -> None:
    _policy(city, sms_provider="aliyun-typo")
    [message] = policy_checks.check_policies(databases=["default"])
    assert message.id == "smartduty.E020"
    assert "aliyun-typo" in message.msg
    assert "console" in message.msg  # names the allowed values
    assert "东区" in message.msg


def test_stored_policy_with_an_unknown_template_is_an_error(city: City) -> None:
    _policy(city, sms_template_code="SD_MOVE_999")
    assert _ids(policy_checks.check_policies(databases=["default"])) == ["smartduty.E020"]


def test_valid_stored_policies_give_no_message(city: City) -> None:
    _policy(city)
    assert policy_checks.check_policies(databases=["default"]) == []
    assert policy_checks.check_policies(databases=None) == []  # database checks only on ask
