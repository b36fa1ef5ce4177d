"""Templates: vendor rules at registration, parameter checks at rendering, SMS length."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from smartduty.kernel.errors import ValidationFailed
from smartduty.notifications import templates
from smartduty.notifications.ports import Channel
from smartduty.notifications.templates import (
    APP_NOTICE,
    MOVE_CAR_SMS,
    Template,
    format_window,
    render,
    sms_segments,
)
from tests.factories.notifications import MOVE_PARAMS, SIGNATURE

PLACE_12 = "东昌路与柳园路口北侧"
LINK_22 = "sd.example/o/Ab3dE9kQx"


def test_move_car_sms_fits_one_segment_at_the_realistic_maxima() -> None:
    params = {
        "plate": "京AD12345",  # NEV plates have 8 characters
        "time": "09:30",
        "place": PLACE_12 + "12",
        "minutes": "10分钟",
        "link": LINK_22,
    }
    assert len(params["plate"]) == 8
    assert len(params["place"]) == 12
    assert len(params["link"]) == 22
    text = render(MOVE_CAR_SMS, params, SIGNATURE)
    assert text == (
        "【示范城管】车辆京AD12345于09:30停东昌路与柳园路口北侧12，请10分钟内驶离，"
        "非罚单sd.example/o/Ab3dE9kQx"
    )
    assert len(text) == 70
    assert sms_segments(text) == 1


def test_move_car_sms_reads_well_with_a_demo_window() -> None:
    text = render(MOVE_CAR_SMS, {**MOVE_PARAMS, "minutes": format_window(20)}, SIGNATURE)
    assert "请20秒内驶离" in text
    assert sms_segments(text) == 1


def test_a_longer_place_costs_a_second_segment() -> None:
    text = render(MOVE_CAR_SMS, {**MOVE_PARAMS, "place": "东" * 13, "link": LINK_22}, SIGNATURE)
    assert len(text) == 71
    assert sms_segments(text) == 2


def test_app_notice_needs_no_signature() -> None:
    assert render(APP_NOTICE, {"title": "违停待复查", "body": "京A12345 时限已到"}, "") == (
        "违停待复查：京A12345 时限已到"
    )


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 1), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (500, 8)]
)
def test_sms_segments(length: int, segments: int) -> None:
    assert sms_segments("字" * length) == segments


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(600, "10分钟"), (60, "1分钟"), (20, "20秒"), (90, "90秒"), (7200, "2小时"), (3600, "1小时")],
)
def test_format_window(seconds: int, text: str) -> None:
    assert format_window(seconds) == text


def test_format_window_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        format_window(0)


@pytest.mark.parametrize(
    ("params", "signature", "message"),
    [
        ({k: v for k, v in MOVE_PARAMS.items() if k != "time"}, SIGNATURE, "缺少参数：time"),
        ({**MOVE_PARAMS, "extra": "x"}, SIGNATURE, "不接受参数：extra"),
        ({**MOVE_PARAMS, "place": ""}, SIGNATURE, "参数 place 的长度须为 1–35 个字符（当前 0 个）"),
        ({**MOVE_PARAMS, "place": "路" * 36}, SIGNATURE, "（当前 36 个）"),
        ({**MOVE_PARAMS, "place": 5}, SIGNATURE, "参数 place 必须是文本"),
        ({**MOVE_PARAMS, "place": "【假冒】"}, SIGNATURE, "不能包含【】"),
        ({**MOVE_PARAMS, "place": "${plate}"}, SIGNATURE, "不能包含【】"),
        (MOVE_PARAMS, "", "短信签名须为 2–12 个字符（当前 0 个）"),
        (MOVE_PARAMS, "城", "短信签名须为 2–12 个字符"),
        (MOVE_PARAMS, "城" * 13, "（当前 13 个）"),
        (MOVE_PARAMS, "【示范城管】", "短信签名不要带【】"),
    ],
)
def test_render_refuses_bad_input(params: dict[str, str], signature: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        render(MOVE_CAR_SMS, params, signature)
    assert message in caught.value.message


def test_render_refuses_an_unknown_code() -> None:
    with pytest.raises(ValidationFailed, match="未知的消息模板：NOPE"):
        render("NOPE", {}, SIGNATURE)


def test_app_templates_still_check_a_given_signature() -> None:
    with pytest.raises(ValidationFailed, match="短信签名须为"):
        render(APP_NOTICE, {"title": "a", "body": "b"}, "x")


@pytest.mark.parametrize(
    ("text", "variables", "problem"),
    [
        ("车辆${plate}和${plate}", ("plate",), "more than once"),
        ("车辆${plate}", ("plate", "time"), "differ from declared"),
        ("车辆${plate}", ("plate", "plate"), "differ from declared"),
        ("车辆${plate}${time}", ("plate", "time"), "adjacent variables"),
        ("${plate}", ("plate",), "only variables"),
        ("【城管】车辆${plate}", ("plate",), "special symbols"),
        ("★车辆${plate}", ("plate",), "special symbols"),
        ("[提醒]车辆${plate}", ("plate",), "starts or ends with"),
        ("车辆${plate}[x]", ("plate",), "starts or ends with"),
        ("车辆${Plate}", (), "malformed placeholder"),
        ("字" * 501, (), "longer than 500"),
    ],
)
def test_templates_breaking_vendor_rules_are_refused(
    text: str, variables: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=problem):
        Template(code="T_BAD", channel=Channel.SMS, text=text, variables=variables)


def test_register_template_is_idempotent_and_refuses_a_conflicting_text() -> None:
    template = Template(code="T_TEST", channel=Channel.SMS, text="您好${name}", variables=("name",))
    with templates.templates().override("T_TEST", template):
        templates.register_template(template)
        assert templates.get_template("T_TEST") is template
        assert template.static_text == "您好"
        other = Template(
            code="T_TEST", channel=Channel.SMS, text="再见${name}", variables=("name",)
        )
        with pytest.raises(ImproperlyConfigured, match="already registered"):
            templates.register_template(other)


def test_defaults_are_registered_at_start_up() -> None:
    templates.register_defaults()
    assert templates.get_template(MOVE_CAR_SMS).variables == (
        "plate",
        "time",
        "place",
        "minutes",
        "link",
    )
    assert templates.get_template(APP_NOTICE).channel == Channel.APP_PUSH
